package dev.sessionstore.mem;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.Keys;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The reference implementation of the SPI, in memory. One lock orders every operation, which
 * makes each one trivially atomic; it is the model the other backends are measured against.
 * Instances made by {@link #sharing} share one storage, as two processes would share a disk.
 */
final class MemoryBackend implements StorageBackend {
  private final Storage storage;

  MemoryBackend() {
    this(new Storage());
  }

  private MemoryBackend(Storage storage) {
    this.storage = storage;
  }

  /** A second instance over the same storage. */
  MemoryBackend sharing() {
    return new MemoryBackend(storage);
  }

  static final class Storage {
    final TreeMap<String, Blob> blobs = new TreeMap<>();
    final TreeMap<String, MemLog> logs = new TreeMap<>();
    long versionCounter;
  }

  private static final class MemLog {
    final TreeMap<Long, byte[]> records = new TreeMap<>();
    long lastSeq;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.SHARED_STORAGE, Capability.READ_AFTER_WRITE);
  }

  @Override
  public Optional<Blob> get(String key) {
    Keys.requireValidKey(key);
    synchronized (storage) {
      Blob b = storage.blobs.get(key);
      return b == null ? Optional.empty() : Optional.of(new Blob(b.value().clone(), b.version()));
    }
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    Keys.requireValidKey(key);
    synchronized (storage) {
      Blob current = storage.blobs.get(key);
      if (precondition instanceof Precondition.Absent && current != null) {
        throw new ConflictException("blob '" + key + "' already exists");
      }
      if (precondition instanceof Precondition.Matches m) {
        if (current == null) {
          throw new NotFoundException("blob '" + key + "' does not exist");
        }
        if (!current.version().equals(m.version())) {
          throw new ConflictException(
              "blob '" + key + "' is at version " + current.version() + ", not " + m.version());
        }
      }
      String version = Long.toString(++storage.versionCounter);
      storage.blobs.put(key, new Blob(value.clone(), version));
      return version;
    }
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    Keys.requireValidKey(log);
    if (records.isEmpty()) {
      throw new IllegalArgumentException("append needs at least one record");
    }
    if (firstSeq < 1) {
      throw new IllegalArgumentException("firstSeq must be >= 1, was " + firstSeq);
    }
    synchronized (storage) {
      MemLog l = storage.logs.computeIfAbsent(log, k -> new MemLog());
      if (firstSeq != l.lastSeq + 1) {
        if (l.lastSeq == 0 && l.records.isEmpty()) {
          storage.logs.remove(log);
        }
        throw new ConflictException(
            "log '" + log + "' expects seq " + (l.lastSeq + 1) + ", append at " + firstSeq);
      }
      long seq = firstSeq;
      for (byte[] r : records) {
        l.records.put(seq++, r.clone());
      }
      l.lastSeq = seq - 1;
    }
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    Keys.requireValidKey(log);
    synchronized (storage) {
      MemLog l = storage.logs.get(log);
      if (l == null) {
        return LogSlice.empty();
      }
      List<LogRecord> out = new ArrayList<>();
      for (Map.Entry<Long, byte[]> e : l.records.tailMap(Math.max(1, fromSeq)).entrySet()) {
        out.add(new LogRecord(e.getKey(), e.getValue().clone()));
      }
      return new LogSlice(out, l.lastSeq);
    }
  }

  @Override
  public void trim(String log, long throughSeq) {
    Keys.requireValidKey(log);
    synchronized (storage) {
      MemLog l = storage.logs.get(log);
      if (l != null) {
        l.records.headMap(throughSeq, true).clear();
      }
    }
  }

  @Override
  public boolean delete(String key) {
    synchronized (storage) {
      if (key.endsWith("/")) {
        Keys.requireValidPrefix(key);
        boolean any = !storage.blobs.subMap(key, key + Character.MAX_VALUE).isEmpty()
            || !storage.logs.subMap(key, key + Character.MAX_VALUE).isEmpty();
        storage.blobs.subMap(key, key + Character.MAX_VALUE).clear();
        storage.logs.subMap(key, key + Character.MAX_VALUE).clear();
        return any;
      }
      Keys.requireValidKey(key);
      boolean blob = storage.blobs.remove(key) != null;
      boolean log = storage.logs.remove(key) != null;
      return blob || log;
    }
  }

  @Override
  public List<String> list(String prefix) {
    Keys.requireValidPrefix(prefix);
    TreeSet<String> names = new TreeSet<>();
    synchronized (storage) {
      collect(storage.blobs.navigableKeySet().subSet(prefix, prefix + Character.MAX_VALUE), prefix, names);
      collect(storage.logs.navigableKeySet().subSet(prefix, prefix + Character.MAX_VALUE), prefix, names);
    }
    return List.copyOf(names);
  }

  private static void collect(Set<String> keys, String prefix, TreeSet<String> names) {
    for (String k : keys) {
      String rest = k.substring(prefix.length());
      int slash = rest.indexOf('/');
      names.add(slash < 0 ? rest : rest.substring(0, slash));
    }
  }
}
