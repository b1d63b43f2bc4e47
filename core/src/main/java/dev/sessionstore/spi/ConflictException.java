package dev.sessionstore.spi;

import dev.sessionstore.SessionStoreException;

/**
 * A conditional write lost: the blob's version or existence did not match the precondition, or
 * the seq of an append was not the log's next seq. Nothing was written.
 */
public class ConflictException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what conflicted, naming the key */
  public ConflictException(String message) {
    super(message);
  }

  /**
   * @param message what conflicted, naming the key
   * @param cause the backend's own error
   */
  public ConflictException(String message, Throwable cause) {
    super(message, cause);
  }
}
