package dev.sessionstore;

import java.util.List;

/**
 * What reconciling one session found, and (unless it was a dry run) repaired.
 *
 * @param sessionId the session
 * @param rule which rule judged the live log
 * @param staleMessageIds ids of live messages already held by a completed archive, in order;
 *     they were dropped from the live log
 * @param staleThroughSeq the live log was trimmed through this seq (0 if nothing was stale)
 * @param rolledForwardArchives archives that had their messages but no completion marker and
 *     were completed
 * @param rolledBackArchives archives without marker whose messages were all still live and
 *     which did not continue the archive chain; they were deleted
 * @param metaRewritten whether the stored counters disagreed with archives and log and were
 *     rewritten
 * @param problems damage that reconcile found and did not repair, each naming the key and what
 *     is wrong; nothing was dropped because of it
 * @param repaired false for a dry run ({@link SessionStore#check}): nothing was written
 */
public record HealReport(
    String sessionId,
    Rule rule,
    List<String> staleMessageIds,
    long staleThroughSeq,
    List<Integer> rolledForwardArchives,
    List<Integer> rolledBackArchives,
    boolean metaRewritten,
    List<String> problems,
    boolean repaired) {

  /**
   * Copies the lists.
   *
   * @param sessionId the session
   * @param rule which rule judged the live log
   * @param staleMessageIds ids of live messages already covered by a completed archive, in order;
   *     they were dropped from the live log
   * @param staleThroughSeq the live log was trimmed through this seq (0 if nothing was stale)
   * @param rolledForwardArchives archives that had their messages but no completion marker and were
   *     completed
   * @param rolledBackArchives archives without marker whose messages were all still live and
   *     which did not continue the archive chain; they were deleted
   * @param metaRewritten whether the stored counters disagreed with archives and log and were
   *     rewritten
   * @param problems damage found and not repaired, each naming the key and what is wrong
   * @param repaired false for a dry run ({@link SessionStore#check}): nothing was written
   */
  public HealReport {
    staleMessageIds = List.copyOf(staleMessageIds);
    rolledForwardArchives = List.copyOf(rolledForwardArchives);
    rolledBackArchives = List.copyOf(rolledBackArchives);
    problems = List.copyOf(problems);
  }

  /** {@return whether nothing needed (or needs) repair and no damage was found} */
  public boolean clean() {
    return staleMessageIds.isEmpty()
        && rolledForwardArchives.isEmpty()
        && rolledBackArchives.isEmpty()
        && !metaRewritten
        && problems.isEmpty();
  }

  /** The rule that decided which live messages are stale. */
  public enum Rule {
    /** Messages carry seqs; stale means held by a completed archive at that seq. */
    EXACT,
    /**
     * A session in OpenViking's format whose markers name their last message: the live messages
     * up to that id are stale, provided an archive holds them.
     */
    BY_ID,
    /**
     * A session in OpenViking's format whose markers name no messages: its PR 2604 rule, the
     * leading {@code len(live) - message_count} messages without seq are stale.
     */
    COUNT
  }
}
