package dev.sessionstore;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A session's metadata and expiry, as stored in its {@code .session.json}.
 *
 * @param id the session id
 * @param metadata string keys and values (owner, agent name, tags ...); empty if none were set
 * @param createdAt when the info was first written, or null if it never was
 * @param expiresAt when the session expires ({@link SessionStore#deleteExpired} deletes it after
 *     that), or null for never
 * @param timeToLive the time to live the expiry was computed from, or null
 * @param extendOnActivity whether an append moves the expiry to now + time to live
 * @param version the stored version, for {@link SessionStore#updateMetadata(String, String,
 *     Map)}; null if the session has no info yet
 */
public record SessionInfo(
    String id,
    Map<String, String> metadata,
    @Nullable Instant createdAt,
    @Nullable Instant expiresAt,
    @Nullable Duration timeToLive,
    boolean extendOnActivity,
    @Nullable String version) {

  /**
   * Copies the metadata.
   *
   * @param id the session id
   * @param metadata the metadata
   * @param createdAt when first written
   * @param expiresAt when it expires
   * @param timeToLive the time to live
   * @param extendOnActivity whether appends extend the expiry
   * @param version the stored version
   */
  public SessionInfo {
    Objects.requireNonNull(id, "id");
    metadata = Map.copyOf(metadata);
  }

  /**
   * {@return whether the session has expired at {@code now}}
   *
   * @param now the instant to judge at
   */
  public boolean expiredAt(Instant now) {
    return expiresAt != null && expiresAt.isBefore(now);
  }
}
