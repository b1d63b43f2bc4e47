package dev.sessionstore;

/** No installed backend, or more than one, claims the scheme of a store URI. The message names the scheme and the installed schemes. */
public final class BackendDiscoveryException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong */
  public BackendDiscoveryException(String message) {
    super(message);
  }

  /**
   * @param message what is wrong
   * @param cause the underlying error
   */
  public BackendDiscoveryException(String message, Throwable cause) {
    super(message, cause);
  }
}
