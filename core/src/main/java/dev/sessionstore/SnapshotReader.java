package dev.sessionstore;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.IntToLongFunction;

/**
 * Reads what a reconcile needs: the meta, the newest completion marker (starting from the meta's
 * hint and probing upwards), optionally the archive after it, the live log, and archive bodies
 * only when live entries look stale and must be confirmed. A consistent session costs four
 * calls: meta, marker N, marker N+1, log.
 */
final class SnapshotReader {
  private final StorageBackend backend;
  private final Codec codec;

  SnapshotReader(StorageBackend backend, Codec codec) {
    this.backend = backend;
    this.codec = codec;
  }

  Snapshot read(String id, boolean probeIncomplete) {
    String metaKey = SessionLayout.meta(id);
    Blob metaBlob = backend.get(metaKey).orElse(null);
    Meta meta = null;
    boolean metaCorrupt = false;
    if (metaBlob != null) {
      try {
        meta = new Meta(codec.readObject(metaBlob.value(), metaKey));
      } catch (CorruptSessionException e) {
        metaCorrupt = true; // meta is only a cache: the plan rebuilds it
      }
    }

    Map<Integer, Marker> markers = new HashMap<>();
    int hint = meta != null ? meta.commitCount() : -1;
    int newest = 0;
    if (hint > 0) {
      Optional<Marker> hinted = readMarker(id, hint);
      if (hinted.isPresent()) {
        newest = hint;
        markers.put(hint, hinted.get());
      } else {
        newest = scanForNewest(id, markers);
      }
    } else if (hint < 0) {
      newest = scanForNewest(id, markers);
    }
    Snapshot.Incomplete incomplete = null;
    while (true) {
      for (Optional<Marker> next = readMarker(id, newest + 1); next.isPresent();
          next = readMarker(id, newest + 1)) {
        newest++;
        markers.put(newest, next.get());
      }
      if (!probeIncomplete) {
        break;
      }
      String key = SessionLayout.archiveMessages(id, newest + 1);
      Optional<Blob> body = backend.get(key);
      if (body.isEmpty()) {
        break;
      }
      // Damage a commit stepped over leaves a gap: look one further before calling it incomplete.
      Optional<Marker> beyond = readMarker(id, newest + 2);
      if (beyond.isPresent()) {
        newest += 2;
        markers.put(newest, beyond.get());
        continue;
      }
      try {
        incomplete = new Snapshot.Incomplete(newest + 1,
            codec.decodeJsonl(body.get().value(), key), null);
      } catch (CorruptSessionException e) {
        incomplete = new Snapshot.Incomplete(newest + 1, null, e.getMessage());
      }
      break;
    }

    String logKey = SessionLayout.log(id);
    Marker newestSoFar = markers.get(newest);
    long chainEnd = newestSoFar == null ? 0 : newestSoFar.lastSeq();
    boolean seqChain = newestSoFar == null || newestSoFar.hasSeqs();
    LogSlice slice = backend.read(logKey, 1);
    // A backend whose listing lags a write can return a log with a hole; read again (twice at
    // most) before anyone acts on it. A hole that stays is reported by check.
    for (int again = 0; again < 2 && hasHole(slice, chainEnd, seqChain); again++) {
      slice = backend.read(logKey, 1);
    }
    List<LiveEntry> live = new ArrayList<>(slice.records().size());
    for (LogRecord r : slice.records()) {
      live.add(codec.decodeEntry(r.data(), r.seq(), logKey, 0));
    }

    Marker newestMarker = markers.get(newest);
    boolean openViking = Reconciler.inOpenVikingFormat(meta, metaCorrupt, newestMarker);
    Map<Integer, List<Message>> bodies = new HashMap<>();
    if (Reconciler.needsBodies(newestMarker, live, openViking)) {
      readConfirmingBodies(id, newest, markers, live, openViking, bodies);
    }
    return new Snapshot(id, meta, metaCorrupt, newest, markers, incomplete, live,
        slice.lastSeq(), bodies, metaBlob == null ? null : metaBlob.version());
  }

  /**
   * Reads archive bodies from the newest down until every stale candidate could be confirmed:
   * by seq range for sessions written here, by id for imported ones.
   */
  private void readConfirmingBodies(String id, int newest, Map<Integer, Marker> markers,
      List<LiveEntry> live, boolean openViking, Map<Integer, List<Message>> bodies) {
    long lowest = live.get(0).seq();
    Set<String> wanted = new HashSet<>();
    if (openViking) {
      String end = markers.get(newest).endingId();
      for (LiveEntry e : live) {
        wanted.add(e.id());
        if (e.id().equals(end)) {
          break;
        }
      }
    }
    for (int n = newest; n >= 1; n--) {
      Marker m = markers.get(n);
      if (m == null) {
        m = readMarker(id, n).orElse(null);
        if (m == null) {
          break;
        }
        markers.put(n, m);
      }
      String key = SessionLayout.archiveMessages(id, n);
      Optional<Blob> body = backend.get(key);
      if (body.isPresent()) {
        try {
          List<Message> held = codec.decodeJsonl(body.get().value(), key);
          bodies.put(n, held);
          held.forEach(msg -> wanted.remove(msg.id()));
        } catch (CorruptSessionException e) {
          // unreadable: its candidates stay unconfirmed and the plan reports them
        }
      }
      boolean done = openViking ? wanted.isEmpty() : m.hasSeqs() && m.firstSeq() <= lowest;
      if (done || (!openViking && !m.hasSeqs())) {
        break;
      }
    }
  }

  /**
   * Whether {@code count} live records, the i-th with seq {@code seqAt(i)}, skip a seq or start
   * past the end of the archive chain ({@code chainEnd + 1}; not checked when {@code seqChain}
   * is false, because imported archives carry no seqs). A commit that trimmed past such a hole
   * would remove a record it never saw.
   */
  static boolean hasHole(int count, IntToLongFunction seqAt, long chainEnd, boolean seqChain) {
    if (count == 0) {
      return false;
    }
    for (int i = 1; i < count; i++) {
      if (seqAt.applyAsLong(i) != seqAt.applyAsLong(i - 1) + 1) {
        return true;
      }
    }
    return seqChain && seqAt.applyAsLong(0) > chainEnd + 1;
  }

  private static boolean hasHole(LogSlice slice, long chainEnd, boolean seqChain) {
    List<LogRecord> records = slice.records();
    return hasHole(records.size(), i -> records.get(i).seq(), chainEnd, seqChain);
  }

  Optional<Marker> readMarker(String id, int number) {
    String key = SessionLayout.marker(id, number);
    return backend.get(key).map(b -> Marker.parse(number, codec.readObject(b.value(), key)));
  }

  /** Without a usable hint: list the archives and take the highest that has a marker. */
  private int scanForNewest(String id, Map<Integer, Marker> markers) {
    List<Integer> numbers = archiveNumbers(id);
    numbers.sort(Collections.reverseOrder());
    for (int n : numbers) {
      Optional<Marker> marker = readMarker(id, n);
      if (marker.isPresent()) {
        markers.put(n, marker.get());
        return n;
      }
    }
    return 0;
  }

  List<Integer> archiveNumbers(String id) {
    List<Integer> numbers = new ArrayList<>();
    for (String name : backend.list(SessionLayout.history(id))) {
      OptionalInt n = SessionLayout.archiveNumber(name);
      if (n.isPresent()) {
        numbers.add(n.getAsInt());
      }
    }
    Collections.sort(numbers);
    return numbers;
  }
}
