package dev.sessionstore.conformance.selftest;

import dev.sessionstore.conformance.ConformanceKit;
import dev.sessionstore.conformance.ForwardingBackend;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Deliberately broken backends, each a wrapper around the in-memory reference backend (or
 * {@link ToyLogBackend}) that gets one rule wrong, and a kit subclass for each. Not test classes
 * themselves (surefire skips nested classes): {@link BrokenBackendsTest} runs each through
 * {@link dev.sessionstore.conformance.KitRunner} and expects its rule to fail with its message.
 */
final class BrokenBackends {
  private BrokenBackends() {}

  /** A kit over mem backends wrapped by {@link #wrap}; second instances are wrapped too. */
  abstract static class BrokenKit extends ConformanceKit {
    abstract StorageBackend wrap(StorageBackend mem);

    @Override
    protected StorageBackend createBackend() {
      return wrap(MemoryStorageProvider.newBackend());
    }

    @Override
    protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) {
      return Optional.of(wrap(MemoryStorageProvider.sharing(
          ((ForwardingBackend) backend).delegate())));
    }
  }

  // ---- blobs and versions ----------------------------------------------------------------------

  /** put ignores its precondition (fault 12 of the catalogue). */
  static final class IgnoresPreconditionsKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          return delegate().put(key, value, Precondition.none());
        }
      };
    }
  }

  /** put(matches(v)) on a missing blob throws ConflictException instead of NotFoundException. */
  static final class MatchesOnMissingConflictsKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          try {
            return delegate().put(key, value, precondition);
          } catch (NotFoundException e) {
            throw new ConflictException("no such blob");
          }
        }
      };
    }
  }

  /** An empty value reads back as a missing blob (as a store that drops empty objects). */
  static final class EmptyValueIsMissingKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public Optional<Blob> get(String key) {
          return delegate().get(key).filter(b -> b.value().length > 0);
        }
      };
    }
  }

  /** The version is a hash of the content, like an S3 ETag: equal content, equal version. */
  static final class VersionFromContentHashKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new VersionMapping(mem) {
        @Override
        String nextVersion(String key, byte[] value) {
          try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(value));
          } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
          }
        }
      };
    }
  }

  /** Versions count per key and restart at 1 after a single-key delete (ABA). */
  static final class VersionReusedAfterDeleteKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new VersionMapping(mem) {
        @Override
        public boolean delete(String key) {
          counters.remove(key);
          return super.delete(key);
        }
      };
    }
  }

  /** Versions count per key and restart at 1 after a prefix delete (ABA), not a single one. */
  static final class VersionReusedAfterPrefixDeleteKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new VersionMapping(mem) {
        @Override
        public boolean delete(String key) {
          if (key.endsWith("/")) {
            counters.keySet().removeIf(k -> k.startsWith(key));
          }
          return super.delete(key);
        }
      };
    }
  }

  /**
   * Versions of its own over the delegate's: a counter per key, kept across deletes unless a
   * subclass drops it. Preconditions are checked against its own versions.
   */
  abstract static class VersionMapping extends ForwardingBackend {
    final Map<String, Long> counters = new HashMap<>();
    private final Map<String, String> current = new HashMap<>();

    VersionMapping(StorageBackend delegate) {
      super(delegate);
    }

    String nextVersion(String key, byte[] value) {
      return "v" + counters.merge(key, 1L, Long::sum);
    }

    @Override
    public synchronized Optional<Blob> get(String key) {
      return delegate().get(key).map(b -> new Blob(b.value(), current.get(key)));
    }

    @Override
    public synchronized String put(String key, byte[] value, Precondition precondition) {
      boolean exists = delegate().get(key).isPresent();
      if (precondition instanceof Precondition.Absent && exists) {
        throw new ConflictException("exists");
      }
      if (precondition instanceof Precondition.Matches m) {
        if (!exists) {
          throw new NotFoundException("missing");
        }
        if (!m.version().equals(current.get(key))) {
          throw new ConflictException("stale");
        }
      }
      delegate().put(key, value, Precondition.none());
      String v = nextVersion(key, value);
      current.put(key, v);
      return v;
    }

    @Override
    public synchronized boolean delete(String key) {
      return delegate().delete(key);
    }
  }

  /** put keeps the caller's array. */
  static final class KeepsPutArrayKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Map<String, byte[]> kept = new ConcurrentHashMap<>();
      return new ForwardingBackend(mem) {
        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          String v = delegate().put(key, value, precondition);
          kept.put(key, value);
          return v;
        }

        @Override
        public Optional<Blob> get(String key) {
          return delegate().get(key).map(b -> new Blob(kept.getOrDefault(key, b.value()),
              b.version()));
        }
      };
    }
  }

  /** get hands out the array it caches, so a caller's change corrupts the next get. */
  static final class SharesGetArrayKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Map<String, Blob> cache = new ConcurrentHashMap<>();
      return new ForwardingBackend(mem) {
        @Override
        public Optional<Blob> get(String key) {
          Optional<Blob> b = delegate().get(key);
          if (b.isEmpty()) {
            return b;
          }
          Blob cached = cache.get(key);
          if (cached == null || !cached.version().equals(b.get().version())) {
            cache.put(key, b.get());
            cached = b.get();
          }
          return Optional.of(cached);
        }
      };
    }
  }

  /** Values above 64 KiB are cut to 65,535 bytes, as a BLOB column does. */
  static final class TruncatesLargeBlobsKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          return delegate().put(key, Arrays.copyOf(value, Math.min(value.length, 65_535)),
              precondition);
        }
      };
    }
  }

  // ---- logs ------------------------------------------------------------------------------------

  /** Records above 1 MiB are cut to 1 MiB (a column sized for "one message"). */
  static final class TruncatesLargeRecordsKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return truncatesRecords(mem, 1 << 20);
    }
  }

  /** append swallows its conflict: a taken seq reports success and writes nothing. */
  static final class SwallowsAppendConflictKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          try {
            delegate().append(log, firstSeq, records);
          } catch (ConflictException e) {
            // broken on purpose: the caller believes its records were stored
          }
        }
      };
    }
  }

  /** append past the next seq is accepted: the records are stored at the next free seqs. */
  static final class AcceptsGapKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public synchronized void append(String log, long firstSeq, List<byte[]> records) {
          long last = delegate().read(log, Long.MAX_VALUE).lastSeq();
          delegate().append(log, firstSeq > last + 1 ? last + 1 : firstSeq, records);
        }
      };
    }
  }

  /** A batch overlapping the end writes its free part, then reports the conflict. */
  static final class PartialConflictingBatchKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public synchronized void append(String log, long firstSeq, List<byte[]> records) {
          try {
            delegate().append(log, firstSeq, records);
          } catch (ConflictException e) {
            long last = delegate().read(log, Long.MAX_VALUE).lastSeq();
            long end = firstSeq + records.size() - 1;
            if (last >= firstSeq && last < end) {
              delegate().append(log, last + 1,
                  records.subList((int) (last + 1 - firstSeq), records.size()));
            }
            throw e;
          }
        }
      };
    }
  }

  /** An empty batch is accepted silently. */
  static final class AcceptsEmptyBatchKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          if (!records.isEmpty()) {
            delegate().append(log, firstSeq, records);
          }
        }
      };
    }
  }

  /** append keeps the caller's arrays and serves reads from them. */
  static final class KeepsAppendArraysKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Map<String, byte[]> kept = new ConcurrentHashMap<>();
      return new ForwardingBackend(mem) {
        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          delegate().append(log, firstSeq, records);
          for (int i = 0; i < records.size(); i++) {
            kept.put(log + "#" + (firstSeq + i), records.get(i));
          }
        }

        @Override
        public LogSlice read(String log, long fromSeq) {
          LogSlice s = delegate().read(log, fromSeq);
          List<LogRecord> out = new ArrayList<>();
          s.records().forEach(r -> out.add(new LogRecord(r.seq(),
              kept.getOrDefault(log + "#" + r.seq(), r.data()))));
          return new LogSlice(out, s.lastSeq());
        }
      };
    }
  }

  /** read hands out the arrays it caches, so a caller's change corrupts the next read. */
  static final class SharesReadArraysKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Map<String, byte[]> cache = new ConcurrentHashMap<>();
      return new ForwardingBackend(mem) {
        @Override
        public LogSlice read(String log, long fromSeq) {
          LogSlice s = delegate().read(log, fromSeq);
          List<LogRecord> out = new ArrayList<>();
          s.records().forEach(r -> out.add(new LogRecord(r.seq(),
              cache.computeIfAbsent(log + "#" + r.seq(), k -> r.data()))));
          return new LogSlice(out, s.lastSeq());
        }
      };
    }
  }

  /** read ignores fromSeq and returns the whole log. */
  static final class ReadIgnoresFromSeqKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public LogSlice read(String log, long fromSeq) {
          return delegate().read(log, 1);
        }
      };
    }
  }

  /** read orders records by their seq as text (ORDER BY a VARCHAR column): 10 before 2. */
  static final class ReadOrdersSeqsAsTextKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public LogSlice read(String log, long fromSeq) {
          LogSlice s = delegate().read(log, fromSeq);
          List<LogRecord> out = new ArrayList<>(s.records());
          out.sort(Comparator.comparing(r -> Long.toString(r.seq())));
          return new LogSlice(out, s.lastSeq());
        }
      };
    }
  }

  /** The high-water mark is taken from the records returned, so reading past the end says 0. */
  static final class HighWaterMarkFromRecordsKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public LogSlice read(String log, long fromSeq) {
          LogSlice s = delegate().read(log, fromSeq);
          long last = s.records().isEmpty() ? 0 : s.records().get(s.records().size() - 1).seq();
          return new LogSlice(s.records(), last);
        }
      };
    }
  }

  // ---- trim ------------------------------------------------------------------------------------

  /** trim does nothing. */
  static final class NoOpTrimKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void trim(String log, long throughSeq) {}
      };
    }
  }

  /** trim stops one short (an exclusive bound where an inclusive one was meant). */
  static final class TrimOffByOneKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void trim(String log, long throughSeq) {
          delegate().trim(log, throughSeq - 1);
        }
      };
    }
  }

  /** trim that empties a log forgets the log's high-water mark (it deletes the log). */
  static final class ForgetsHighWaterMarkKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void trim(String log, long throughSeq) {
          delegate().trim(log, throughSeq);
          if (delegate().read(log, 1).records().isEmpty()) {
            delegate().delete(log);
          }
        }
      };
    }
  }

  /** A trim of a missing log creates it, empty (an upsert of the log's row). */
  static final class TrimCreatesMissingLogKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new PhantomLogs(mem, false);
    }
  }

  /** A read of a missing log creates it, empty (a get-or-create of the log's row). */
  static final class ReadCreatesMissingLogKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new PhantomLogs(mem, true);
    }
  }

  /** Empty logs made by an idle trim or read, which list shows and delete reports. */
  static final class PhantomLogs extends ForwardingBackend {
    private final Set<String> phantoms = ConcurrentHashMap.newKeySet();
    private final boolean onRead;

    PhantomLogs(StorageBackend delegate, boolean onRead) {
      super(delegate);
      this.onRead = onRead;
    }

    private void touch(String log) {
      if (delegate().read(log, Long.MAX_VALUE).lastSeq() == 0) {
        phantoms.add(log);
      }
    }

    @Override
    public LogSlice read(String log, long fromSeq) {
      if (onRead) {
        touch(log);
      }
      return delegate().read(log, fromSeq);
    }

    @Override
    public void trim(String log, long throughSeq) {
      if (!onRead) {
        touch(log);
      }
      delegate().trim(log, throughSeq);
    }

    @Override
    public void append(String log, long firstSeq, List<byte[]> records) {
      delegate().append(log, firstSeq, records);
      phantoms.remove(log);
    }

    @Override
    public boolean delete(String key) {
      boolean any = delegate().delete(key);
      return phantoms.removeIf(p -> key.endsWith("/") ? p.startsWith(key) : p.equals(key)) || any;
    }

    @Override
    public List<String> list(String prefix) {
      Set<String> names = new java.util.TreeSet<>(delegate().list(prefix));
      for (String p : phantoms) {
        if (p.startsWith(prefix)) {
          String rest = p.substring(prefix.length());
          names.add(rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest);
        }
      }
      return List.copyOf(names);
    }
  }

  /**
   * trim rewrites the log from a copy taken before (read, filter, write back), so an append
   * between the copy and the write-back is lost.
   */
  static final class TrimRacesAppendKit extends ConformanceKit {
    @Override
    protected StorageBackend createBackend() {
      return new ToyLogBackend(MemoryStorageProvider.newBackend()) {
        @Override
        public void trim(String log, long throughSeq) {
          TreeMap<Long, byte[]> copy;
          synchronized (lock) {
            TreeMap<Long, byte[]> l = logs.get(log);
            if (l == null) {
              return;
            }
            copy = new TreeMap<>(l);
          }
          copy.headMap(throughSeq, true).clear();
          synchronized (lock) {
            logs.put(log, copy);
          }
        }
      };
    }
  }

  // ---- delete ----------------------------------------------------------------------------------

  /** delete reports true whether or not anything existed. */
  static final class DeleteAlwaysTrueKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public boolean delete(String key) {
          delegate().delete(key);
          return true;
        }
      };
    }
  }

  /** Deleting a log removes its records but keeps its high-water mark. */
  static final class DeleteKeepsHighWaterMarkKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public boolean delete(String key) {
          LogSlice s = key.endsWith("/") ? LogSlice.empty() : delegate().read(key, 1);
          if (s.lastSeq() > 0) {
            delegate().trim(key, s.lastSeq());
            return true;
          }
          return delegate().delete(key);
        }
      };
    }
  }

  /** delete(prefix/) removes only the direct children. */
  static final class ShallowPrefixDeleteKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public boolean delete(String key) {
          if (!key.endsWith("/")) {
            return delegate().delete(key);
          }
          boolean any = false;
          for (String n : delegate().list(key)) {
            any |= delegate().delete(key + n);
          }
          return any;
        }
      };
    }
  }

  /** delete(prefix/) reports only whether blobs existed; logs are removed but not counted. */
  static final class PrefixDeleteCountsOnlyBlobsKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public boolean delete(String key) {
          if (!key.endsWith("/")) {
            return delegate().delete(key);
          }
          boolean blobs = hasBlob(key);
          delegate().delete(key);
          return blobs;
        }

        private boolean hasBlob(String prefix) {
          for (String n : delegate().list(prefix)) {
            if (delegate().get(prefix + n).isPresent() || hasBlob(prefix + n + "/")) {
              return true;
            }
          }
          return false;
        }
      };
    }
  }

  /** delete(sessions/s1/) also deletes sessions/s10/... (a LIKE 'sessions/s1%' on the path). */
  static final class DeleteStringPrefixCollisionKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public boolean delete(String key) {
          boolean any = delegate().delete(key);
          if (key.endsWith("/")) {
            String stem = key.substring(0, key.length() - 1);
            String parent = stem.contains("/") ? stem.substring(0, stem.lastIndexOf('/') + 1) : "";
            String last = stem.substring(parent.length());
            for (String n : delegate().list(parent)) {
              if (n.startsWith(last) && !n.equals(last)) {
                any |= delegate().delete(parent + n + "/");
              }
            }
          }
          return any;
        }
      };
    }
  }

  // ---- list ------------------------------------------------------------------------------------

  /** list returns the right names in reverse order. */
  static final class UnsortedListKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          List<String> names = new ArrayList<>(delegate().list(prefix));
          Collections.reverse(names);
          return names;
        }
      };
    }
  }

  /** list sorts case-insensitively, as a database collation does. */
  static final class CaseInsensitiveListOrderKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          List<String> names = new ArrayList<>(delegate().list(prefix));
          names.sort(String.CASE_INSENSITIVE_ORDER);
          return names;
        }
      };
    }
  }

  /** list repeats every name that has children, as a naive union of blobs and 'dirs' does. */
  static final class DuplicatingListKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          List<String> names = new ArrayList<>();
          for (String n : delegate().list(prefix)) {
            names.add(n);
            if (!delegate().list(prefix + n + "/").isEmpty()) {
              names.add(n);
            }
          }
          return names;
        }
      };
    }
  }

  /** list is recursive: it returns deeper paths instead of one level. */
  static final class RecursiveListKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          List<String> out = new ArrayList<>();
          for (String n : delegate().list(prefix)) {
            List<String> deeper = list(prefix + n + "/");
            if (deeper.isEmpty()) {
              out.add(n);
            }
            for (String d : deeper) {
              out.add(n + "/" + d);
            }
          }
          Collections.sort(out);
          return out;
        }
      };
    }
  }

  /** list(sessions/s1/) also lists the children of sessions/s10/ (a string-prefix match). */
  static final class ListStringPrefixCollisionKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          Set<String> names = new java.util.TreeSet<>(delegate().list(prefix));
          if (!prefix.isEmpty()) {
            String stem = prefix.substring(0, prefix.length() - 1);
            String parent = stem.contains("/") ? stem.substring(0, stem.lastIndexOf('/') + 1) : "";
            String last = stem.substring(parent.length());
            for (String n : delegate().list(parent)) {
              if (n.startsWith(last) && !n.equals(last)) {
                names.addAll(delegate().list(parent + n + "/"));
              }
            }
          }
          return List.copyOf(names);
        }
      };
    }
  }

  /** Deleted blobs stay listed (tombstones that list does not filter). */
  static final class ListShowsDeletedBlobsKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Set<String> tombstones = ConcurrentHashMap.newKeySet();
      return new ForwardingBackend(mem) {
        @Override
        public boolean delete(String key) {
          if (!key.endsWith("/") && delegate().get(key).isPresent()) {
            tombstones.add(key);
          }
          return delegate().delete(key);
        }

        @Override
        public List<String> list(String prefix) {
          Set<String> names = new java.util.TreeSet<>(delegate().list(prefix));
          for (String t : tombstones) {
            if (t.startsWith(prefix) && !t.substring(prefix.length()).contains("/")) {
              names.add(t.substring(prefix.length()));
            }
          }
          return List.copyOf(names);
        }
      };
    }
  }

  // ---- keys ------------------------------------------------------------------------------------

  /** Keys are folded to lower case, as a case-insensitive collation or file system does. */
  static final class CaseInsensitiveKeysKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        private String fold(String k) {
          return k.toLowerCase(Locale.ROOT);
        }

        @Override
        public Optional<Blob> get(String key) {
          return delegate().get(fold(key));
        }

        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          return delegate().put(fold(key), value, precondition);
        }

        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          delegate().append(fold(log), firstSeq, records);
        }

        @Override
        public LogSlice read(String log, long fromSeq) {
          return delegate().read(fold(log), fromSeq);
        }

        @Override
        public boolean delete(String key) {
          return delegate().delete(fold(key));
        }

        @Override
        public List<String> list(String prefix) {
          return delegate().list(fold(prefix));
        }
      };
    }
  }

  /** '..' segments are escaped instead of rejected. */
  static final class AcceptsDotDotKeysKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        private String escape(String k) {
          return k.equals("..") ? "dotdot" : k.replace("../", "dotdot/").replace("/..", "/dotdot");
        }

        @Override
        public Optional<Blob> get(String key) {
          return delegate().get(escape(key));
        }
      };
    }
  }

  // ---- visibility between instances ------------------------------------------------------------

  /** openSecondInstance returns an unrelated, empty backend: nothing is durable or shared. */
  static final class SecondInstanceSeesNothingKit extends ConformanceKit {
    @Override
    protected StorageBackend createBackend() {
      return MemoryStorageProvider.newBackend();
    }

    @Override
    protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) {
      return Optional.of(MemoryStorageProvider.newBackend());
    }
  }

  /** Each instance caches listings; only its own writes invalidate the cache. */
  static final class StaleListingCacheKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Map<String, List<String>> cache = new ConcurrentHashMap<>();
      return new ForwardingBackend(mem) {
        @Override
        public List<String> list(String prefix) {
          return cache.computeIfAbsent(prefix, p -> delegate().list(p));
        }

        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          cache.clear();
          return delegate().put(key, value, precondition);
        }

        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          cache.clear();
          delegate().append(log, firstSeq, records);
        }

        @Override
        public boolean delete(String key) {
          cache.clear();
          return delegate().delete(key);
        }
      };
    }
  }

  /** Each instance caches blobs it has read; only its own writes refresh the cache. */
  static final class StaleBlobCacheKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Map<String, Blob> cache = new ConcurrentHashMap<>();
      return new ForwardingBackend(mem) {
        @Override
        public Optional<Blob> get(String key) {
          Blob b = cache.get(key);
          if (b != null) {
            return Optional.of(new Blob(b.value().clone(), b.version()));
          }
          Optional<Blob> got = delegate().get(key);
          got.ifPresent(x -> cache.put(key, x));
          return got;
        }

        @Override
        public String put(String key, byte[] value, Precondition precondition) {
          cache.remove(key);
          return delegate().put(key, value, precondition);
        }

        @Override
        public boolean delete(String key) {
          cache.clear();
          return delegate().delete(key);
        }
      };
    }
  }

  /** Each instance caches a log once read and serves later reads from the cache. */
  static final class StaleLogReadCacheKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Map<String, LogSlice> cache = new ConcurrentHashMap<>();
      return new ForwardingBackend(mem) {
        @Override
        public LogSlice read(String log, long fromSeq) {
          LogSlice all = cache.get(log);
          if (all == null || all.lastSeq() == 0) {
            all = delegate().read(log, 1);
            cache.put(log, all);
          }
          List<LogRecord> out = new ArrayList<>();
          for (LogRecord r : all.records()) {
            if (r.seq() >= fromSeq) {
              out.add(r);
            }
          }
          return new LogSlice(out, all.lastSeq());
        }

        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          cache.remove(log);
          delegate().append(log, firstSeq, records);
        }

        @Override
        public void trim(String log, long throughSeq) {
          cache.remove(log);
          delegate().trim(log, throughSeq);
        }
      };
    }
  }

  /**
   * A trim that empties a log deletes it in storage and keeps its high-water mark in this
   * instance's memory: this instance is right, every other instance reuses seqs.
   */
  static final class InstanceLocalHighWaterMarkKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      Map<String, Long> marks = new ConcurrentHashMap<>();
      return new ForwardingBackend(mem) {
        @Override
        public synchronized void trim(String log, long throughSeq) {
          LogSlice s = delegate().read(log, 1);
          delegate().trim(log, throughSeq);
          if (s.lastSeq() > 0 && throughSeq >= s.lastSeq()) {
            marks.put(log, s.lastSeq());
            delegate().delete(log);
          }
        }

        @Override
        public synchronized LogSlice read(String log, long fromSeq) {
          LogSlice s = delegate().read(log, fromSeq);
          return s.lastSeq() == 0 && marks.containsKey(log) ? new LogSlice(List.of(),
              marks.get(log)) : s;
        }

        @Override
        public synchronized void append(String log, long firstSeq, List<byte[]> records) {
          Long mark = marks.get(log);
          if (mark != null && delegate().read(log, 1).lastSeq() == 0) {
            if (firstSeq != mark + 1) {
              throw new ConflictException("expects " + (mark + 1));
            }
            // re-create the log at its mark: filler records, trimmed right away
            List<byte[]> filler = new ArrayList<>();
            for (long q = 1; q <= mark; q++) {
              filler.add(("{\"seq\":" + q + "}").getBytes(StandardCharsets.UTF_8));
            }
            delegate().append(log, 1, filler);
            delegate().trim(log, mark);
            marks.remove(log);
          }
          delegate().append(log, firstSeq, records);
        }
      };
    }
  }

  // ---- races -----------------------------------------------------------------------------------

  /** append writes a batch record by record as it iterates it: readers can see part of it. */
  static final class NonAtomicBatchAppendKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          long seq = firstSeq;
          for (byte[] r : records) {
            delegate().append(log, seq++, List.of(r));
          }
        }
      };
    }
  }

  /**
   * append copies the batch first, then writes it record by record: the kit cannot pause it
   * inside the batch, only overlap readers with it often enough.
   */
  static final class NonAtomicCopiedBatchAppendKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return new ForwardingBackend(mem) {
        @Override
        public void append(String log, long firstSeq, List<byte[]> records) {
          List<byte[]> copy = List.copyOf(records);
          for (int i = 0; i < copy.size(); i++) {
            delegate().append(log, firstSeq + i, List.of(copy.get(i)));
          }
        }
      };
    }
  }

  // ---- session behaviour -----------------------------------------------------------------------

  /** A put of a {@code .meta.json} blob reports success and writes nothing (a lost write). */
  static final class LosesMetaWriteKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return losesPutsEndingWith(mem, ".meta.json");
    }
  }

  /** A put of an archive's {@code .done} marker reports success and writes nothing. */
  static final class LosesArchiveMarkerKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return losesPutsEndingWith(mem, "/.done");
    }
  }

  /** Records above 512 KiB are cut (a column sized for "a long message"): big messages break. */
  static final class TruncatesRecordsAt512KibKit extends BrokenKit {
    @Override
    StorageBackend wrap(StorageBackend mem) {
      return truncatesRecords(mem, 512 << 10);
    }
  }

  /** Puts to keys ending with {@code suffix} report success with a made-up version, write nothing. */
  private static StorageBackend losesPutsEndingWith(StorageBackend mem, String suffix) {
    AtomicLong fake = new AtomicLong();
    return new ForwardingBackend(mem) {
      @Override
      public String put(String key, byte[] value, Precondition precondition) {
        if (key.endsWith(suffix)) {
          return "lost-" + fake.incrementAndGet();
        }
        return delegate().put(key, value, precondition);
      }
    };
  }

  /** Appends keep only the first {@code limit} bytes of each record. */
  private static StorageBackend truncatesRecords(StorageBackend mem, int limit) {
    return new ForwardingBackend(mem) {
      @Override
      public void append(String log, long firstSeq, List<byte[]> records) {
        List<byte[]> cut = new ArrayList<>();
        records.forEach(r -> cut.add(Arrays.copyOf(r, Math.min(r.length, limit))));
        delegate().append(log, firstSeq, cut);
      }
    };
  }

  /** A correct backend that declares no capability and has no second instance. */
  static final class MinimalKit extends ConformanceKit {
    @Override
    protected StorageBackend createBackend() {
      return new ForwardingBackend(MemoryStorageProvider.newBackend()) {
        @Override
        public Set<dev.sessionstore.spi.Capability> capabilities() {
          return Set.of();
        }
      };
    }
  }
}
