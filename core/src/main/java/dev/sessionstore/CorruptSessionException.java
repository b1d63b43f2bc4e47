package dev.sessionstore;

/** Stored session data cannot be parsed. Nothing was rewritten; the message names the key. */
public final class CorruptSessionException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong */
  public CorruptSessionException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong
   * @param cause the underlying error
   */
  public CorruptSessionException(String message, Throwable cause) {
    super(message, cause);
  }
}
