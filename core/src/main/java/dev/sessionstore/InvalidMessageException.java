package dev.sessionstore;

/** A message is malformed, larger than the configured limit or nested too deeply. Thrown before anything is written. */
public final class InvalidMessageException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong */
  public InvalidMessageException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong
   * @param cause the underlying error
   */
  public InvalidMessageException(String message, Throwable cause) {
    super(message, cause);
  }
}
