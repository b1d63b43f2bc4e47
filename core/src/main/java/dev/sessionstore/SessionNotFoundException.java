package dev.sessionstore;

/** The session does not exist (it was never created, or was deleted). */
public final class SessionNotFoundException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong */
  public SessionNotFoundException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong
   * @param cause the underlying error
   */
  public SessionNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
