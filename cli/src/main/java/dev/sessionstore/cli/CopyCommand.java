package dev.sessionstore.cli;

import dev.sessionstore.SessionLayout;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Copies every session with its archives from one backend to another through the raw storage
 * interface, byte for byte, keeping every seq and the live log's high-water mark.
 */
@Command(name = "copy", mixinStandardHelpOptions = true,
    description = {
      "Copies every session, archives included, from one store to another.",
      "",
      "Works between any two backends, byte for byte: archives, markers, counters and the live log with its seqs.",
      "Resumable: a session already fully copied is skipped; a partly copied one is completed.",
      "A session that exists in the destination with different content is an error."
    })
final class CopyCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 500;

  @Spec CommandSpec spec;

  @Option(names = "--from", required = true, paramLabel = "<uri>", description = "Source store.")
  String from;

  @Option(names = "--to", required = true, paramLabel = "<uri>", description = "Destination store.")
  String to;

  @Option(names = "--progress", paramLabel = "auto|always|never", defaultValue = "auto",
      description = "Progress on stderr (default: ${DEFAULT-VALUE}).")
  String progress;

  @Override
  public Integer call() {
    Progress.Mode mode = ProgressModes.parse(spec, progress);
    if (from.equals(to)) {
      throw new ParameterException(spec.commandLine(), "--from and --to name the same store");
    }
    PrintWriter out = spec.commandLine().getOut();
    int copied = 0;
    int skipped = 0;
    int failed = 0;
    try (SessionStore source = Stores.open(spec, "--from", from, r -> { });
        SessionStore dest = Stores.open(spec, "--to", to, r -> { })) {
      StorageBackend src = source.backend();
      StorageBackend dst = dest.backend();
      List<String> ids = source.listSessions();
      try (Progress bar = new Progress(out, spec.commandLine().getErr(), "sessions copied",
          ids.size(), mode)) {
        for (String id : ids) {
          try {
            Snapshot want = Snapshot.of(src, id);
            if (want.equals(Snapshot.of(dst, id))) {
              skipped++;
              bar.println("skipped   " + id + ": already copied");
            } else {
              copy(src, dst, id, want);
              Snapshot got = Snapshot.of(dst, id);
              if (!want.equals(got)) {
                throw new IllegalStateException("the copy differs from the source after writing: "
                    + want.describe() + " vs " + got.describe());
              }
              copied++;
              bar.println("copied    " + id + ": " + want.describe());
            }
          } catch (RuntimeException e) {
            failed++;
            bar.println("FAILED    " + id + ": " + Main.describe(e));
          }
          bar.step();
        }
      }
      out.println(ids.size() + " session" + (ids.size() == 1 ? "" : "s") + ": " + copied
          + " copied, " + skipped + " already there, " + failed + " failed");
    }
    return failed == 0 ? 0 : 1;
  }

  /**
   * Archives first, then the live log, then the counters: a copy interrupted at any point is a
   * valid session the next run completes, and a reader in between never sees a message twice.
   */
  private static void copy(StorageBackend src, StorageBackend dst, String id, Snapshot want) {
    for (Map.Entry<String, byte[]> blob : want.blobs.entrySet()) {
      if (!blob.getKey().equals(metaKey(id))) {
        putSame(dst, blob.getKey(), blob.getValue());
      }
    }
    copyLog(dst, id, want);
    byte[] meta = want.blobs.get(metaKey(id));
    if (meta != null) {
      Optional<Blob> there = dst.get(metaKey(id));
      if (there.isEmpty()) {
        dst.put(metaKey(id), meta, Precondition.absent());
      } else if (!Arrays.equals(there.get().value(), meta)) {
        // Counters are a cache the destination may have rewritten while healing: take ours.
        dst.put(metaKey(id), meta, Precondition.matches(there.get().version()));
      }
    }
  }

  /** Creates a blob or accepts an identical one; refuses to overwrite different content. */
  private static void putSame(StorageBackend dst, String key, byte[] value) {
    Optional<Blob> there = dst.get(key);
    if (there.isEmpty()) {
      dst.put(key, value, Precondition.absent());
    } else if (!Arrays.equals(there.get().value(), value)) {
      throw new IllegalStateException("destination already has a different " + key
          + "; delete that session there first");
    }
  }

  /**
   * Rebuilds the log with the same seqs. A log cannot be told its high-water mark, so the
   * trimmed seqs are appended again, from the archives that hold them, and trimmed at once.
   */
  private static void copyLog(StorageBackend dst, String id, Snapshot want) {
    String log = logKey(id);
    LogSlice there = dst.read(log, 1);
    long firstLive = want.live.isEmpty() ? want.lastSeq + 1 : want.live.get(0).seq();
    if (there.lastSeq() > want.lastSeq) {
      throw new IllegalStateException("destination log " + log + " is ahead of the source");
    }
    for (LogRecord r : there.records()) {
      if (r.seq() >= firstLive && !Arrays.equals(r.data(), want.recordAt(r.seq()))) {
        throw new IllegalStateException("destination log " + log + " differs at seq " + r.seq()
            + "; delete that session there first");
      }
    }
    Map<Long, byte[]> archived = null;
    long next = there.lastSeq() + 1;
    while (next <= want.lastSeq) {
      List<byte[]> batch = new ArrayList<>();
      long start = next;
      while (next <= want.lastSeq && batch.size() < BATCH) {
        if (next < firstLive) {
          if (archived == null) {
            archived = want.archivedRecords();
          }
          byte[] pad = archived.get(next);
          if (pad == null) {
            throw new IllegalStateException("seq " + next + " of " + log
                + " was trimmed but is in no archive; cannot rebuild the log's seqs");
          }
          batch.add(pad);
        } else {
          batch.add(want.recordAt(next));
        }
        next++;
      }
      dst.append(log, start, batch);
    }
    if (firstLive > 1) {
      dst.trim(log, firstLive - 1);
    }
  }

  static String metaKey(String id) {
    return SessionLayout.meta(id);
  }

  /** Whether {@code key} is the messages of an archive, by the session layout. */
  static boolean isArchiveMessages(String key) {
    return archiveKey(key, "messages.jsonl");
  }

  static boolean isMarker(String key) {
    return archiveKey(key, ".done");
  }

  private static boolean archiveKey(String key, String file) {
    String[] p = key.split("/");
    if (p.length != 5 || !(p[0] + "/").equals(SessionLayout.SESSIONS)) {
      return false;
    }
    String history = SessionLayout.idOfKey(p[1]).map(SessionLayout::history).orElse(null);
    return history != null && history.equals(p[0] + "/" + p[1] + "/" + p[2] + "/")
        && SessionLayout.archiveNumber(p[3]).isPresent() && key.equals(history + p[3] + "/" + file);
  }

  static String logKey(String id) {
    return SessionLayout.log(id);
  }

  /** Everything stored for one session: blobs by key, the live records and the high-water. */
  private static final class Snapshot {
    final Map<String, byte[]> blobs = new TreeMap<>();
    List<LogRecord> live = List.of();
    long lastSeq;

    static Snapshot of(StorageBackend b, String id) {
      Snapshot s = new Snapshot();
      s.walk(b, SessionLayout.root(id), logKey(id));
      LogSlice slice = b.read(logKey(id), 1);
      s.live = slice.records();
      s.lastSeq = slice.lastSeq();
      return s;
    }

    /** Every blob below the prefix except the log; a name may be a blob and a folder. */
    private void walk(StorageBackend b, String prefix, String log) {
      for (String name : b.list(prefix)) {
        String key = prefix + name;
        if (key.equals(log)) {
          continue;
        }
        b.get(key).ifPresent(blob -> blobs.put(key, blob.value()));
        walk(b, key + "/", log);
      }
    }

    byte[] recordAt(long seq) {
      for (LogRecord r : live) {
        if (r.seq() == seq) {
          return r.data();
        }
      }
      throw new IllegalStateException("source log has no record at seq " + seq);
    }

    /** Archived messages by seq, as single-line records (their lines in the archive files). */
    Map<Long, byte[]> archivedRecords() {
      Map<Long, byte[]> out = new HashMap<>();
      for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
        if (!isArchiveMessages(e.getKey())) {
          continue;
        }
        for (String line : new String(e.getValue(), StandardCharsets.UTF_8).split("\n")) {
          if (line.isBlank()) {
            continue;
          }
          try {
            JsonNode n = JSON.readTree(line);
            if (n.path("seq").canConvertToLong()) {
              out.put(n.get("seq").asLong(), line.strip().getBytes(StandardCharsets.UTF_8));
            }
          } catch (IOException ex) {
            throw new IllegalStateException("unreadable line in " + e.getKey(), ex);
          }
        }
      }
      return out;
    }

    String describe() {
      long archives = blobs.keySet().stream().filter(CopyCommand::isMarker).count();
      return archives + " archive" + (archives == 1 ? "" : "s") + ", " + blobs.size()
          + " blobs, " + live.size() + " live, last seq " + lastSeq;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Snapshot s) || lastSeq != s.lastSeq || !live.equals(s.live)
          || !blobs.keySet().equals(s.blobs.keySet())) {
        return false;
      }
      for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
        if (!Arrays.equals(e.getValue(), s.blobs.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(lastSeq) + blobs.keySet().hashCode();
    }
  }
}
