package dev.sessionstore;

/**
 * What a commit did.
 *
 * @param archiveNumber number of the archive created, or 0 if there was nothing to archive
 * @param archivedCount how many messages moved into the archive
 * @param retainedCount how many live messages remain (the retained tail)
 * @param firstSeq seq of the first archived message, or 0
 * @param lastSeq seq of the last archived message, or 0
 */
public record CommitResult(
    int archiveNumber, int archivedCount, int retainedCount, long firstSeq, long lastSeq) {

  /** {@return whether an archive was created} */
  public boolean archived() {
    return archiveNumber > 0;
  }
}
