package dev.sessionstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The reconcile rule, as a pure function from a {@link Snapshot} to a {@link Plan}: no I/O, so
 * its cases are tested as a table.
 *
 * <ul>
 *   <li><b>Exact rule</b> (sessions written here): a live entry is stale when its seq is at or
 *       below the newest completed archive's {@code last_seq} <em>and</em> an archive holds that
 *       seq with that id. If any candidate is not confirmed (a damaged marker or log), nothing is
 *       dropped and the damage is reported.
 *   <li><b>Incomplete archive</b> (messages without a marker): completed (rolled forward) if it
 *       continues the archive chain; deleted only if every message it holds is still live;
 *       otherwise left in place and reported.
 *   <li><b>Imported sessions</b> (OpenViking's format, no seqs): the live messages up to and
 *       including the newest marker's {@code ending_message_id} are stale, provided an archive
 *       holds each of them. Markers without ids fall back to OpenViking PR 2604's count rule,
 *       applied only to records that carry no seq, so nothing written here is ever judged by it.
 *   <li><b>Counters</b> are rewritten when they disagree with the archives; an imported
 *       session's meta is left alone.
 * </ul>
 */
final class Reconciler {
  private Reconciler() {}

  static Plan plan(Snapshot s, String now, ObjectMapper mapper) {
    Meta meta = s.meta();
    Marker newestMarker = s.newestMarker();
    return inOpenVikingFormat(meta, s.metaCorrupt(), newestMarker)
        ? planImported(s) : planExact(s, now, mapper);
  }

  /**
   * Whether a session is still in OpenViking's format (not imported): its meta has no format
   * field, or it has no meta and its newest marker carries no seqs.
   */
  static boolean inOpenVikingFormat(@Nullable Meta meta, boolean metaCorrupt,
      @Nullable Marker newest) {
    return (meta != null && meta.legacy())
        || (meta == null && !metaCorrupt && newest != null && !newest.hasSeqs()
            && !newest.imported());
  }

  private static Plan planExact(Snapshot s, String now, ObjectMapper mapper) {
    List<String> problems = new ArrayList<>();
    List<LiveEntry> live = s.live();
    int newest = s.newest();
    Marker newestMarker = s.newestMarker();
    long archivedThrough = newestMarker != null && newestMarker.hasSeqs() ? newestMarker.lastSeq() : 0;

    Marker rollForward = null;
    int rollBack = 0;
    Snapshot.Incomplete inc = s.incomplete();
    List<Message> rolledMessages = List.of();
    if (inc != null) {
      List<Message> held = inc.held();
      if (held == null) {
        problems.add("archive " + inc.number() + " has no completion marker and its messages"
            + " cannot be read (" + inc.problem() + "); left in place");
      } else if (continuesChain(held, archivedThrough, live)) {
        rollForward = Marker.of(inc.number(), held, now, null, true);
        rolledMessages = held;
        newest = inc.number();
        newestMarker = rollForward;
        archivedThrough = rollForward.lastSeq();
      } else if (allLive(held, live)) {
        rollBack = inc.number(); // every message it holds is still live: removing loses nothing
      } else {
        problems.add("archive " + inc.number() + " has no completion marker, does not continue"
            + " the archive chain and holds messages that are not live; left in place");
      }
    }

    int staleCount = 0;
    while (staleCount < live.size() && live.get(staleCount).seq() <= archivedThrough) {
      staleCount++;
    }
    if (staleCount > 0) {
      Map<Long, String> archived = new HashMap<>();
      s.bodies().values().forEach(b -> b.forEach(m -> archived.put(m.seq(), m.id())));
      rolledMessages.forEach(m -> archived.put(m.seq(), m.id()));
      List<String> unconfirmed = new ArrayList<>();
      for (int i = 0; i < staleCount; i++) {
        LiveEntry e = live.get(i);
        if (!e.id().equals(archived.get(e.seq()))) {
          unconfirmed.add("seq " + e.seq() + " (" + e.id() + ")");
        }
      }
      if (!unconfirmed.isEmpty()) {
        problems.add("live message(s) " + abbreviate(unconfirmed) + " are at or below seq "
            + archivedThrough + ", which archive " + newest + "'s marker says is archived, but no"
            + " archive holds them: nothing was dropped (a damaged marker or log)");
        staleCount = 0;
      }
    }

    List<String> staleIds = new ArrayList<>();
    for (int i = 0; i < staleCount; i++) {
      staleIds.add(live.get(i).id());
    }
    long trimThrough = staleCount > 0 ? live.get(staleCount - 1).seq() : 0;
    List<Message> after = messages(live.subList(staleCount, live.size()));

    Meta meta = s.meta();
    boolean disagrees = s.metaCorrupt()
        || (meta == null && newest > 0)
        || (meta != null && (meta.commitCount() != newest
            || meta.archivedThrough() != archivedThrough));
    ObjectNode metaToWrite = disagrees
        ? Meta.rebuilt(mapper, s.sessionId(), s.metaCorrupt() ? null : meta, newest,
            archivedThrough, after.size(), s.logLastSeq(), newestMarker, now)
        : null;
    return new Plan(HealReport.Rule.EXACT, staleIds, trimThrough, rollForward, rollBack,
        metaToWrite, problems, newest, newestMarker, archivedThrough, after);
  }

  private static Plan planImported(Snapshot s) {
    List<String> problems = new ArrayList<>();
    List<LiveEntry> live = s.live();
    Marker newest = s.newestMarker();
    int staleCount = 0;
    HealReport.Rule rule;
    if (newest != null && newest.hasEndingId()) {
      rule = HealReport.Rule.BY_ID;
      int end = lastIndexOf(live, newest.endingId());
      if (end >= 0) {
        Set<String> archived = new HashSet<>();
        s.bodies().values().forEach(b -> b.forEach(m -> archived.add(m.id())));
        List<String> unconfirmed = new ArrayList<>();
        for (int i = 0; i <= end; i++) {
          if (!archived.contains(live.get(i).id())) {
            unconfirmed.add(live.get(i).id());
          }
        }
        if (unconfirmed.isEmpty()) {
          staleCount = end + 1;
        } else {
          problems.add("live message(s) " + abbreviate(unconfirmed) + " precede archive "
              + newest.number() + "'s ending_message_id " + newest.endingId() + " but no archive"
              + " holds them: nothing was dropped");
        }
      }
    } else {
      rule = HealReport.Rule.COUNT;
      Meta meta = s.meta();
      if (meta != null && meta.messageCount().isPresent()) {
        int seqless = 0;
        while (seqless < live.size() && !live.get(seqless).seqInRecord()) {
          seqless++;
        }
        staleCount = Math.max(0, seqless - meta.messageCount().getAsInt());
      }
    }
    List<String> staleIds = new ArrayList<>();
    for (int i = 0; i < staleCount; i++) {
      staleIds.add(live.get(i).id());
    }
    long trimThrough = staleCount > 0 ? live.get(staleCount - 1).seq() : 0;
    return new Plan(rule, staleIds, trimThrough, null, 0, null, problems, s.newest(), newest, 0,
        messages(live.subList(staleCount, live.size())));
  }

  /** Contiguous seqs that start where the archive chain ends, agreeing with the live log. */
  private static boolean continuesChain(List<Message> held, long archivedThrough,
      List<LiveEntry> live) {
    if (held.isEmpty()) {
      return false;
    }
    long expected = archivedThrough > 0 || live.isEmpty() ? archivedThrough + 1 : live.get(0).seq();
    if (archivedThrough == 0 && live.isEmpty()) {
      expected = held.get(0).seq();
    }
    Map<Long, String> liveIds = new HashMap<>();
    live.forEach(e -> liveIds.put(e.seq(), e.id()));
    for (Message m : held) {
      if (m.seq() != expected++) {
        return false;
      }
      String liveId = liveIds.get(m.seq());
      if (liveId != null && !liveId.equals(m.id())) {
        return false;
      }
    }
    return true;
  }

  private static boolean allLive(List<Message> held, List<LiveEntry> live) {
    Map<Long, String> liveIds = new HashMap<>();
    live.forEach(e -> liveIds.put(e.seq(), e.id()));
    for (Message m : held) {
      if (!m.id().equals(liveIds.get(m.seq()))) {
        return false;
      }
    }
    return true;
  }

  private static int lastIndexOf(List<LiveEntry> live, String id) {
    for (int i = live.size() - 1; i >= 0; i--) {
      if (live.get(i).id().equals(id)) {
        return i;
      }
    }
    return -1;
  }

  private static List<Message> messages(List<LiveEntry> entries) {
    List<Message> out = new ArrayList<>(entries.size());
    entries.forEach(e -> out.add(e.message()));
    return out;
  }

  private static String abbreviate(List<String> items) {
    return items.size() <= 5 ? String.join(", ", items)
        : String.join(", ", items.subList(0, 5)) + " and " + (items.size() - 5) + " more";
  }

  /** Whether the plan will need archive bodies to confirm stale candidates. */
  static boolean needsBodies(@Nullable Marker newest, List<LiveEntry> live, boolean imported) {
    if (newest == null || live.isEmpty()) {
      return false;
    }
    if (imported) {
      return newest.hasEndingId() && lastIndexOf(live, newest.endingId()) >= 0;
    }
    return live.get(0).seq() <= newest.lastSeq();
  }
}
