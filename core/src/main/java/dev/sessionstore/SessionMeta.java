package dev.sessionstore;

import org.jspecify.annotations.Nullable;

/**
 * A session's counters, derived from its archives and live log (the stored {@code .meta.json}
 * is only a cache of them).
 *
 * @param sessionId the session id
 * @param messageCount live messages
 * @param totalMessageCount messages ever appended (archived plus live)
 * @param commitCount completed archives
 * @param lastSeq highest seq ever used
 * @param createdAt when the session was created (ISO-8601), or null if unknown
 * @param updatedAt when the session last changed (ISO-8601), or null if unknown
 * @param lastCommitAt when the newest archive was committed (ISO-8601), or null
 */
public record SessionMeta(
    String sessionId,
    int messageCount,
    long totalMessageCount,
    int commitCount,
    long lastSeq,
    @Nullable String createdAt,
    @Nullable String updatedAt,
    @Nullable String lastCommitAt) {}
