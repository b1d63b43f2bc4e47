package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sessionstore.CommitResult;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Durable append latency and throughput, session load and commit times of the local file system
 * backend, printed as a Markdown table. Not a unit test; run it with
 *
 * <pre>
 * mvn -B -q -DskipTests install && mvn -B -q -pl backend-localfs test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.sessionstore.localfs.LocalFsBenchmark -Dexec.args="target/bench 1"
 * </pre>
 *
 * Arguments: a scratch directory (created, emptied afterwards) and a scale factor for the
 * operation counts (1 = the README numbers; 0.1 for a quick look).
 */
public final class LocalFsBenchmark {
  private static final int RECORD_BYTES = 256;

  private LocalFsBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "target/bench").toAbsolutePath();
    double scale = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
    Files.createDirectories(dir);
    List<String> rows = new ArrayList<>();
    try {
      int n = (int) Math.max(50, 2000 * scale);
      rows.add(row("plain write+fdatasync loop, " + RECORD_BYTES + " B", 1,
          plainFsyncLoop(dir.resolve("plain.jsonl"), n)));
      rows.add(row("append, 1 writer", 1, appends(dir.resolve("a1"), 1, n, false)));
      rows.add(row("append, 4 writers, own sessions", 4,
          appends(dir.resolve("a4"), 4, n / 2, false)));
      rows.add(row("append, 16 writers, own sessions", 16,
          appends(dir.resolve("a16"), 16, n / 4, false)));
      rows.add(row("append, 4 writers, one session (retry on conflict)", 4,
          appends(dir.resolve("a4s"), 4, n / 4, true)));
      System.out.println();
      System.out.println("| durable append (" + RECORD_BYTES + "-byte records) | writers"
          + " | ops | ops/s | p50 ms | p99 ms |");
      System.out.println("|---|---|---|---|---|---|");
      rows.forEach(System.out::println);

      System.out.println();
      System.out.println("| session size (messages) | load: open store + messages() ms"
          + " | commit(keep 10) ms |");
      System.out.println("|---|---|---|");
      for (int size : new int[] {10, 1_000, 100_000}) {
        int sz = size == 100_000 ? (int) Math.max(1_000, size * Math.min(1, scale)) : size;
        System.out.println(loadAndCommit(dir.resolve("s" + sz), sz));
      }
    } finally {
      deleteTree(dir);
    }
  }

  /** Per-op latencies (ns) of all threads, and the wall time (ns). */
  private record Result(long[] latencies, long wallNanos) {}

  private static String row(String what, int writers, Result r) {
    long[] l = r.latencies().clone();
    Arrays.sort(l);
    double opsPerSec = l.length / (r.wallNanos() / 1e9);
    return String.format(Locale.ROOT, "| %s | %d | %d | %,.0f | %.2f | %.2f |", what, writers,
        l.length, opsPerSec, l[l.length / 2] / 1e6, l[(int) (l.length * 0.99)] / 1e6);
  }

  private static byte[] padded(String head) {
    StringBuilder b = new StringBuilder(head);
    b.append(",\"text\":\"");
    while (b.length() < RECORD_BYTES - 3) {
      b.append('x');
    }
    return b.append("\"}").toString().getBytes(UTF_8);
  }

  /** The baseline: what one thread gets from write + force(false) of one line per op. */
  private static Result plainFsyncLoop(Path file, int n) throws IOException {
    byte[] line = (new String(padded("{\"seq\":1"), UTF_8) + "\n").getBytes(UTF_8);
    long[] lat = new long[n];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        long t = System.nanoTime();
        ch.write(ByteBuffer.wrap(line));
        ch.force(false);
        lat[i] = System.nanoTime() - t;
      }
      return new Result(lat, System.nanoTime() - start);
    }
  }

  /** {@code writers} threads, each appending {@code perWriter} records. */
  private static Result appends(Path root, int writers, int perWriter, boolean oneSession)
      throws Exception {
    try (StorageBackend b = LocalFsStorageProvider.forDirectory(root)) {
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      CyclicBarrier start = new CyclicBarrier(writers + 1);
      List<Future<long[]>> fs = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String log = "sessions/" + (oneSession ? "shared" : "w" + w) + "/messages.jsonl";
        fs.add(pool.submit(() -> {
          long[] lat = new long[perWriter];
          start.await();
          // As core does: remember the next seq, re-read the log only after a conflict.
          long next = b.read(log, Long.MAX_VALUE).lastSeq() + 1;
          for (int i = 0; i < perWriter; i++) {
            long t = System.nanoTime();
            while (true) {
              try {
                b.append(log, next, List.of(padded("{\"seq\":" + next)));
                next++;
                break;
              } catch (ConflictException retry) {
                next = b.read(log, Long.MAX_VALUE).lastSeq() + 1; // another writer took it
              }
            }
            lat[i] = System.nanoTime() - t;
          }
          return lat;
        }));
      }
      start.await();
      long t0 = System.nanoTime();
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> f : fs) {
        all.add(f.get());
      }
      long wall = System.nanoTime() - t0;
      pool.shutdown();
      return new Result(all.stream().flatMapToLong(Arrays::stream).toArray(), wall);
    }
  }

  private static String loadAndCommit(Path root, int size) {
    String uri = root.toUri().toString();
    try (SessionStore store = SessionStore.open(uri)) {
      Session s = store.session("bench");
      List<Message> batch = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        batch.add(Message.user("message " + i + " " + "y".repeat(150)));
        if (batch.size() == 1_000 || i == size - 1) {
          s.append(batch);
          batch.clear();
        }
      }
    }
    long best = Long.MAX_VALUE;
    for (int run = 0; run < 3; run++) {
      long t = System.nanoTime();
      try (SessionStore store = SessionStore.open(uri)) {
        int got = store.session("bench").messages().size();
        if (got != size) {
          throw new IllegalStateException("loaded " + got + " of " + size);
        }
      }
      best = Math.min(best, System.nanoTime() - t);
    }
    long commit;
    try (SessionStore store = SessionStore.open(uri)) {
      Session s = store.session("bench");
      s.messages();
      long t = System.nanoTime();
      CommitResult r = s.commit(10);
      commit = System.nanoTime() - t;
      if (size > 10 && r.archivedCount() != size - 10) {
        throw new IllegalStateException("archived " + r.archivedCount());
      }
    }
    return String.format(Locale.ROOT, "| %,d | %.1f | %.1f |", size, best / 1e6, commit / 1e6);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
