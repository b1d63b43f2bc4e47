package dev.sessionstore.conformance;

import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small helpers shared by the kit's groups. */
final class KitSupport {
  private static final Pattern LABEL = Pattern.compile("\"v\":\"([^\"]*)\"");
  /** Upper bound for one concurrency test; a hang is a failure, never a stuck build. */
  private static final long CONCURRENCY_TIMEOUT_SECONDS = 60;

  private KitSupport() {}

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code n} pseudo-random letters: a truncation or corruption anywhere shows. */
  static String randomText(int n, long seed) {
    java.util.Random r = new java.util.Random(seed);
    char[] out = new char[n];
    for (int i = 0; i < n; i++) {
      out[i] = (char) ('a' + r.nextInt(26));
    }
    return new String(out);
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /**
   * Log records as core writes them: one JSON object per record whose top-level {@code seq} is
   * the record's seq (a backend may rely on it), carrying a label the kit reads back.
   */
  static List<byte[]> recs(long firstSeq, String... labels) {
    List<byte[]> out = new ArrayList<>();
    long seq = firstSeq;
    for (String l : labels) {
      out.add(bytes("{\"seq\":" + seq++ + ",\"v\":\"" + l + "\"}"));
    }
    return out;
  }

  /** The labels of the records of {@code s}, in order. */
  static List<String> labels(LogSlice s) {
    List<String> out = new ArrayList<>();
    for (LogRecord r : s.records()) {
      Matcher m = LABEL.matcher(utf8(r.data()));
      out.add(m.find() ? m.group(1) : utf8(r.data()));
    }
    return out;
  }

  static List<Long> seqs(LogSlice s) {
    List<Long> out = new ArrayList<>();
    for (LogRecord r : s.records()) {
      out.add(r.seq());
    }
    return out;
  }

  /** Keys every backend must reject. */
  static List<String> badKeys() {
    return List.of(
        "",
        "/",
        "a/",
        "/a",
        "a//b",
        ".",
        "..",
        "a/../b",
        "../a",
        "a/./b",
        "a b",
        "a\u0000b",
        "a\nb",
        "a\tb",
        "a\\b",
        "a:b",
        "a*b",
        "a%2Fb",
        "\u00e9",
        "\u4e2d",
        "a/\ud83d\ude00",
        "x".repeat(129),
        ("s/").repeat(600) + "end");
  }

  /** What implementing a capability means, for skip messages. */
  static String describe(Capability c) {
    switch (c) {
      case PERSISTENT:
        return "persistence (data written through one instance survives close() and is seen"
            + " by a new instance over the same storage)";
      case SHARED_STORAGE:
        return "shared storage (several instances over the same storage keep every"
            + " precondition and append conflict between them)";
      case READ_AFTER_WRITE:
        return "read-after-write (an append is readable through another instance as soon as"
            + " it returns)";
      default:
        return c.name();
    }
  }

  static String printable(String s) {
    StringBuilder b = new StringBuilder("'");
    s.codePoints().limit(60).forEach(c -> {
      if (c < 0x20 || c > 0x7e) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    if (s.length() > 60) {
      b.append("...(").append(s.length()).append(" chars)");
    }
    return b.append("'").toString();
  }

  /** One thread's part in one round of {@link #raceInRounds}. */
  interface RoundBody {
    void run(int thread, int round) throws Exception;
  }

  /**
   * Runs {@code body} on {@code threads} threads in rounds, all threads released together at the
   * start of each round by a spinning barrier: parked threads wake up too far apart to race a
   * short check-then-act window, spinning ones do not. A round counts as a race when two threads
   * ran it in parallel (on a busy machine many do not). Stops after {@code
   * races} such rounds, when {@code seen} reports a violation, or after {@code millis}.
   *
   * @return how many rounds ran
   */
  static int raceInRounds(int threads, int races, long millis, BooleanSupplier seen,
      RoundBody body) throws Exception {
    int maxRounds = 100 * races;
    long[][] starts = new long[threads][maxRounds];
    long[][] ends = new long[threads][maxRounds];
    AtomicInteger arrived = new AtomicInteger();
    AtomicInteger lastRound = new AtomicInteger(maxRounds);
    AtomicInteger raced = new AtomicInteger();
    AtomicBoolean failed = new AtomicBoolean();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    runConcurrently(threads, t -> {
      try {
        for (int r = 0; ; r++) {
          arrived.incrementAndGet();
          while (arrived.get() < (r + 1) * threads) {
            if (failed.get()) {
              return;
            }
            Thread.onSpinWait();
          }
          if (r >= lastRound.get()) {
            return;
          }
          starts[t][r] = System.nanoTime();
          body.run(t, r);
          ends[t][r] = System.nanoTime();
          // every thread has finished round r - 1: thread 0 judges it
          if (t == 0 && r > 0 && overlapped(starts, ends, r - 1)) {
            raced.incrementAndGet();
          }
          if (raced.get() >= races || seen.getAsBoolean() || System.nanoTime() > deadline) {
            lastRound.accumulateAndGet(r + 1, Math::min);
          }
        }
      } catch (Exception | Error e) {
        failed.set(true);
        throw e;
      }
    });
    return lastRound.get();
  }

  /**
   * Whether two threads ran round {@code r} in parallel: they started within half the shorter
   * body of each other, as threads on two cores do (one that merely preempted the other on a
   * busy core starts much later).
   */
  private static boolean overlapped(long[][] starts, long[][] ends, int r) {
    for (int i = 0; i < starts.length; i++) {
      for (int j = i + 1; j < starts.length; j++) {
        long shorter = Math.min(ends[i][r] - starts[i][r], ends[j][r] - starts[j][r]);
        if (Math.abs(starts[i][r] - starts[j][r]) < shorter / 2) {
          return true;
        }
      }
    }
    return false;
  }

  /** The body of one of several threads, given its index. */
  interface ThreadBody {
    void run(int thread) throws Exception;
  }

  /**
   * Runs {@code threads} bodies at once (released together by a barrier) and rethrows the first
   * failure. Bounded by a timeout so a deadlocked backend fails instead of hanging the build.
   */
  static void runConcurrently(int threads, ThreadBody body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int t = i;
        futures.add(pool.submit(() -> {
          start.await();
          body.run(t);
          return null;
        }));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONCURRENCY_TIMEOUT_SECONDS);
      for (Future<?> f : futures) {
        try {
          f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof Error err) {
            throw err;
          }
          if (cause instanceof Exception ex) {
            throw ex;
          }
          throw e;
        } catch (TimeoutException e) {
          throw new AssertionError("concurrent operations did not finish within "
              + CONCURRENCY_TIMEOUT_SECONDS + " s (deadlock?)", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
