package dev.sessionstore.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.sessionstore.jdbc.JdbcBackendBuilder;
import dev.sessionstore.localfs.LocalFsStorageProvider;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.s3.S3Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import dev.sessionstore.conformance.CountingBackend;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The agent turn loop — append the user's message, read the context, append the answer;
 * commit keeping 20 every 50 messages — at 100 and 2,000 messages of history, on every backend
 * and beside what a user would pick instead. Rounds interleave the targets so that a noisy
 * machine hurts them alike. Prints per target: storage calls, HTTP requests and SQL round trips
 * per turn (medians), p50/p99 per turn, and what a resume (cold open + read) costs.
 */
final class TurnBenchmark {
  static final int COMMIT_EVERY = 50;
  static final int KEEP = 20;

  private TurnBenchmark() {}

  /** Per target: per-turn samples. */
  private static final class Samples {
    final List<Long> nanos = new ArrayList<>();
    final List<Long> calls = new ArrayList<>();
    final List<Long> http = new ArrayList<>();
    final List<Long> sql = new ArrayList<>();
    int sinceCommit;
  }

  static void run(boolean quick, Path dir) throws Exception {
    int[] histories = quick ? new int[] {100} : new int[] {100, 2_000};
    int rounds = quick ? 2 : 10;
    int turnsPerRound = quick ? 10 : 20;
    System.out.printf("turn loop: %d rounds x %d turns per target, commit(keep %d) every %d"
        + " messages; machine: %d cores, Java %s%n", rounds, turnsPerRound, KEEP, COMMIT_EVERY,
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    try (S3Server s3 = new S3Server()) {
      for (int history : histories) {
        List<Target> targets = targets(dir.resolve("h" + history), s3, history);
        try {
          measure(targets, history, rounds, turnsPerRound);
        } finally {
          for (Target t : targets) {
            t.close();
          }
        }
      }
    }
  }

  private static List<Target> targets(Path dir, S3Server s3, int history) throws Exception {
    Files.createDirectories(dir);
    List<Target> out = new ArrayList<>();
    out.add(new StoreTarget("mem:", new CountingBackend(MemoryStorageProvider.newBackend()),
        null, null, null));
    out.add(new StoreTarget("file:", new CountingBackend(
        LocalFsStorageProvider.forDirectory(dir.resolve("file"))), null, null, null));
    out.add(new SqlitePeer(dir.resolve("peer.sqlite")));
    out.add(jdbc("jdbc:h2:", "jdbc:h2:file:" + dir.resolve("h2/db")));
    String pg = System.getenv("SESSIONSTORE_TEST_POSTGRES_URL");
    if (pg != null && !pg.isBlank()) {
      out.add(jdbc("jdbc:postgresql:", pg));
    } else {
      System.out.println("(PostgreSQL skipped: set SESSIONSTORE_TEST_POSTGRES_URL to include it)");
    }
    AtomicLong ours = new AtomicLong();
    S3Client client = s3.countingClient(ours);
    String bucket = s3.newBucket("b" + history);
    out.add(new StoreTarget("s3: (s3proxy)", new CountingBackend(S3Storage.builder()
        .client(client).bucket(bucket).prefix("store").closeClient(true).build()),
        ours, null, null));
    AtomicLong peer = new AtomicLong();
    out.add(new OneObjectPeer(s3.countingClient(peer), bucket, peer));
    return out;
  }

  private static Target jdbc(String name, String url) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setMaximumPoolSize(4);
    HikariDataSource pool = new HikariDataSource(config);
    CountingDataSource counting = new CountingDataSource(pool);
    String prefix = "bench_" + UUID.randomUUID().toString().substring(0, 8) + "_";
    return new StoreTarget(name, new CountingBackend(JdbcBackendBuilder
        .dataSource(counting.dataSource()).tablePrefix(prefix).build()), null,
        counting.roundTrips, () -> {
          try (var c = pool.getConnection(); var s = c.createStatement()) {
            for (String t : List.of("logs", "records", "blobs", "schema", "log_heads")) {
              s.execute("DROP TABLE IF EXISTS " + prefix + t);
            }
          } catch (Exception e) {
            // best effort: tables the backend did not create are simply absent
          }
          pool.close();
        });
  }

  private static void measure(List<Target> targets, int history, int rounds, int turnsPerRound)
      throws Exception {
    String session = "turns-" + history;
    Map<Target, Samples> samples = new HashMap<>();
    for (Target t : targets) {
      t.seed(session, history);
      samples.put(t, new Samples());
      for (int i = 0; i < 3; i++) { // warm-up turns, not recorded
        t.turn(session, -i);
      }
    }
    List<Target> order = new ArrayList<>(targets);
    int n = 0;
    for (int r = 0; r < rounds; r++) {
      Collections.rotate(order, 1);
      for (Target t : order) {
        Samples s = samples.get(t);
        for (int i = 0; i < turnsPerRound; i++) {
          long calls = get(t.storageCalls());
          long http = get(t.httpRequests());
          long sql = get(t.sqlRoundTrips());
          long start = System.nanoTime();
          t.turn(session, ++n);
          s.nanos.add(System.nanoTime() - start);
          s.calls.add(get(t.storageCalls()) - calls);
          s.http.add(get(t.httpRequests()) - http);
          s.sql.add(get(t.sqlRoundTrips()) - sql);
          s.sinceCommit += 2;
          if (s.sinceCommit >= COMMIT_EVERY) {
            t.commit(session); // outside the timed turn: its cost is reported by the backends
            s.sinceCommit = 0;
          }
        }
      }
    }
    System.out.printf("%nhistory %,d messages%n", history);
    System.out.printf(Locale.ROOT, "%-32s %9s %9s %9s %9s %9s %16s%n", "target", "calls", "HTTP",
        "SQL", "p50 ms", "p99 ms", "resume");
    for (Target t : targets) {
      Samples s = samples.get(t);
      String resume = "";
      if (t instanceof StoreTarget st) {
        long calls = get(st.storageCalls());
        long http = get(st.httpRequests());
        long sql = get(st.sqlRoundTrips());
        long start = System.nanoTime();
        st.resume(session);
        double ms = (System.nanoTime() - start) / 1e6;
        resume = String.format(Locale.ROOT, "%d calls %.1f ms", get(st.storageCalls()) - calls, ms)
            + (t.httpRequests() != null ? " " + (get(st.httpRequests()) - http) + " HTTP" : "")
            + (t.sqlRoundTrips() != null ? " " + (get(st.sqlRoundTrips()) - sql) + " SQL" : "");
      }
      System.out.printf(Locale.ROOT, "%-32s %9s %9s %9s %9.2f %9.2f   %s%n", t.name(),
          t.storageCalls() == null ? "-" : median(s.calls),
          t.httpRequests() == null ? "-" : median(s.http),
          t.sqlRoundTrips() == null ? "-" : median(s.sql),
          percentile(s.nanos, 50) / 1e6, percentile(s.nanos, 99) / 1e6, resume);
    }
  }

  private static long get(LongSupplier a) {
    return a == null ? 0 : a.getAsLong();
  }

  private static long median(List<Long> values) {
    return percentile(values, 50);
  }

  static long percentile(List<Long> values, int p) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
  }
}
