package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.HealReport;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The session-level invariant of the fault catalogue, checked on a freshly opened store. */
final class SessionChecks {
  private SessionChecks() {}

  /** A store over {@code b} that leaves {@code b} open when it is closed. */
  static SessionStore store(StorageBackend b) {
    return SessionStore.builder().backend(new NonClosingBackend(b)).build();
  }

  /** Every message text of the session, archived then live, as a fresh store reads it. */
  static List<String> historyTexts(StorageBackend b, String id) {
    try (SessionStore s = store(b)) {
      Session session = s.session(id);
      List<String> out = new ArrayList<>();
      for (ArchiveInfo a : session.archives()) {
        out.addAll(texts(session.archiveMessages(a.number())));
      }
      out.addAll(texts(session.messages()));
      return out;
    }
  }

  /** What a reopened store saw. */
  record View(List<ArchiveInfo> archives, List<Message> archived, List<Message> live) {
    List<Message> history() {
      List<Message> all = new ArrayList<>(archived);
      all.addAll(live);
      return all;
    }
  }

  static List<String> texts(Collection<Message> messages) {
    return messages.stream().map(Message::text).collect(Collectors.toList());
  }

  static List<String> ids(Collection<Message> messages) {
    return messages.stream().map(Message::id).collect(Collectors.toList());
  }

  static List<Long> seqs(Collection<Message> messages) {
    return messages.stream().map(Message::seq).collect(Collectors.toList());
  }

  /**
   * Opens a new store over {@code b} (as a restarted process would), loads session {@code id}
   * and checks: every acknowledged message is present exactly once, live or archived, in the
   * order it was acknowledged; nothing else is present but messages whose write was attempted
   * and not acknowledged; seqs strictly increase; no live message is covered by an archive;
   * archives are numbered 1..N, each complete (marker and messages agree); the heal was written
   * (no stale record left in the log) and a second reconcile finds nothing to do.
   */
  static View assertInvariant(
      StorageBackend b, String id, List<Message> acked, Collection<Message> attempted,
      String context) {
    View v;
    try (SessionStore store = store(b)) {
      Session s = store.session(id);
      List<Message> live = s.messages();
      List<ArchiveInfo> archives = s.archives();
      List<Message> archived = new ArrayList<>();
      int expected = 1;
      for (ArchiveInfo a : archives) {
        assertEquals(expected++, a.number(), context + ": archives must be numbered 1..N, got "
            + archives);
        List<Message> held = s.archiveMessages(a.number());
        assertEquals(a.messageCount(), held.size(),
            context + ": archive " + a.number() + " must hold what its marker says");
        if (!held.isEmpty()) {
          assertEquals(a.firstSeq(), held.get(0).seq(), context + ": archive " + a.number());
          assertEquals(a.lastSeq(), held.get(held.size() - 1).seq(),
              context + ": archive " + a.number());
        }
        archived.addAll(held);
      }
      v = new View(archives, archived, live);
    }
    List<Message> history = v.history();
    String shown = context + "; archived " + texts(v.archived()) + ", live " + texts(v.live());

    // exactly once
    Set<String> seen = new HashSet<>();
    for (Message m : history) {
      assertTrue(seen.add(m.id()), shown + ": message '" + m.text() + "' (" + m.id()
          + ") is present twice");
    }
    // every acknowledged one, in order
    List<String> order = ids(history);
    int last = -1;
    for (Message m : acked) {
      int at = order.indexOf(m.id());
      assertTrue(at >= 0, shown + ": acknowledged message '" + m.text() + "' was lost");
      assertTrue(at > last, shown + ": acknowledged message '" + m.text() + "' is out of order");
      last = at;
    }
    // nothing that was never written
    Set<String> allowed = new HashSet<>(ids(acked));
    allowed.addAll(ids(attempted));
    for (Message m : history) {
      assertTrue(allowed.contains(m.id()), shown + ": unknown message '" + m.text() + "'");
    }
    // seqs strictly increasing across archives and live: no stale live message
    long prev = 0;
    for (Message m : history) {
      assertTrue(m.seq() > prev, shown + ": seq " + m.seq() + " of '" + m.text()
          + "' does not follow " + prev + " (a stale live message or an overlapping archive)");
      prev = m.seq();
    }
    // the heal is on storage, not only in memory
    long archivedThrough = v.archives().isEmpty() ? 0
        : v.archives().get(v.archives().size() - 1).lastSeq();
    LogSlice raw = b.read(SessionLayout.log(id), 1);
    for (LogRecord r : raw.records()) {
      assertTrue(r.seq() > archivedThrough, shown + ": the live log still holds seq " + r.seq()
          + ", covered by an archive; the heal was not written");
    }
    for (String name : b.list(SessionLayout.history(id))) {
      assertTrue(b.get(SessionLayout.history(id) + name + "/.done").isPresent(),
          shown + ": archive " + name + " is incomplete (no .done) after reconcile");
    }
    try (SessionStore again = store(b)) {
      HealReport r = again.check(id);
      assertTrue(r.clean(), shown + ": a second reconcile must find nothing to repair: " + r);
    }
    return v;
  }

  /**
   * Every blob and log under {@code prefix}, with versions and contents, to prove that an
   * operation wrote nothing.
   */
  static Map<String, String> snapshot(StorageBackend b, String prefix) {
    Map<String, String> out = new TreeMap<>();
    collect(b, prefix, out, 0);
    return out;
  }

  private static void collect(StorageBackend b, String prefix, Map<String, String> out, int depth) {
    if (depth > 16) {
      fail("key tree deeper than 16 levels under " + prefix);
    }
    for (String name : b.list(prefix)) {
      String key = prefix + name;
      Optional<Blob> blob = b.get(key);
      blob.ifPresent(x -> out.put(key, "blob@" + x.version() + ":"
          + new String(x.value(), StandardCharsets.UTF_8)));
      LogSlice log = b.read(key, 1);
      if (log.lastSeq() > 0) {
        StringBuilder sb = new StringBuilder("log@" + log.lastSeq());
        for (LogRecord r : log.records()) {
          sb.append('\n').append(r.seq()).append(' ')
              .append(new String(r.data(), StandardCharsets.UTF_8));
        }
        out.put(key + "#log", sb.toString());
      }
      collect(b, key + "/", out, depth + 1);
    }
  }

  /** Collects heal reports. */
  static final class Heals implements dev.sessionstore.HealListener {
    final List<HealReport> reports = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onHeal(HealReport report) {
      reports.add(report);
    }
  }

  static Map<String, Long> countIds(List<Message> messages) {
    Map<String, Long> counts = new HashMap<>();
    for (Message m : messages) {
      counts.merge(m.id(), 1L, Long::sum);
    }
    return counts;
  }
}
