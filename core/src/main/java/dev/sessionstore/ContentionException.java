package dev.sessionstore;

/** An append or commit lost its conditional write more often than the configured retry limit allows, because other writers kept winning. Nothing of this call was written. */
public final class ContentionException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong */
  public ContentionException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong
   * @param cause the underlying error
   */
  public ContentionException(String message, Throwable cause) {
    super(message, cause);
  }
}
