package dev.sessionstore;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.CorruptStorageException;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The deep check behind {@link SessionStore#check} and {@link SessionStore#repair}: the reconcile
 * plan without applying it, plus everything a reconcile does not look at — every archive's
 * marker against its messages, duplicates, unreadable bytes, gaps in the live log, messages both
 * live and archived. A check writes nothing. A repair fixes only what the stored data itself
 * decides (a marker rebuilt from its archive's messages, an exact duplicate line removed, a
 * log's last line that no append wrote set aside by the backend), copies what it changes into
 * {@code quarantine/} first, and deletes nothing.
 */
final class SessionChecker {
  /** Quarantine name of live records a repair removed as copies of archived messages. */
  private static final String LIVE_COPIES = "messages.jsonl.archived-copies";

  private final SessionStore store;
  private final StorageBackend backend;
  private final String id;
  private final SnapshotReader reader;

  SessionChecker(SessionStore store, String id) {
    this.store = store;
    this.backend = store.backend;
    this.id = id;
    this.reader = new SnapshotReader(backend, store.codec);
  }

  /** One finding; {@code fix} is what a repair would write, or null if it cannot decide. */
  private record Finding(String problem, Runnable fix) {}

  HealReport check() {
    return report(false);
  }

  HealReport repair() {
    for (Finding f : findings().findings) {
      if (f.fix != null) {
        try {
          f.fix.run();
        } catch (SessionStoreException e) {
          // the damage is worse than the fix assumed: the check below reports it
        }
      }
    }
    try {
      store.session(id).reconcile();
    } catch (SessionStoreException e) {
      // reported by the check below
    }
    return report(true);
  }

  private HealReport report(boolean repaired) {
    Findings f = findings();
    List<String> problems = new ArrayList<>();
    f.findings.forEach(x -> problems.add(x.problem));
    Plan p = f.plan;
    if (p == null) {
      return new HealReport(id, HealReport.Rule.EXACT, List.of(), 0, List.of(), List.of(), false,
          problems, repaired);
    }
    return p.report(id, problems, repaired);
  }

  private static final class Findings {
    final List<Finding> findings = new ArrayList<>();
    Plan plan;

    void add(String problem) {
      findings.add(new Finding(problem, null));
    }

    void add(String problem, Runnable fix) {
      findings.add(new Finding(problem, fix));
    }
  }

  private Findings findings() {
    Findings f = new Findings();
    Snapshot s;
    try {
      s = reader.read(id, true);
    } catch (SessionStoreException e) {
      String problem = SessionLayout.root(id) + ": cannot be read: " + e.getMessage();
      if (e instanceof CorruptStorageException) {
        // A backend sets aside what no append wrote (an unfinished or oversized last line of
        // a log) when a writer comes by; a trim that removes nothing is such a writer. Damage
        // before the last line stays, and the check after the repair reports it again.
        f.add(problem, () -> backend.trim(SessionLayout.log(id), 0));
      } else {
        f.add(problem);
      }
      return f;
    }
    Plan plan = Reconciler.plan(s, now(), store.codec.mapper());
    f.plan = plan;
    plan.problems().forEach(f::add);

    Map<String, Archived> archived = new HashMap<>();
    for (int n : reader.archiveNumbers(id)) {
      checkArchive(n, s, f, archived);
    }

    // Seqs run on from the archives (when they carry seqs) through the live log; records at
    // or below the archives' end are the plan's business (stale, or damage it reports).
    Marker newest = plan.newestMarker();
    long previous = newest == null ? 0 : newest.hasSeqs() ? newest.lastSeq() : -1;
    Set<String> liveIds = new HashSet<>();
    String log = SessionLayout.log(id);
    Set<Long> setAside = null;
    for (LiveEntry e : s.live()) {
      if (previous >= 0 && e.seq() > previous + 1) {
        if (setAside == null) {
          setAside = copiesSetAside(archived);
        }
        if (!covers(setAside, previous + 1, e.seq() - 1)) {
          f.add(log + ": seq gap, " + (previous == 0 ? "the log starts at " + e.seq()
              : previous + " is followed by " + e.seq()));
        }
      }
      previous = previous < 0 ? e.seq() : Math.max(previous, e.seq());
      if (!liveIds.add(e.id())) {
        f.add(log + ": message " + e.id() + " is live twice (again at seq " + e.seq() + ")");
      }
    }
    checkLiveAndArchived(s, plan, archived, f);
    return f;
  }

  /**
   * The seqs of live records an earlier repair moved to quarantine as exact copies of archived
   * messages: the gap they leave in the log is the repair's, not damage.
   */
  private Set<Long> copiesSetAside(Map<String, Archived> archived) {
    Set<Long> seqs = new HashSet<>();
    String dir = SessionLayout.quarantine(id);
    for (String name : backend.list(dir)) {
      if (!name.startsWith(LIVE_COPIES)) {
        continue;
      }
      Optional<Blob> blob = backend.get(dir + name);
      List<Message> copies = blob.isEmpty() ? null : decodeOrNull(blob.get(), dir + name);
      for (Message m : copies == null ? List.<Message>of() : copies) {
        Archived a = archived.get(m.id());
        if (a != null && a.message().sameContent(m)) {
          seqs.add(m.seq());
        }
      }
    }
    return seqs;
  }

  private static boolean covers(Set<Long> seqs, long from, long to) {
    for (long q = from; q <= to; q++) {
      if (!seqs.contains(q)) {
        return false;
      }
    }
    return true;
  }

  /** A message archived in archive {@code number}, as that archive holds it. */
  private record Archived(int number, Message message) {}

  /**
   * Live messages that an archive holds too (what a retry across a commit once stored). A repair
   * removes them only where the data decides: a run at the head of the live log, each an exact
   * copy of its archived message, so the trim that removes them takes nothing else. Their
   * records go to quarantine first.
   */
  private void checkLiveAndArchived(Snapshot s, Plan plan, Map<String, Archived> archived,
      Findings f) {
    String log = SessionLayout.log(id);
    List<Message> headCopies = new ArrayList<>();
    int fixAt = -1;
    boolean atHead = true;
    for (Message m : plan.live()) {
      Archived a = archived.get(m.id());
      boolean exactCopy = a != null && a.message().sameContent(m);
      atHead &= exactCopy;
      if (a == null) {
        continue;
      }
      if (atHead) {
        headCopies.add(m);
        fixAt = f.findings.size();
      }
      f.add(log + ": message " + m.id() + " (seq " + m.seq() + ") is live and also in "
          + SessionLayout.archiveName(a.number()) + (exactCopy ? "" : ", with other content"));
    }
    if (headCopies.isEmpty()) {
      return;
    }
    long through = headCopies.get(headCopies.size() - 1).seq();
    Set<Long> copySeqs = new HashSet<>();
    headCopies.forEach(m -> copySeqs.add(m.seq()));
    boolean onlyCopiesGo = s.live().stream().filter(e -> e.seq() <= through)
        .allMatch(e -> e.seq() <= plan.trimThrough() || copySeqs.contains(e.seq()));
    if (onlyCopiesGo) {
      // one trim removes every copy at the head: it is the fix of the last one's finding
      f.findings.set(fixAt, new Finding(f.findings.get(fixAt).problem, () -> {
        putQuarantined(LIVE_COPIES, store.codec.encodeJsonl(headCopies));
        backend.trim(log, through);
      }));
    }
  }

  private void checkArchive(int n, Snapshot s, Findings f, Map<String, Archived> archived) {
    String markerKey = SessionLayout.marker(id, n);
    String bodyKey = SessionLayout.archiveMessages(id, n);
    Optional<Blob> markerBlob = backend.get(markerKey);
    Optional<Blob> bodyBlob = backend.get(bodyKey);
    if (markerBlob.isEmpty()) {
      if (bodyBlob.isPresent() && n != s.newest() + 1) {
        List<Message> body = decodeOrNull(bodyBlob.get(), bodyKey);
        String problem = bodyKey + ": archive messages without a completion marker (.done),"
            + " so they are not visible";
        if (body != null && contiguous(body)) {
          f.add(problem, () -> putIfAbsent(markerKey,
              Marker.of(n, body, now(), null, false)));
        } else {
          f.add(problem + "; cannot rebuild the marker from them");
        }
      }
      return;
    }
    Marker marker;
    try {
      marker = Marker.parse(n, store.codec.readObject(markerBlob.get().value(), markerKey));
    } catch (CorruptSessionException e) {
      f.add(markerKey + ": " + e.getMessage());
      return;
    }
    if (bodyBlob.isEmpty()) {
      f.add(markerKey + ": completion marker without its archive messages (" + bodyKey + ")");
      return;
    }
    List<Message> body;
    try {
      body = store.codec.decodeJsonl(bodyBlob.get().value(), bodyKey);
    } catch (CorruptSessionException e) {
      f.add(bodyKey + ": " + e.getMessage() + "; not repaired (a copy goes to quarantine)",
          () -> quarantine(bodyKey, bodyBlob.get()));
      return;
    }
    List<Message> unique = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    boolean onlyExactDuplicates = true;
    Map<String, Message> firstById = new HashMap<>();
    for (Message m : body) {
      if (seen.add(m.id())) {
        unique.add(m);
        firstById.put(m.id(), m);
      } else {
        onlyExactDuplicates &= firstById.get(m.id()).equals(m);
        f.add(bodyKey + ": message " + m.id() + " appears more than once");
      }
    }
    if (unique.size() < body.size() && onlyExactDuplicates && contiguous(unique)) {
      // replace the last finding's fix: one rewrite removes every exact duplicate
      Finding last = f.findings.remove(f.findings.size() - 1);
      f.add(last.problem, () -> {
        quarantine(bodyKey, bodyBlob.get());
        replace(bodyKey, store.codec.encodeJsonl(unique), bodyBlob.get().version());
      });
      body = unique;
    }
    unique.forEach(m -> archived.put(m.id(), new Archived(n, m)));
    if (marker.imported() || !marker.hasSeqs()) {
      if (marker.messageCount() >= 0 && marker.messageCount() != body.size()) {
        f.add(markerKey + ": message_count " + marker.messageCount() + " but its archive holds "
            + body.size());
      }
      return;
    }
    if (body.isEmpty()) {
      f.add(bodyKey + ": empty, but its marker says seqs " + marker.firstSeq() + "-"
          + marker.lastSeq());
      return;
    }
    Marker fromBody = Marker.of(n, body, marker.createdAt() == null ? now() : marker.createdAt(),
        marker.summary(), false);
    if (!fromBody.sameRange(marker) || !contiguous(body)) {
      String problem = markerKey + ": says seqs " + marker.firstSeq() + "-" + marker.lastSeq()
          + ", " + marker.messageCount() + " messages, ids " + marker.startingId() + ".."
          + marker.endingId() + "; its archive holds seqs " + fromBody.firstSeq() + "-"
          + fromBody.lastSeq() + ", " + body.size() + " messages, ids " + fromBody.startingId()
          + ".." + fromBody.endingId();
      if (contiguous(body)) {
        f.add(problem, () -> {
          quarantine(markerKey, markerBlob.get());
          replace(markerKey, store.codec.write(fromBody.toJson(store.codec.mapper())),
              markerBlob.get().version());
        });
      } else {
        f.add(problem + " with gaps; not repaired");
      }
    }
  }

  private List<Message> decodeOrNull(Blob b, String key) {
    try {
      return store.codec.decodeJsonl(b.value(), key);
    } catch (CorruptSessionException e) {
      return null;
    }
  }

  private static boolean contiguous(List<Message> body) {
    if (body.isEmpty() || body.get(0).seq() < 1) {
      return false;
    }
    for (int i = 1; i < body.size(); i++) {
      if (body.get(i).seq() != body.get(i - 1).seq() + 1) {
        return false;
      }
    }
    return true;
  }

  private void putIfAbsent(String key, Marker marker) {
    try {
      backend.put(key, store.codec.write(marker.toJson(store.codec.mapper())), Precondition.absent());
    } catch (ConflictException e) {
      // someone else completed it
    }
  }

  private void replace(String key, byte[] value, String version) {
    try {
      backend.put(key, value, Precondition.matches(version));
    } catch (ConflictException | NotFoundException e) {
      // changed under us: the check after the repair reports what is left
    }
  }

  private void quarantine(String key, Blob blob) {
    putQuarantined(key.substring(SessionLayout.root(id).length()).replace('/', '.'),
        blob.value());
  }

  private void putQuarantined(String name, byte[] value) {
    backend.put(SessionLayout.quarantine(id) + name + "." + store.clock.millis(), value,
        Precondition.none());
  }

  private String now() {
    return java.time.Instant.now(store.clock).toString();
  }
}
