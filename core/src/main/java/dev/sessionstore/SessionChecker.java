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

    Map<String, Integer> archivedIn = new HashMap<>();
    for (int n : reader.archiveNumbers(id)) {
      checkArchive(n, s, f, archivedIn);
    }

    long previous = 0;
    Set<String> liveIds = new HashSet<>();
    String log = SessionLayout.log(id);
    for (LiveEntry e : s.live()) {
      if (previous > 0 && e.seq() != previous + 1) {
        f.add(log + ": seq gap, " + previous + " is followed by " + e.seq());
      }
      previous = e.seq();
      if (!liveIds.add(e.id())) {
        f.add(log + ": message " + e.id() + " is live twice (again at seq " + e.seq() + ")");
      }
    }
    for (Message m : plan.live()) {
      Integer n = archivedIn.get(m.id());
      if (n != null) {
        f.add(log + ": message " + m.id() + " (seq " + m.seq() + ") is live and also in "
            + SessionLayout.archiveName(n));
      }
    }
    return f;
  }

  private void checkArchive(int n, Snapshot s, Findings f, Map<String, Integer> archivedIn) {
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
    unique.forEach(m -> archivedIn.put(m.id(), n));
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
    String name = key.substring(SessionLayout.root(id).length()).replace('/', '.')
        + "." + store.clock.millis();
    backend.put(SessionLayout.quarantine(id) + name, blob.value(), Precondition.none());
  }

  private String now() {
    return java.time.Instant.now(store.clock).toString();
  }
}
