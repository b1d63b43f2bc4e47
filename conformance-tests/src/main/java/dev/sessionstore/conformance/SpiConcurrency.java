package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitGroup.requireCapability;
import static dev.sessionstore.conformance.KitSupport.bytes;
import static dev.sessionstore.conformance.KitSupport.labels;
import static dev.sessionstore.conformance.KitSupport.recs;
import static dev.sessionstore.conformance.KitSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Storage contract under concurrency: several threads on one instance (and on two, where the
 * backend shares storage). A race rule must fail a broken backend every run, not by chance: where
 * the kit can, it forces the interleaving ({@link PausingBatch}); where it cannot see inside the
 * backend, it keeps the two sides running until they have overlapped many times
 * ({@link #OVERLAPS}), bounded by {@link #RACE_MILLIS}.
 */
interface SpiConcurrency extends KitGroup {
  /** Threads racing in the concurrency rules. */
  int THREADS = 4;
  /** Overlapping operations after which a race rule has seen enough. */
  int OVERLAPS = 200;
  /** Rounds in which threads really raced, for a check-then-act rule (put(absent), put(matches)). */
  int ROUNDS = 400;
  /** Upper bound of one race, for slow backends that overlap rarely. */
  long RACE_MILLIS = 3_000;

  /**
   * Required rule (concurrent): append race has one winner per seq.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void required_concurrent_appendRaceHasOneWinnerPerSeq() throws Exception {
    StorageBackend b = fresh();
    raceAppends(List.of(b, b, b, b));
  }

  /**
   * Optional rule (shared storage): append race across instances.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void optional_sharedStorage_appendRaceAcrossInstances() throws Exception {
    StorageBackend b = fresh();
    requireCapability(b, Capability.SHARED_STORAGE, "appends racing from two instances");
    StorageBackend other = requireSecond(b, "appends racing from two instances");
    raceAppends(List.of(b, other, b, other));
  }

  private static void raceAppends(List<StorageBackend> instances) throws Exception {
    String log = "sessions/race/messages.jsonl";
    int perThread = 12;
    KitSupport.runConcurrently(THREADS, t -> {
      StorageBackend mine = instances.get(t);
      for (int i = 0; i < perThread; i++) {
        // bounded retry: each lost race means another writer progressed
        for (int attempt = 0; ; attempt++) {
          long next = mine.read(log, Long.MAX_VALUE).lastSeq() + 1;
          try {
            mine.append(log, next, recs(next, "w" + t + "n" + i));
            break;
          } catch (ConflictException lost) {
            if (attempt > THREADS * perThread * 4) {
              throw new AssertionError("no progress after " + attempt + " retries", lost);
            }
          }
        }
      }
    });
    LogSlice s = instances.get(0).read(log, 1);
    int total = THREADS * perThread;
    assertEquals(total, s.records().size(), "every acknowledged append must be stored");
    assertEquals(total, s.lastSeq(), "every acknowledged append must be stored");
    for (int i = 0; i < total; i++) {
      assertEquals(i + 1, s.records().get(i).seq(), "seqs must be unique and gap-free");
    }
    Set<String> distinct = new HashSet<>(labels(s));
    assertEquals(total, distinct.size(),
        "no record may be stored twice or overwritten by a racing writer");
  }

  /**
   * Required rule (concurrent): put absent has exactly one winner.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void required_concurrent_putAbsentHasExactlyOneWinner() throws Exception {
    StorageBackend b = fresh();
    Map<Integer, AtomicInteger> wins = new ConcurrentHashMap<>();
    AtomicBoolean doubleWin = new AtomicBoolean();
    int rounds = KitSupport.raceInRounds(THREADS, ROUNDS, RACE_MILLIS, doubleWin::get, (t, r) -> {
      try {
        b.put("sessions/s1/history/archive_" + r + "/messages.jsonl", bytes("t" + t),
            Precondition.absent());
        if (wins.computeIfAbsent(r, k -> new AtomicInteger()).incrementAndGet() > 1) {
          doubleWin.set(true);
        }
      } catch (ConflictException lost) {
        // expected for all but one
      }
    });
    for (int r = 0; r < rounds; r++) {
      AtomicInteger won = wins.get(r);
      assertEquals(1, won == null ? 0 : won.get(), "exactly one of " + THREADS
          + " racing put(absent) may win, round " + r + " of " + rounds);
    }
  }

  /**
   * Required rule (concurrent): compare and set loses no update.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void required_concurrent_compareAndSetLosesNoUpdate() throws Exception {
    StorageBackend b = fresh();
    String key = "sessions/s1/.meta.json";
    b.put(key, bytes("0"), Precondition.absent());
    AtomicInteger succeeded = new AtomicInteger();
    AtomicBoolean lostUpdate = new AtomicBoolean();
    // each round every thread tries one increment; the first success per version is the only one
    Map<String, Boolean> winners = new ConcurrentHashMap<>();
    KitSupport.raceInRounds(THREADS, ROUNDS, RACE_MILLIS, lostUpdate::get, (t, r) -> {
      Blob cur = b.get(key).orElseThrow();
      int n = Integer.parseInt(utf8(cur.value()));
      try {
        b.put(key, bytes(Integer.toString(n + 1)), Precondition.matches(cur.version()));
        succeeded.incrementAndGet();
        if (winners.put(cur.version(), true) != null) {
          lostUpdate.set(true);
        }
      } catch (ConflictException lost) {
        // another thread's put(matches) at this version won
      }
    });
    assertEquals(Integer.toString(succeeded.get()), utf8(b.get(key).orElseThrow().value()),
        "a put(matches(v)) that succeeded must have been the only one at version v");
  }

  /**
   * Required rule (concurrent): readers never see a partial batch.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void required_concurrent_readersNeverSeeAPartialBatch() throws Exception {
    StorageBackend b = fresh();
    String log = "sessions/s1/messages.jsonl";
    int batch = 4;
    List<String> torn = new ArrayList<>();
    // Forced: the writer stops inside its batch until the reader has looked.
    long next = 1;
    for (int round = 0; round < 2; round++) {
      long first = next;
      PausingBatch paused = new PausingBatch(recs(first, "f", "f", "f", "f"));
      KitSupport.runConcurrently(2, t -> {
        if (t == 0) {
          b.append(log, first, paused);
        } else {
          try {
            if (paused.awaitMidBatch(10_000)) {
              checkWhole(b.read(log, 1), batch, torn);
            }
          } finally {
            paused.looked();
          }
        }
      });
      next += batch;
    }
    assertEquals(List.of(), torn,
        "append must be atomic: a reader saw part of a batch while the writer was inside it");
    // By overlap: a backend that copies the batch first and then writes record by record.
    AtomicBoolean writerDone = new AtomicBoolean();
    AtomicLong started = new AtomicLong();
    AtomicLong finished = new AtomicLong();
    AtomicInteger overlaps = new AtomicInteger();
    long firstChance = next;
    int wide = 16;
    long deadline = System.nanoTime() + RACE_MILLIS * 1_000_000;
    ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
    KitSupport.runConcurrently(2, t -> {
      if (t == 0) {
        try {
          long seq = firstChance;
          while (overlaps.get() < OVERLAPS && System.nanoTime() < deadline && seen.isEmpty()) {
            String[] labels = new String[wide];
            Arrays.fill(labels, "c");
            started.incrementAndGet();
            b.append(log, seq, recs(seq, labels));
            finished.incrementAndGet();
            seq += wide;
          }
        } finally {
          writerDone.set(true);
        }
      } else {
        long from = firstChance;
        long counted = 0;
        while (!writerDone.get()) {
          long inFlight = started.get();
          // a read that starts inside an append call is the interleaving that exposes a tear
          if (inFlight > finished.get() && inFlight != counted) {
            counted = inFlight;
            overlaps.incrementAndGet();
          }
          LogSlice s = b.read(log, from);
          long have = from - 1 + s.records().size();
          if (s.lastSeq() != have || (s.lastSeq() - firstChance + 1) % wide != 0) {
            seen.add(s.records().size() + " records from seq " + from + ", lastSeq "
                + s.lastSeq());
            break;
          }
          from = Math.max(from, s.lastSeq() + 1);
        }
      }
    });
    assertEquals(List.of(), List.copyOf(seen),
        "append must be atomic: a reader saw part of a batch (reads had started inside "
            + overlaps.get() + " appends)");
  }

  private static void checkWhole(LogSlice s, int batch, List<String> torn) {
    synchronized (torn) {
      if (s.records().size() % batch != 0 || s.lastSeq() % batch != 0) {
        torn.add(s.records().size() + " records, lastSeq " + s.lastSeq());
      }
    }
  }

  /**
   * Required rule (concurrent): trim racing appends loses nothing.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void required_concurrent_trimRacingAppendsLosesNothing() throws Exception {
    StorageBackend b = fresh();
    String log = "sessions/s1/messages.jsonl";
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong acked = new AtomicLong();
    AtomicInteger overlaps = new AtomicInteger();
    ConcurrentLinkedQueue<String> lost = new ConcurrentLinkedQueue<>();
    long deadline = System.nanoTime() + RACE_MILLIS * 1_000_000;
    KitSupport.runConcurrently(2, t -> {
      if (t == 0) {
        try {
          for (long seq = 1; !stop.get(); seq++) {
            b.append(log, seq, recs(seq, "r" + seq));
            acked.set(seq);
          }
        } finally {
          stop.set(true);
        }
      } else {
        try {
          while (!stop.get()) {
            long through = acked.get() - 1;
            if (through < 1) {
              Thread.onSpinWait();
              continue;
            }
            b.trim(log, through);
            long after = acked.get();
            if (after > through + 1) {
              overlaps.incrementAndGet(); // an append completed while this trim ran
            }
            // this is the only trimmer: every record acknowledged after 'through' must be there
            LogSlice s = b.read(log, through + 1);
            List<Long> missing = new ArrayList<>();
            Set<Long> held = new HashSet<>(KitSupport.seqs(s));
            for (long q = through + 1; q <= after; q++) {
              if (!held.contains(q)) {
                missing.add(q);
              }
            }
            if (!missing.isEmpty() || s.lastSeq() < after) {
              lost.add("after trim(" + through + "): missing " + missing + ", lastSeq "
                  + s.lastSeq() + " of " + after + " acknowledged");
              break;
            }
            if (overlaps.get() >= OVERLAPS || System.nanoTime() > deadline) {
              break;
            }
          }
        } finally {
          stop.set(true);
        }
      }
    });
    assertEquals(List.of(), List.copyOf(lost), "a trim racing appends must lose no appended"
        + " record (" + overlaps.get() + " trims overlapping an append)");
    long last = acked.get();
    LogSlice s = b.read(log, 1);
    assertEquals(last, s.lastSeq(), "a trim racing appends must not lower the high-water mark");
    for (LogRecord r : s.records()) {
      assertEquals("r" + r.seq(), labels(new LogSlice(List.of(r), r.seq())).get(0),
          "each record must keep its seq");
    }
  }
}
