package dev.sessionstore;

/**
 * What {@link SessionStore#importSession} did.
 *
 * @param sessionId the session
 * @param alreadyImported true if the session was already in this library's format (nothing
 *     was written)
 * @param archives completed archives found, each now recording its message count and summary
 * @param archivedMessages messages in those archives
 * @param liveMessages live messages after the import
 * @param staleDropped live messages that an archive already held (a lost clear) and that were
 *     dropped, as OpenViking's own loader would
 */
public record ImportReport(
    String sessionId,
    boolean alreadyImported,
    int archives,
    long archivedMessages,
    int liveMessages,
    int staleDropped) {}
