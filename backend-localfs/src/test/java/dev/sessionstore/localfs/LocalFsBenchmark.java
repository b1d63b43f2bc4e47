package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;

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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Durable appends of the local file system backend next to their floor (a bare write +
 * fdatasync loop on the same disk) and a peer (SQLite, WAL, synchronous=FULL, one INSERT per
 * message), in interleaved rounds so that a busy machine slows all three alike; then the fsyncs
 * and renames of a commit. Not a unit test; the module README has the command.
 *
 * <pre>
 * LocalFsBenchmark DIR [ROUNDS] [SCALE]   the tables (ROUNDS rounds, SCALE x the op counts)
 * LocalFsBenchmark DIR syscalls N         warm up, then N single-writer appends (for strace)
 * </pre>
 */
public final class LocalFsBenchmark {
  private static final int RECORD_BYTES = 256;
  private static final String LOG = "messages.jsonl";

  private LocalFsBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "target/bench").toAbsolutePath();
    Files.createDirectories(dir);
    try {
      if (args.length > 2 && args[1].equals("syscalls")) {
        syscalls(dir.resolve("sys"), Integer.parseInt(args[2]));
        return;
      }
      int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
      double scale = args.length > 2 ? Double.parseDouble(args[2]) : 1.0;
      appendTables(dir, rounds, scale);
      commitCosts(dir.resolve("commit"));
    } finally {
      deleteTree(dir);
    }
  }

  // ---------------------------------------------------------------- contenders

  /** One measured run: latencies of every op (ns), the wall time and the process's CPU time. */
  private record Run(long[] latencies, long wallNanos, long cpuNanos) {
    double cpuMicrosPerOp() {
      return cpuNanos / 1e3 / latencies.length;
    }

    double opsPerSec() {
      return latencies.length / (wallNanos / 1e9);
    }

    double p50Millis() {
      long[] l = latencies.clone();
      Arrays.sort(l);
      return l[l.length / 2] / 1e6;
    }
  }

  /** What each writer thread does: {@code ops} timed operations. */
  private interface Writer {
    void op(int i) throws Exception;
  }

  private interface WriterFactory {
    Writer writer(int w) throws Exception;
  }

  /** Runs {@code writers} threads, each doing {@code ops} ops, all started together. */
  private static Run run(int writers, int ops, WriterFactory factory) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CyclicBarrier start = new CyclicBarrier(writers + 1);
      List<Future<long[]>> fs = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        fs.add(pool.submit(() -> {
          Writer wr;
          try {
            wr = factory.writer(id);
          } catch (Exception | Error e) {
            start.reset(); // the others stop waiting for this writer
            throw e;
          }
          long[] lat = new long[ops];
          start.await();
          for (int i = 0; i < ops; i++) {
            long t = System.nanoTime();
            wr.op(i);
            lat[i] = System.nanoTime() - t;
          }
          return lat;
        }));
      }
      start.await();
      long t0 = System.nanoTime();
      long cpu0 = processCpu();
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> f : fs) {
        all.add(f.get());
      }
      return new Run(all.stream().flatMapToLong(Arrays::stream).toArray(),
          System.nanoTime() - t0, processCpu() - cpu0);
    } finally {
      pool.shutdown();
    }
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static byte[] record(long seq) {
    StringBuilder b = new StringBuilder("{\"seq\":" + seq + ",\"role\":\"user\",\"text\":\"");
    while (b.length() < RECORD_BYTES - 2) {
      b.append('x');
    }
    return b.append("\"}").toString().getBytes(UTF_8);
  }

  /** The floor: write + force(false) of one 256-byte line per op, each writer its own file. */
  private static Run bare(Path dir, int writers, int ops) throws Exception {
    Files.createDirectories(dir);
    List<FileChannel> open = new ArrayList<>();
    try {
      return run(writers, ops, w -> {
        FileChannel ch = FileChannel.open(dir.resolve("bare-" + w + ".jsonl"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        synchronized (open) {
          open.add(ch);
        }
        byte[] line = (new String(record(1), UTF_8) + "\n").getBytes(UTF_8);
        return i -> {
          ch.write(ByteBuffer.wrap(line));
          ch.force(false);
        };
      });
    } finally {
      for (FileChannel ch : open) {
        ch.close();
      }
    }
  }

  /**
   * The floor of an overwrite: the same write + force(false) loop, into a file whose blocks
   * were written and fsynced before the clock started. The file's size does not change, so an
   * fdatasync has no metadata to commit (on ext4: no journal commit) and costs less than one
   * after an append. SQLite's WAL runs like this once it has been checkpointed and restarted.
   */
  private static Run bareOverwrite(Path dir, int ops) throws Exception {
    Files.createDirectories(dir);
    byte[] line = (new String(record(1), UTF_8) + "\n").getBytes(UTF_8);
    try (FileChannel ch = FileChannel.open(dir.resolve("bare-overwrite.jsonl"),
        StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(line.length * (ops + 1)), 0);
      ch.force(true);
      return run(1, ops, w -> i -> {
        ch.write(ByteBuffer.wrap(line), (long) i * line.length);
        ch.force(false);
      });
    }
  }

  /**
   * Our append. With {@code oneSession}, all writers share one log and take their seqs from one
   * counter, as threads of one process sharing a session would; a seq that is refused while the
   * append that fills the gap before it is still on its way is simply tried again.
   */
  private static Run ours(Path root, int writers, int ops, boolean oneSession) throws Exception {
    try (StorageBackend b = LocalFsStorageProvider.forDirectory(root)) {
      // Logs are created before the clock starts, as the bare loop's files are.
      b.append("sessions/shared/" + LOG, 1, List.of(record(1)));
      AtomicLong shared = new AtomicLong(2);
      return run(writers, ops, w -> {
        String log = "sessions/" + (oneSession ? "shared" : "w" + w) + "/" + LOG;
        if (!oneSession) {
          b.append(log, 1, List.of(record(1)));
        }
        long[] next = {b.read(log, Long.MAX_VALUE).lastSeq() + 1};
        return i -> {
          long seq = oneSession ? shared.getAndIncrement() : next[0]++;
          while (true) {
            try {
              b.append(log, seq, List.of(record(seq)));
              return;
            } catch (ConflictException gapNotYetFilled) {
              if (!oneSession || b.read(log, Long.MAX_VALUE).lastSeq() >= seq) {
                throw gapNotYetFilled;
              }
            }
          }
        };
      });
    }
  }

  /**
   * The peer: SQLite in WAL mode with synchronous=FULL, one autocommit INSERT per message. With
   * {@code oneDb} all writers share one database file (SQLite takes one writer at a time),
   * otherwise each has its own, like each session its own log file.
   */
  private static Run sqlite(Path dir, int writers, int ops, boolean oneDb) throws Exception {
    return sqlite(dir, writers, ops, oneDb, 0);
  }

  /**
   * @param prefill rows each database gets before the clock starts, one commit each: enough
   *     (3,000 rows, about 6,000 WAL frames) and SQLite has checkpointed and restarted its WAL,
   *     so the timed commits overwrite WAL pages already on disk, as in a database that has
   *     been running for a while, instead of growing a new WAL file
   */
  private static Run sqlite(Path dir, int writers, int ops, boolean oneDb, int prefill)
      throws Exception {
    Files.createDirectories(dir);
    // WAL mode and the table are set up before the writers connect: switching the journal
    // mode while other connections are open can fail with SQLITE_BUSY.
    for (int w = 0; w < (oneDb ? 1 : writers); w++) {
      try (Connection c = DriverManager.getConnection(
              "jdbc:sqlite:" + dir.resolve(oneDb ? "one.db" : "w" + w + ".db"));
          Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("CREATE TABLE IF NOT EXISTS messages (session TEXT NOT NULL,"
            + " seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (session, seq))");
      }
    }
    List<Connection> open = new ArrayList<>();
    AtomicLong shared = new AtomicLong(System.nanoTime());
    try {
      return run(writers, ops, w -> {
        Connection c = DriverManager.getConnection(
            "jdbc:sqlite:" + dir.resolve(oneDb ? "one.db" : "w" + w + ".db"));
        synchronized (open) {
          open.add(c);
        }
        try (Statement s = c.createStatement()) {
          s.execute("PRAGMA busy_timeout=60000");
          s.execute("PRAGMA synchronous=FULL");
        }
        PreparedStatement ins =
            c.prepareStatement("INSERT INTO messages (session, seq, data) VALUES (?, ?, ?)");
        // On the writer's own connection: when the last connection closes, SQLite checkpoints
        // and deletes the WAL file, and the next one would grow a new one.
        try (Statement s = c.createStatement()) {
          s.execute("PRAGMA synchronous=OFF"); // the prefill only sets the stage
          for (int i = 1; i <= prefill; i++) {
            ins.setString(1, "prefill-" + w);
            ins.setLong(2, i);
            ins.setString(3, new String(record(i), UTF_8));
            ins.executeUpdate();
          }
          s.execute("PRAGMA synchronous=FULL");
        }
        long[] next = {shared.addAndGet(1_000_000)};
        return i -> {
          long seq = oneDb ? shared.getAndIncrement() : next[0]++;
          ins.setString(1, oneDb ? "shared" : "w" + w);
          ins.setLong(2, seq);
          ins.setString(3, new String(record(seq), UTF_8));
          ins.executeUpdate();
        };
      });
    } finally {
      for (Connection c : open) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // closing after the run
        }
      }
    }
  }

  // ---------------------------------------------------------------- the tables

  private static void appendTables(Path dir, int rounds, double scale) throws Exception {
    int one = (int) Math.max(50, 1000 * scale);
    int each = (int) Math.max(10, 250 * scale);
    warmUp(dir);
    Map<String, List<Run>> runs = new LinkedHashMap<>();
    for (int round = -1; round < rounds; round++) { // round -1 is not counted either
      Path r = dir.resolve("round" + round);
      // Interleaved: each contender once per round, in the same order.
      add(runs, "bare, 1 writer", bare(r.resolve("bare1"), 1, one));
      add(runs, "ours, 1 writer", ours(r.resolve("ours1"), 1, one, false));
      add(runs, "sqlite, 1 writer", sqlite(r.resolve("sql1"), 1, one, false));
      add(runs, "sqlite, 1 writer, WAL restarted", sqlite(r.resolve("sql1w"), 1, one, false,
          3_000));
      add(runs, "bare overwrite, 1 writer", bareOverwrite(r.resolve("bareow"), one));
      add(runs, "bare, 16 writers, 16 files", bare(r.resolve("bare16"), 16, each));
      add(runs, "ours, 16 writers, 16 sessions", ours(r.resolve("ours16"), 16, each, false));
      add(runs, "sqlite, 16 writers, 16 databases", sqlite(r.resolve("sql16"), 16, each, false));
      add(runs, "ours, 16 writers, 1 session", ours(r.resolve("ours16s"), 16, each, true));
      add(runs, "sqlite, 16 writers, 1 database", sqlite(r.resolve("sql16s"), 16, each, true));
      deleteTree(r);
      if (round < 0) {
        runs.clear();
      }
      System.err.printf(Locale.ROOT, "round %d of %d done%n", round + 1, rounds);
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "Durable appends of %d-byte records, median of %d"
        + " interleaved rounds (1 writer: %d ops per round; 16 writers: %d ops each)%n%n",
        RECORD_BYTES, rounds, one, each);
    System.out.println("| contender | ops/s | p50 ms | CPU us/op (process) |");
    System.out.println("|---|---|---|---|");
    for (Map.Entry<String, List<Run>> e : runs.entrySet()) {
      double[] cpu = e.getValue().stream().mapToDouble(Run::cpuMicrosPerOp).sorted().toArray();
      System.out.printf(Locale.ROOT, "| %s | %,.0f | %.3f | %.0f |%n", e.getKey(),
          median(e.getValue(), true), median(e.getValue(), false), cpu[cpu.length / 2]);
    }
    System.out.println();
    System.out.println("| ratio | value | target |");
    System.out.println("|---|---|---|");
    ratio("1 writer: p50 ours / p50 bare", p50(runs, "ours, 1 writer"),
        p50(runs, "bare, 1 writer"), "<= 1.25");
    ratio("1 writer: ops/s ours / ops/s sqlite", ops(runs, "ours, 1 writer"),
        ops(runs, "sqlite, 1 writer"), ">= 1");
    ratio("1 writer: ops/s ours / ops/s sqlite, WAL restarted", ops(runs, "ours, 1 writer"),
        ops(runs, "sqlite, 1 writer, WAL restarted"), "");
    ratio("1 writer: p50 bare overwrite / p50 bare", p50(runs, "bare overwrite, 1 writer"),
        p50(runs, "bare, 1 writer"), "");
    ratio("16 writers, 16 sessions: ops/s ours / 16 bare writers",
        ops(runs, "ours, 16 writers, 16 sessions"), ops(runs, "bare, 16 writers, 16 files"),
        ">= 0.8");
    ratio("16 writers, 1 session: ops/s ours / 1 bare writer",
        ops(runs, "ours, 16 writers, 1 session"), ops(runs, "bare, 1 writer"), ">= 3");
    ratio("16 writers, 1 session: ops/s ours / sqlite on 1 database",
        ops(runs, "ours, 16 writers, 1 session"), ops(runs, "sqlite, 16 writers, 1 database"),
        "");
  }

  /**
   * Runs every contender's code long enough for the JIT to compile it, so the rounds measure
   * steady state, not compilation. On tmpfs ({@code /dev/shm}) if there is one: an fsync there
   * costs nothing, so tens of thousands of ops take a few seconds.
   */
  private static void warmUp(Path dir) throws Exception {
    Path shm = Path.of("/dev/shm");
    boolean fast = Files.isDirectory(shm) && Files.isWritable(shm);
    Path w = fast ? Files.createTempDirectory(shm, "localfs-bench-warmup") : dir.resolve("warmup");
    int k = fast ? 1 : 20;
    try {
      bare(w.resolve("bare"), 1, 30_000 / k);
      ours(w.resolve("ours1"), 1, 30_000 / k, false);
      ours(w.resolve("ours16"), 16, 2_000 / k, false);
      ours(w.resolve("ours16s"), 16, 2_000 / k, true);
      sqlite(w.resolve("sql1"), 1, 10_000 / k, false);
      bareOverwrite(w.resolve("bareow"), 30_000 / k);
      sqlite(w.resolve("sql16"), 16, 500 / k, false);
    } finally {
      deleteTree(w);
    }
    System.err.println("warm-up done" + (fast ? " (on /dev/shm)" : ""));
  }

  private static void add(Map<String, List<Run>> runs, String name, Run r) {
    runs.computeIfAbsent(name, k -> new ArrayList<>()).add(r);
  }

  private static double median(List<Run> rs, boolean opsPerSec) {
    double[] v = rs.stream().mapToDouble(r -> opsPerSec ? r.opsPerSec() : r.p50Millis())
        .sorted().toArray();
    return v[v.length / 2];
  }

  private static double p50(Map<String, List<Run>> runs, String name) {
    return median(runs.get(name), false);
  }

  private static double ops(Map<String, List<Run>> runs, String name) {
    return median(runs.get(name), true);
  }

  private static void ratio(String what, double a, double b, String target) {
    System.out.printf(Locale.ROOT, "| %s | %.2f | %s |%n", what, a / b, target);
  }

  // ---------------------------------------------------------------- counted work

  /** Fsyncs and renames of commits through core, counted at the file system layer. */
  private static void commitCosts(Path root) throws Exception {
    Files.createDirectories(root);
    CountingFileIo io = new CountingFileIo(new RealFileIo(true));
    System.out.println();
    System.out.println("| operation | file fsyncs | directory fsyncs | renames | writes |");
    System.out.println("|---|---|---|---|---|");
    try (SessionStore store = SessionStore.builder().backend(new LocalFsBackend(root, io))
        .build()) {
      Session s = store.session("bench");
      fill(s, 10);
      s.messages();
      count(io, "append of one message to a session whose log is open", () -> fill(s, 1));
      count(io, "commit(keep 2), first commit of the session", () -> s.commit(2));
      fill(s, 10);
      count(io, "commit(keep 2), a later commit", () -> s.commit(2));
      fill(s, 10);
      count(io, "commit(keep 0): the log is emptied", () -> s.commit(0));
      count(io, "append to the emptied log (creates it)", () -> fill(s, 1));
    }
  }

  private static void fill(Session s, int n) {
    for (int i = 0; i < n; i++) {
      s.append(Message.user("message " + i));
    }
  }

  private static void count(CountingFileIo io, String what, Runnable op) {
    io.reset();
    op.run();
    System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d |%n", what, io.fileSyncs.get(),
        io.dirSyncs.get(), io.renames.get(), io.writes.get());
  }

  /** For {@code strace -f -c}: warm up, then {@code n} single-writer appends, then exit. */
  private static void syscalls(Path root, int n) throws Exception {
    try (StorageBackend b = LocalFsStorageProvider.forDirectory(root)) {
      String log = "sessions/s/" + LOG;
      long seq = 1;
      for (; seq <= 500; seq++) {
        b.append(log, seq, List.of(record(seq)));
      }
      for (int i = 0; i < n; i++, seq++) {
        b.append(log, seq, List.of(record(seq)));
      }
    }
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
