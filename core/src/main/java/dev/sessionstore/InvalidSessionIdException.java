package dev.sessionstore;

/** A session id is not 1-128 characters of [A-Za-z0-9_-]. Thrown before any storage call. */
public final class InvalidSessionIdException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong */
  public InvalidSessionIdException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong
   * @param cause the underlying error
   */
  public InvalidSessionIdException(String message, Throwable cause) {
    super(message, cause);
  }
}
