package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reconcile rule as a table: snapshot of storage in, plan out, no backend. Each row names
 * the situation; live and archived messages are written {@code seq:id} (seq 0: an OpenViking
 * record without seq).
 */
class ReconcilerTableTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** What a plan decided, in a comparable form. */
  record Outcome(HealReport.Rule rule, List<String> stale, long trimThrough, int rollForward,
      int rollBack, boolean metaRewritten, int problems, List<String> live) {}

  static Stream<Arguments> table() {
    return Stream.of(
        row("consistent: nothing to do",
            snap().meta(1, 2).marker(1, "1:a", "2:b").live("3:c", "4:d"),
            exact(List.of(), 0, 0, 0, false, 0, "c", "d")),
        row("lost clear after commit(keep 0): every live message is archived",
            snap().meta(1, 3).marker(1, "1:a", "2:b", "3:c").body(1).live("1:a", "2:b", "3:c"),
            exact(List.of("a", "b", "c"), 3, 0, 0, false, 0)),
        row("lost clear after commit(keep 1): the archived head is stale, the tail stays",
            snap().meta(1, 2).marker(1, "1:a", "2:b").body(1).live("1:a", "2:b", "3:c"),
            exact(List.of("a", "b"), 2, 0, 0, false, 0, "c")),
        row("crash between marker and meta: counters rewritten, nothing dropped",
            snap().meta(0, 0).marker(1, "1:a", "2:b").live("3:c"),
            exact(List.of(), 0, 0, 0, true, 0, "c")),
        row("crash between marker and meta with the clear lost too",
            snap().meta(0, 0).marker(1, "1:a", "2:b").body(1).live("1:a", "2:b", "3:c"),
            exact(List.of("a", "b"), 2, 0, 0, true, 0, "c")),
        row("marker's last_seq edited upward: damage reported, nothing dropped",
            snap().meta(1, 3).markerRange(1, 1, 3, "1:a", "2:b").body(1).live("3:c"),
            exact(List.of(), 0, 0, 0, false, 1, "c")),
        row("live record's seq edited downward: the archive holds another id there",
            snap().meta(1, 2).marker(1, "1:a", "2:b").body(1).live("2:x", "3:c"),
            exact(List.of(), 0, 0, 0, false, 1, "x", "c")),
        row("marker without its archive body: stale candidates cannot be confirmed",
            snap().meta(1, 2).marker(1, "1:a", "2:b").live("1:a", "2:b", "3:c"),
            exact(List.of(), 0, 0, 0, false, 1, "a", "b", "c")),
        row("crash between archive and marker: completed (rolled forward), then trimmed",
            snap().meta(0, 0).incomplete(1, "1:a", "2:b").live("1:a", "2:b", "3:c"),
            exact(List.of("a", "b"), 2, 1, 0, true, 0, "c")),
        row("incomplete archive out of chain, all its messages live: removed",
            snap().meta(0, 0).incomplete(1, "2:b").live("1:a", "2:b"),
            exact(List.of(), 0, 0, 1, false, 0, "a", "b")),
        row("incomplete archive holding a message found nowhere else: left, reported",
            snap().meta(0, 0).incomplete(1, "7:x").live("1:a", "2:b"),
            exact(List.of(), 0, 0, 0, false, 1, "a", "b")),
        row("incomplete archive that cannot be decoded: left, reported",
            snap().meta(0, 0).unreadableIncomplete(1).live("1:a"),
            exact(List.of(), 0, 0, 0, false, 1, "a")),
        row("unparsable meta: rebuilt",
            snap().corruptMeta().marker(1, "1:a").live("2:b"),
            exact(List.of(), 0, 0, 0, true, 0, "b")),
        row("new session, no meta yet: nothing written",
            snap().live("1:a"),
            exact(List.of(), 0, 0, 0, false, 0, "a")),
        row("OpenViking lost clear, judged by id",
            snap().legacyMeta(1).ovMarker(1, true, "A", "B").body(1).live("0:A", "0:B", "0:C"),
            outcome(HealReport.Rule.BY_ID, List.of("A", "B"), 2, 0, 0, false, 0, "C")),
        row("OpenViking lost clear with stale counts (the count rule's blind spot), by id",
            snap().legacyMeta(3).ovMarker(1, true, "A", "B").body(1).live("0:A", "0:B", "0:C"),
            outcome(HealReport.Rule.BY_ID, List.of("A", "B"), 2, 0, 0, false, 0, "C")),
        row("OpenViking crash before its meta write (count rule's other blind spot), by id",
            snap().legacyMeta(1).ovMarker(1, true, "A").body(1).live("0:B", "0:C"),
            outcome(HealReport.Rule.BY_ID, List.of(), 0, 0, 0, false, 0, "B", "C")),
        row("OpenViking: ids precede the ending id but no archive holds them",
            snap().legacyMeta(1).ovMarkerIds(1, "A", "B").bodyOf(1, "0:B").live("0:A", "0:B", "0:C"),
            outcome(HealReport.Rule.BY_ID, List.of(), 0, 0, 0, false, 1, "A", "B", "C")),
        row("OpenViking markers without ids: PR 2604's count rule",
            snap().legacyMeta(1).ovMarker(1, false, "A", "B").live("0:A", "0:B", "0:C"),
            outcome(HealReport.Rule.COUNT, List.of("A", "B"), 2, 0, 0, false, 0, "C")),
        row("count rule never counts records written here (they carry seqs)",
            snap().legacyMeta(2).ovMarker(1, false, "Z").live("0:A", "0:B", "3:C"),
            outcome(HealReport.Rule.COUNT, List.of(), 0, 0, 0, false, 0, "A", "B", "C")),
        row("count rule: a meta without message_count drops nothing",
            snap().legacyMetaWithoutCount().ovMarker(1, false, "Z").live("0:A", "0:B"),
            outcome(HealReport.Rule.COUNT, List.of(), 0, 0, 0, false, 0, "A", "B")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void plan(String situation, SnapshotBuilder snapshot, Outcome expected) {
    Plan p = Reconciler.plan(snapshot.build(), "2026-01-01T00:00:00Z", MAPPER);
    List<String> live = new ArrayList<>();
    p.live().forEach(m -> live.add(m.id()));
    Outcome actual = new Outcome(p.rule(), p.staleIds(), p.trimThrough(),
        p.rollForward() == null ? 0 : p.rollForward().number(), p.rollBack(),
        p.metaToWrite() != null, p.problems().size(), live);
    assertEquals(expected, actual, situation + " -> problems " + p.problems());
  }

  // ------------------------------------------------------------------ the table's language

  private static Arguments row(String situation, SnapshotBuilder s, Outcome o) {
    return Arguments.of(situation, s, o);
  }

  private static Outcome exact(List<String> stale, long trim, int rollForward, int rollBack,
      boolean meta, int problems, String... live) {
    return outcome(HealReport.Rule.EXACT, stale, trim, rollForward, rollBack, meta, problems, live);
  }

  private static Outcome outcome(HealReport.Rule rule, List<String> stale, long trim,
      int rollForward, int rollBack, boolean meta, int problems, String... live) {
    return new Outcome(rule, stale, trim, rollForward, rollBack, meta, problems, List.of(live));
  }

  static SnapshotBuilder snap() {
    return new SnapshotBuilder();
  }

  /** Builds a {@link Snapshot}; {@code toString} keeps the test names short. */
  static final class SnapshotBuilder {
    private @Nullable Meta meta;
    private boolean metaCorrupt;
    private int newest;
    private final Map<Integer, Marker> markers = new HashMap<>();
    private final Map<Integer, List<Message>> held = new HashMap<>();
    private final Map<Integer, List<Message>> bodies = new HashMap<>();
    private Snapshot.@Nullable Incomplete incomplete;
    private final List<LiveEntry> live = new ArrayList<>();

    SnapshotBuilder meta(int commitCount, long archivedThrough) {
      ObjectNode n = MAPPER.createObjectNode();
      n.put("format", 2).put("commit_count", commitCount).put("archived_through_seq", archivedThrough);
      meta = new Meta(n);
      return this;
    }

    SnapshotBuilder corruptMeta() {
      metaCorrupt = true;
      return this;
    }

    SnapshotBuilder legacyMeta(int messageCount) {
      meta = new Meta(MAPPER.createObjectNode().put("message_count", messageCount).put("commit_count", 1));
      return this;
    }

    SnapshotBuilder legacyMetaWithoutCount() {
      meta = new Meta(MAPPER.createObjectNode().put("session_id", "s"));
      return this;
    }

    SnapshotBuilder marker(int n, String... messages) {
      List<Message> ms = messages(messages);
      return markerRange(n, ms.get(0).seq(), ms.get(ms.size() - 1).seq(), messages);
    }

    SnapshotBuilder markerRange(int n, long first, long last, String... messages) {
      List<Message> ms = messages(messages);
      markers.put(n, new Marker(n, first, last, ms.size(), ms.get(0).id(),
          ms.get(ms.size() - 1).id(), "t", null, false, false));
      held.put(n, ms);
      newest = Math.max(newest, n);
      return this;
    }

    SnapshotBuilder ovMarker(int n, boolean withIds, String... ids) {
      List<Message> ms = new ArrayList<>();
      for (String id : ids) {
        ms.add(message(0, id));
      }
      markers.put(n, new Marker(n, 0, 0, -1, withIds ? ids[0] : "",
          withIds ? ids[ids.length - 1] : "", null, null, false, false));
      held.put(n, ms);
      newest = Math.max(newest, n);
      return this;
    }

    SnapshotBuilder ovMarkerIds(int n, String first, String last) {
      markers.put(n, new Marker(n, 0, 0, -1, first, last, null, null, false, false));
      newest = Math.max(newest, n);
      return this;
    }

    /** The archive's body was read (to confirm stale candidates), holding what its marker says. */
    SnapshotBuilder body(int n) {
      bodies.put(n, held.get(n));
      return this;
    }

    SnapshotBuilder bodyOf(int n, String... messages) {
      bodies.put(n, messages(messages));
      return this;
    }

    SnapshotBuilder incomplete(int n, String... messages) {
      incomplete = new Snapshot.Incomplete(n, messages(messages), null);
      return this;
    }

    SnapshotBuilder unreadableIncomplete(int n) {
      incomplete = new Snapshot.Incomplete(n, null, "line 1 is not JSON");
      return this;
    }

    SnapshotBuilder live(String... entries) {
      long position = 0;
      for (String e : entries) {
        String[] p = e.split(":");
        long seq = Long.parseLong(p[0]);
        position = seq > 0 ? seq : position + 1;
        live.add(new LiveEntry(message(position, p[1]), seq > 0));
      }
      return this;
    }

    Snapshot build() {
      long last = live.isEmpty() ? 0 : live.get(live.size() - 1).seq();
      return new Snapshot("s", meta, metaCorrupt, newest, markers, incomplete, live, last, bodies,
          meta == null ? null : "v1");
    }

    private static List<Message> messages(String... entries) {
      List<Message> out = new ArrayList<>();
      for (String e : entries) {
        String[] p = e.split(":");
        out.add(message(Long.parseLong(p[0]), p[1]));
      }
      return out;
    }

    private static Message message(long seq, String id) {
      return Message.builder().id(id).role("user").createdAt("t").seq(seq).build();
    }

    @Override
    public String toString() {
      return "snapshot";
    }
  }
}
