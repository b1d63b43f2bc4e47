package dev.sessionstore;

/**
 * An export to OpenViking's format did not happen; {@link #reason()} says why. Whatever the
 * reason, the target was left as it was.
 */
public final class ExportException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** Why an export failed. */
  public enum Reason {
    /** The target exists and is not an empty directory: nothing is ever overwritten. */
    TARGET_NOT_EMPTY,
    /** The target's parent is not an existing directory. */
    TARGET_UNUSABLE,
    /** The session holds something OpenViking's format cannot carry unchanged. */
    NOT_REPRESENTABLE,
    /** The export, read back, differs from the session; the message says where. */
    VERIFICATION_FAILED,
    /** Writing the files failed. */
    WRITE_FAILED
  }

  /** Why the export failed. */
  private final Reason reason;

  /**
   * @param reason why the export failed
   * @param message what is wrong and what to do
   */
  public ExportException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  /**
   * @param reason why the export failed
   * @param message what is wrong and what to do
   * @param cause the underlying error
   */
  public ExportException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** {@return why the export failed} */
  public Reason reason() {
    return reason;
  }
}
