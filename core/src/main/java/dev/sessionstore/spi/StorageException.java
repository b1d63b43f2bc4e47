package dev.sessionstore.spi;

import dev.sessionstore.SessionStoreException;

/**
 * The storage itself failed (I/O error, lost connection, server error). The operation may or
 * may not have taken effect; an atomic operation never took effect partly.
 */
public class StorageException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what failed, naming the key
   * @param cause the underlying error
   */
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }

  /** @param message what failed, naming the key */
  public StorageException(String message) {
    super(message);
  }
}
