package dev.sessionstore.conformance.selftest;

import dev.sessionstore.conformance.ForwardingBackend;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.Keys;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A backend whose logs live in this class (blobs go to the in-memory reference backend), so that
 * a broken subclass can get the log state machine wrong in ways a wrapper cannot: a trim that
 * rewrites the log from a copy, say. Correct as it stands: list and delete cover the blobs of
 * the delegate and the logs of this class alike.
 */
class ToyLogBackend extends ForwardingBackend {
  /** Log name to its records; the high-water mark lives in {@link #lastSeqs}. */
  protected final Map<String, TreeMap<Long, byte[]>> logs;
  protected final Map<String, Long> lastSeqs;
  protected final Object lock;

  ToyLogBackend(StorageBackend blobs) {
    this(blobs, new TreeMap<>(), new TreeMap<>(), new Object());
  }

  private ToyLogBackend(StorageBackend blobs, Map<String, TreeMap<Long, byte[]>> logs,
      Map<String, Long> lastSeqs, Object lock) {
    super(blobs);
    this.logs = logs;
    this.lastSeqs = lastSeqs;
    this.lock = lock;
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    Keys.requireValidKey(log);
    if (records.isEmpty() || firstSeq < 1) {
      throw new IllegalArgumentException("bad append");
    }
    synchronized (lock) {
      long last = lastSeqs.getOrDefault(log, 0L);
      if (firstSeq != last + 1) {
        throw new ConflictException("expects " + (last + 1));
      }
      TreeMap<Long, byte[]> l = logs.computeIfAbsent(log, k -> new TreeMap<>());
      long seq = firstSeq;
      for (byte[] r : records) {
        l.put(seq++, r.clone());
      }
      lastSeqs.put(log, seq - 1);
    }
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    Keys.requireValidKey(log);
    synchronized (lock) {
      TreeMap<Long, byte[]> l = logs.get(log);
      if (l == null) {
        return LogSlice.empty();
      }
      List<LogRecord> out = new ArrayList<>();
      l.tailMap(Math.max(1, fromSeq)).forEach((s, d) -> out.add(new LogRecord(s, d.clone())));
      return new LogSlice(out, lastSeqs.get(log));
    }
  }

  @Override
  public void trim(String log, long throughSeq) {
    Keys.requireValidKey(log);
    synchronized (lock) {
      TreeMap<Long, byte[]> l = logs.get(log);
      if (l != null) {
        l.headMap(throughSeq, true).clear();
      }
    }
  }

  @Override
  public boolean delete(String key) {
    boolean any = super.delete(key);
    synchronized (lock) {
      if (key.endsWith("/")) {
        any |= logs.keySet().removeIf(k -> k.startsWith(key));
        lastSeqs.keySet().removeIf(k -> k.startsWith(key));
      } else {
        any |= logs.remove(key) != null;
        lastSeqs.remove(key);
      }
    }
    return any;
  }

  @Override
  public List<String> list(String prefix) {
    Keys.requireValidPrefix(prefix);
    TreeSet<String> names = new TreeSet<>(super.list(prefix));
    synchronized (lock) {
      for (String k : logs.keySet()) {
        if (k.startsWith(prefix)) {
          String rest = k.substring(prefix.length());
          int slash = rest.indexOf('/');
          names.add(slash < 0 ? rest : rest.substring(0, slash));
        }
      }
    }
    return List.copyOf(names);
  }
}
