package dev.sessionstore;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What reconciling a {@link Snapshot} decided: the writes that heal it and the reconciled view.
 * Applying it is separate I/O; {@code check} reports it without applying.
 *
 * @param rule the rule that judged the live log
 * @param staleIds live messages confirmed to be archived already, in order
 * @param trimThrough trim the live log through this seq (0: nothing stale)
 * @param rollForward the marker that completes the incomplete archive, or null
 * @param rollBack the incomplete archive to delete (its messages are all still live), or 0
 * @param metaToWrite counters to write because the stored ones disagree, or null
 * @param problems damage found that reconcile does not repair (nothing is dropped for it)
 * @param newest the newest completed archive after applying
 * @param newestMarker its marker
 * @param archivedThrough the highest seq a completed archive holds
 * @param live the live messages after applying
 */
record Plan(
    HealReport.Rule rule,
    List<String> staleIds,
    long trimThrough,
    @Nullable Marker rollForward,
    int rollBack,
    @Nullable ObjectNode metaToWrite,
    List<String> problems,
    int newest,
    @Nullable Marker newestMarker,
    long archivedThrough,
    List<Message> live) {

  Plan {
    staleIds = List.copyOf(staleIds);
    problems = List.copyOf(problems);
    live = List.copyOf(live);
  }

  /**
   * What this plan repairs, as the report a caller sees, with {@code problems} as the damage
   * found (the plan's own, or a deeper check's).
   */
  HealReport report(String sessionId, List<String> problems, boolean repaired) {
    return new HealReport(sessionId, rule, staleIds, trimThrough,
        rollForward == null ? List.of() : List.of(rollForward.number()),
        rollBack == 0 ? List.of() : List.of(rollBack), metaToWrite != null, problems, repaired);
  }

  /** Whether applying would write nothing. */
  boolean noWrites() {
    return trimThrough == 0 && rollForward == null && rollBack == 0 && metaToWrite == null;
  }
}
