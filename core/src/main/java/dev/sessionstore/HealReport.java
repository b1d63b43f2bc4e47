package dev.sessionstore;

import java.util.List;

/**
 * What reconciling one session found, and (unless it was a dry run) repaired.
 *
 * @param sessionId the session
 * @param rule which rule judged the live log
 * @param staleMessageIds ids of live messages already covered by a completed archive, in order;
 *     they were dropped from the live log
 * @param staleThroughSeq the live log was trimmed through this seq (0 if nothing was stale)
 * @param rolledForwardArchives archives that had their messages but no completion marker and
 *     were completed
 * @param rolledBackArchives archives without marker whose contents did not fit the archive
 *     chain, and were deleted (their messages were still live)
 * @param metaRewritten whether the stored counters disagreed with archives and log and were
 *     rewritten
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
   * @param rolledBackArchives archives without marker whose contents did not fit the archive chain,
   *     and were deleted (their messages were still live)
   * @param metaRewritten whether the stored counters disagreed with archives and log and were
   *     rewritten
   * @param repaired false for a dry run ({@link SessionStore#check}): nothing was written
   */
  public HealReport {
    staleMessageIds = List.copyOf(staleMessageIds);
    rolledForwardArchives = List.copyOf(rolledForwardArchives);
    rolledBackArchives = List.copyOf(rolledBackArchives);
  }

  /**
   * {@return whether the session was consistent: nothing stale, no incomplete archive, meta agreed}
   */
  public boolean clean() {
    return staleMessageIds.isEmpty()
        && rolledForwardArchives.isEmpty()
        && rolledBackArchives.isEmpty()
        && !metaRewritten;
  }

  /** The rule that decided which live messages are stale. */
  public enum Rule {
    /** Messages carry seqs; stale means covered by a completed archive's seq range. */
    EXACT,
    /**
     * A session imported without seqs: OpenViking PR 2604's rule, the leading {@code
     * len(live) - message_count} messages are stale.
     */
    COUNT
  }
}
