package dev.sessionstore;

/**
 * A write was attempted on a session that is still in OpenViking's format. Such sessions can be
 * read as they are; before this library writes to them they are converted once, explicitly,
 * with {@link SessionStore#importSession} (or the CLI's {@code import}).
 */
public final class ImportRequiredException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong and what to do */
  public ImportRequiredException(String message) {
    super(message);
  }
}
