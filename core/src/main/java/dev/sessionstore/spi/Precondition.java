package dev.sessionstore.spi;

import java.util.Objects;

/** The condition under which {@link StorageBackend#put} may write. */
public sealed interface Precondition {

  /**
   * Write whatever is there.
   *
   * @return the precondition
   */
  static Precondition none() {
    return None.INSTANCE;
  }

  /**
   * Write only if no blob exists under the key (create).
   *
   * @return the precondition
   */
  static Precondition absent() {
    return Absent.INSTANCE;
  }

  /**
   * Write only if the blob exists and its current version equals {@code version}.
   *
   * @param version the version token from {@link StorageBackend#get} or {@link StorageBackend#put}
   * @return the precondition
   */
  static Precondition matches(String version) {
    return new Matches(version);
  }

  /** No condition. */
  enum None implements Precondition {
    /** The only instance. */
    INSTANCE
  }

  /** The key must be free. */
  enum Absent implements Precondition {
    /** The only instance. */
    INSTANCE
  }

  /**
   * The blob must be at this version.
   *
   * @param version the expected version token
   */
  record Matches(String version) implements Precondition {
    /**
     * Checks the version is present.
     *
     * @param version the expected version token
     */
    public Matches {
      Objects.requireNonNull(version, "version");
    }
  }
}
