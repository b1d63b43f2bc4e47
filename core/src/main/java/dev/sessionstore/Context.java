package dev.sessionstore;

import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What to feed the model: the newest archive's summary (if any) followed by the live
 * messages, oldest first and newest last.
 *
 * @param summary summary of the newest completed archive, or null
 * @param messages the live messages that fit, oldest first
 * @param omittedCount live messages left out to fit the token budget (the oldest ones)
 * @param estimatedTokens estimated tokens of summary plus messages
 */
public record Context(
    @Nullable String summary, List<Message> messages, int omittedCount, long estimatedTokens) {

  /**
   * Copies the list.
   *
   * @param summary summary of the newest completed archive, or null
   * @param messages the live messages that fit, oldest first
   * @param omittedCount live messages left out to fit the token budget (the oldest ones)
   * @param estimatedTokens estimated tokens of summary plus messages
   */
  public Context {
    messages = List.copyOf(messages);
  }

  /** {@return the summary, if present} */
  public Optional<String> summaryText() {
    return Optional.ofNullable(summary);
  }
}
