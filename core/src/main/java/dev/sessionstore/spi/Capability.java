package dev.sessionstore.spi;

/**
 * What a backend guarantees beyond the required contract of {@link StorageBackend}. The
 * conformance kit skips the tests of a capability a backend does not declare, and says which
 * capability to implement.
 */
public enum Capability {
  /** Data outlives the backend instance: a new instance over the same storage sees it. */
  PERSISTENT,
  /**
   * Several backend instances (possibly in several processes) may share the same storage
   * concurrently and the whole contract, including conditional writes, holds between them.
   */
  SHARED_STORAGE,
  /** Records of one log can be read back from a second instance right after append returns. */
  READ_AFTER_WRITE
}
