package dev.sessionstore;

/**
 * A session id is not valid (see {@link SessionLayout#requireValidId}): null, empty, too long, or
 * holding a control character or an unpaired surrogate. Thrown before any storage call.
 */
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
