package dev.sessionstore;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a new session starts with: metadata and a time to live. Used by {@link
 * SessionStore#session(String, SessionOptions)}; an existing session keeps what it has.
 */
public final class SessionOptions {
  /** Most metadata entries per session. */
  public static final int MAX_ENTRIES = 64;
  /** Longest metadata key, in characters. */
  public static final int MAX_KEY_LENGTH = 128;
  /** Longest metadata value, in characters. */
  public static final int MAX_VALUE_LENGTH = 4096;

  private final Map<String, String> metadata;
  private final @Nullable Duration timeToLive;
  private final boolean extendOnActivity;

  private SessionOptions(Builder b) {
    this.metadata = Map.copyOf(b.metadata);
    this.timeToLive = b.timeToLive;
    this.extendOnActivity = b.extendOnActivity;
  }

  /** {@return a builder} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return the metadata} */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** {@return the time to live, or null for none} */
  public @Nullable Duration timeToLive() {
    return timeToLive;
  }

  /** {@return whether an append extends the expiry to now + time to live} */
  public boolean extendOnActivity() {
    return extendOnActivity;
  }

  /**
   * Checks metadata against the limits.
   *
   * @param metadata the metadata
   * @return a copy
   * @throws IllegalArgumentException naming the entry that breaks a limit
   */
  static Map<String, String> checked(Map<String, String> metadata) {
    Objects.requireNonNull(metadata, "metadata");
    if (metadata.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("at most " + MAX_ENTRIES + " metadata entries, were "
          + metadata.size());
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      String k = Objects.requireNonNull(e.getKey(), "metadata key");
      String v = Objects.requireNonNull(e.getValue(), "metadata value of '" + k + "'");
      if (k.isEmpty() || k.length() > MAX_KEY_LENGTH || hasControl(k)) {
        throw new IllegalArgumentException("metadata key must be 1-" + MAX_KEY_LENGTH
            + " characters without control characters: '" + k + "'");
      }
      if (v.length() > MAX_VALUE_LENGTH) {
        throw new IllegalArgumentException("metadata value of '" + k + "' is longer than "
            + MAX_VALUE_LENGTH + " characters");
      }
    }
    return Map.copyOf(metadata);
  }

  static Duration checkedTtl(Duration ttl) {
    if (ttl.getSeconds() < 1 || ttl.getSeconds() > 100L * 366 * 86400) {
      throw new IllegalArgumentException("time to live must be 1 second to 100 years,"
          + " was " + ttl);
    }
    return Duration.ofSeconds(ttl.getSeconds());
  }

  private static boolean hasControl(String s) {
    return s.chars().anyMatch(c -> Character.getType(c) == Character.CONTROL);
  }

  /** Builds {@link SessionOptions}; every argument is checked when it is set. */
  public static final class Builder {
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private @Nullable Duration timeToLive;
    private boolean extendOnActivity;

    private Builder() {}

    /**
     * Adds one metadata entry.
     *
     * @param key 1-128 characters
     * @param value at most 4096 characters
     * @return this builder
     */
    public Builder metadata(String key, String value) {
      Map<String, String> next = new LinkedHashMap<>(metadata);
      next.put(key, value);
      checked(next);
      metadata.put(key, value);
      return this;
    }

    /**
     * Adds metadata entries.
     *
     * @param entries the entries
     * @return this builder
     */
    public Builder metadata(Map<String, String> entries) {
      Map<String, String> next = new LinkedHashMap<>(metadata);
      next.putAll(checked(entries));
      checked(next);
      metadata.putAll(entries);
      return this;
    }

    /**
     * Sets a time to live (whole seconds): the session expires that long after it is created.
     *
     * @param ttl positive, at most 100 years
     * @return this builder
     */
    public Builder timeToLive(Duration ttl) {
      this.timeToLive = checkedTtl(Objects.requireNonNull(ttl, "ttl"));
      return this;
    }

    /**
     * Whether an append moves the expiry to now + time to live (default false). To keep the cost
     * of an append down, the expiry is moved only once less than half the time to live is left.
     *
     * @param extend whether activity extends the expiry
     * @return this builder
     */
    public Builder extendOnActivity(boolean extend) {
      this.extendOnActivity = extend;
      return this;
    }

    /** {@return the options} */
    public SessionOptions build() {
      if (extendOnActivity && timeToLive == null) {
        throw new IllegalStateException("extendOnActivity needs a timeToLive");
      }
      return new SessionOptions(this);
    }
  }
}
