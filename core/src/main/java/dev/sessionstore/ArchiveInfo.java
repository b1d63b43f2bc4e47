package dev.sessionstore;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A completed archive, as its completion marker describes it. Reading it never reads the
 * archived messages themselves.
 *
 * @param number the archive number (1-based, never reused)
 * @param firstSeq seq of the first archived message (0 for an archive imported without seqs)
 * @param lastSeq seq of the last archived message (0 for an archive imported without seqs)
 * @param messageCount how many messages it holds
 * @param startingMessageId id of the first archived message
 * @param endingMessageId id of the last archived message
 * @param summary the summary stored with the commit, or null
 * @param createdAt when the commit happened (ISO-8601), or null if unknown
 */
public record ArchiveInfo(
    int number,
    long firstSeq,
    long lastSeq,
    int messageCount,
    String startingMessageId,
    String endingMessageId,
    @Nullable String summary,
    @Nullable String createdAt) {

  /** {@return the summary, if one was stored} */
  public Optional<String> summaryText() {
    return Optional.ofNullable(summary);
  }
}
