package dev.sessionstore;

/** Base type of every error this library throws on purpose. Unchecked. */
public class SessionStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message what went wrong */
  public SessionStoreException(String message) {
    super(message);
  }

  /**
   * @param message what went wrong
   * @param cause the underlying error
   */
  public SessionStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
