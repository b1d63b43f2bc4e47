package dev.sessionstore;

/**
 * A conditional update of a session's info found another version than the caller expected:
 * another writer changed it since the caller read it. Nothing was written; read again and decide.
 */
public final class VersionConflictException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong */
  public VersionConflictException(String message) {
    super(message);
  }
}
