package dev.sessionstore.spi;

/**
 * Stored data cannot be parsed where it must be intact (for example a damaged record in the
 * middle of a log). Nothing was rewritten; the message names the key or file and the position.
 */
public class CorruptStorageException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** @param message what is corrupt and where */
  public CorruptStorageException(String message) {
    super(message);
  }

  /**
   * @param message what is corrupt and where
   * @param cause the parse error
   */
  public CorruptStorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
