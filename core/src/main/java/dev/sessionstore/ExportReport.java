package dev.sessionstore;

import java.nio.file.Path;

/**
 * What {@link SessionStore#exportSession} wrote, after reading it back.
 *
 * @param sessionId the session
 * @param target the session directory written in OpenViking's format
 * @param liveMessages live messages, the lines of {@code messages.jsonl}
 * @param archives completed archives, each a {@code history/archive_NNN/}
 * @param archivedMessages messages in those archives
 * @param summaries archives whose summary was written to their {@code .overview.md}
 */
public record ExportReport(
    String sessionId,
    Path target,
    int liveMessages,
    int archives,
    long archivedMessages,
    int summaries) {}
