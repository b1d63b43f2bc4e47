package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Metadata, expiry, the indexes and deleteExpired on the in-memory backend. */
class LifecycleTest {
  static final Instant T0 = Instant.parse("2025-03-01T10:15:00Z");

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    final AtomicReference<Instant> now = new AtomicReference<>(T0);

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    void advance(Duration d) {
      now.updateAndGet(t -> t.plus(d));
    }
  }

  private final StorageBackend mem = MemoryStorageProvider.newBackend();
  private final TestClock clock = new TestClock();

  private SessionStore store(StorageBackend b) {
    return SessionStore.builder().backend(b).clock(clock).indexedMetadataKeys("owner", "agent")
        .build();
  }

  private static SessionOptions owner(String owner, Duration ttl) {
    return SessionOptions.builder().metadata("owner", owner).metadata("agent", "support")
        .timeToLive(ttl).build();
  }

  @Test
  void createWithMetadataAndTtlThenFindAndUpdate() {
    try (SessionStore store = store(mem)) {
      store.session("alice@example.com", owner("alice", Duration.ofHours(2)))
          .append(Message.user("hi"));
      store.session("s2", owner("bob", Duration.ofHours(2)));
      store.session("s3"); // no info at all
      SessionInfo info = store.info("alice@example.com").orElseThrow();
      assertEquals(Map.of("owner", "alice", "agent", "support"), info.metadata());
      assertEquals(T0.plus(Duration.ofHours(2)), info.expiresAt());
      assertEquals(Duration.ofHours(2), info.timeToLive());
      assertEquals(T0, info.createdAt());
      assertEquals(List.of("alice@example.com"), store.findByMetadata("owner", "alice"));
      assertEquals(List.of("alice@example.com", "s2"), store.findByMetadata("agent", "support"));
      assertEquals(Map.of(), store.info("s3").orElseThrow().metadata());
      assertNull(store.info("s3").orElseThrow().version());
      assertTrue(store.info("nope").isEmpty());
      assertThrows(IllegalArgumentException.class, () -> store.findByMetadata("tag", "x"),
          "an unindexed key is refused, not scanned");

      // options of an existing session are not applied again
      store.session("s2", owner("mallory", Duration.ofDays(1)));
      assertEquals("bob", store.info("s2").orElseThrow().metadata().get("owner"));

      SessionInfo moved = store.updateMetadata("s2", m -> {
        Map<String, String> n = new HashMap<>(m);
        n.put("owner", "carol");
        n.put("tag", "vip");
        return n;
      });
      assertEquals("carol", moved.metadata().get("owner"));
      assertEquals(List.of(), store.findByMetadata("owner", "bob"));
      assertEquals(List.of("s2"), store.findByMetadata("owner", "carol"));
      assertEquals(List.of(), mem.list(SessionLayout.indexPrefix("owner", "bob")),
          "the old entry is removed by the writer");
      SessionInfo s3 = store.updateMetadata("s3", null, Map.of("owner", "dave"));
      assertEquals(List.of("s3"), store.findByMetadata("owner", "dave"));
      assertThrows(SessionNotFoundException.class,
          () -> store.updateMetadata("nope", m -> m));
      assertThrows(IllegalArgumentException.class,
          () -> store.updateMetadata("s3", m -> Map.of("", "x")));
      assertEquals(s3.version(), store.info("s3").orElseThrow().version(), "nothing written");
    }
  }

  @Test
  void aConditionalUpdateAgainstAnOldVersionFailsAndWritesNothing() {
    try (SessionStore store = store(mem)) {
      store.session("s", owner("alice", Duration.ofHours(1)));
      SessionInfo read = store.info("s").orElseThrow();
      SessionInfo first = store.updateMetadata("s", read.version(), Map.of("owner", "bob"));
      assertNotEquals(read.version(), first.version());
      assertThrows(VersionConflictException.class,
          () -> store.updateMetadata("s", read.version(), Map.of("owner", "eve")));
      assertEquals("bob", store.info("s").orElseThrow().metadata().get("owner"));
      assertEquals(List.of(), store.findByMetadata("owner", "eve"));
    }
  }

  @Test
  void twoWritersRacingOnTheMetadataLoseNoUpdate() throws Exception {
    try (SessionStore a = store(mem); SessionStore b = store(TestStores.reopen(mem))) {
      a.session("s", owner("alice", Duration.ofHours(1)));
      CyclicBarrier start = new CyclicBarrier(2);
      List<CompletableFuture<Void>> runs = new ArrayList<>();
      for (SessionStore st : List.of(a, b)) {
        String who = st == a ? "a" : "b";
        runs.add(CompletableFuture.runAsync(() -> {
          try {
            start.await();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          for (int i = 0; i < 25; i++) {
            String k = who + i;
            st.updateMetadata("s", m -> {
              Map<String, String> n = new HashMap<>(m);
              n.put(k, "v");
              n.put("owner", k); // an indexed value both keep changing
              return n;
            });
          }
        }));
      }
      for (CompletableFuture<Void> r : runs) {
        r.get();
      }
      Map<String, String> m = a.info("s").orElseThrow().metadata();
      for (int i = 0; i < 25; i++) {
        assertEquals("v", m.get("a" + i));
        assertEquals("v", m.get("b" + i));
      }
      String owner = m.get("owner");
      assertEquals(List.of("s"), a.findByMetadata("owner", owner),
          "the entry of the current value survived the race");
    }
  }

  @Test
  void deleteExpiredDeletesWholeSessionsAndKeepsTheRest() {
    try (SessionStore store = store(mem)) {
      store.session("short", owner("a", Duration.ofMinutes(30))).append(Message.user("x"));
      Session s = store.session("short");
      s.append(Message.user("y"));
      s.commit(1);
      store.session("long", owner("a", Duration.ofDays(2))).append(Message.user("x"));
      store.session("forever").append(Message.user("x"));
      store.session("user:\u00e9", owner("b", Duration.ofMinutes(90)));

      assertEquals(List.of(), store.deleteExpired(clock.instant()));
      clock.advance(Duration.ofHours(1));
      assertEquals(List.of("short"), store.deleteExpired(clock.instant()));
      assertFalse(store.exists("short"));
      assertEquals(List.of(), mem.list(SessionLayout.root("short")));
      assertEquals(List.of(), store.findByMetadata("owner", "a").stream()
          .filter("short"::equals).toList());
      assertThrows(SessionNotFoundException.class, () -> s.messages(),
          "the handle of a deleted session fails");
      clock.advance(Duration.ofHours(1));
      assertEquals(List.of("user:\u00e9"), store.deleteExpired(clock.instant()));
      assertEquals(List.of("forever", "long"), store.listSessions());
      assertEquals(List.of("long"), store.deleteExpired(clock.instant().plus(Duration.ofDays(3))));
      assertEquals(List.of("forever"), store.listSessions());
      assertEquals(List.of(), mem.list(SessionLayout.EXPIRY), "no entries left");
      assertEquals(List.of(), mem.list(SessionLayout.INDEX + "owner/"));
    }
  }

  @Test
  void theSweepReadsTheExpiryIndexNotEverySession() {
    try (SessionStore store = store(mem)) {
      for (int i = 0; i < 20; i++) {
        store.session("keep" + i, owner("a", Duration.ofDays(7)));
      }
      store.session("old", owner("a", Duration.ofMinutes(1)));
      clock.advance(Duration.ofMinutes(5));
      PausingBackend counting = new PausingBackend(TestStores.reopen(mem));
      try (SessionStore sweeper = store(counting)) {
        assertEquals(List.of("old"), sweeper.deleteExpired(clock.instant()));
        assertTrue(counting.calls.stream().noneMatch(c -> c.contains("keep")), counting.calls
            .toString());
      }
    }
  }

  @Test
  void activityExtendsTheExpiryAndMovesItsIndexEntry() {
    try (SessionStore store = store(mem)) {
      Session s = store.session("s", SessionOptions.builder().timeToLive(Duration.ofHours(2))
          .extendOnActivity(true).build());
      s.append(Message.user("early")); // more than half the ttl left: no write
      assertEquals(T0.plus(Duration.ofHours(2)), store.info("s").orElseThrow().expiresAt());
      clock.advance(Duration.ofMinutes(90));
      s.append(Message.user("later"));
      Instant extended = clock.instant().plus(Duration.ofHours(2));
      assertEquals(extended, store.info("s").orElseThrow().expiresAt());
      assertEquals(List.of(SessionLayout.expiryBucket(extended)), mem.list(SessionLayout.EXPIRY));
      clock.advance(Duration.ofMinutes(60));
      assertEquals(List.of(), store.deleteExpired(clock.instant()));
      assertEquals(2, s.messages().size());
    }
  }

  @Test
  void aSessionExtendedWhileTheSweepJudgedItIsKept() throws Exception {
    try (SessionStore writer = store(mem)) {
      Session s = writer.session("s", SessionOptions.builder().timeToLive(Duration.ofMinutes(30))
          .extendOnActivity(true).build());
      clock.advance(Duration.ofMinutes(31)); // expired
      // the sweeper pauses right after reading the info it judges expired
      PausingBackend pausing = new PausingBackend(TestStores.reopen(mem))
          .pauseAfter((op, key) -> op.equals("get") && key.equals(SessionLayout.info("s")));
      try (SessionStore sweeper = store(pausing)) {
        CompletableFuture<List<String>> sweep =
            CompletableFuture.supplyAsync(() -> sweeper.deleteExpired(clock.instant()));
        pausing.awaitReached();
        s.append(Message.user("still here")); // extends the expiry meanwhile
        pausing.resume();
        assertEquals(List.of(), sweep.get(), "the mark fails on the new version: kept");
      }
      assertEquals(1, writer.session("s").messages().size());
      assertTrue(writer.info("s").orElseThrow().expiresAt().isAfter(clock.instant()));
    }
  }

  @Test
  void aCrashMidDeleteLeavesTheSessionMarkedAndTheNextOpenOrSweepFinishesIt() {
    // crash at each delete step after the mark: history, log, meta, info, index entries
    for (String step : List.of("history", "messages.jsonl", ".meta.json", ".session.json",
        "index/", "expiry/")) {
      StorageBackend copy = MemoryStorageProvider.newBackend();
      clock.now.set(T0);
      try (SessionStore seed = store(copy)) {
        Session s = seed.session("s", owner("alice", Duration.ofMinutes(10)));
        s.append(Message.user("a"));
        s.append(Message.user("b"));
        s.commit(1);
      }
      clock.advance(Duration.ofMinutes(11));
      FaultyBackend crashing = new FaultyBackend(TestStores.reopen(copy))
          .crashWhen(w -> w.kind() == FaultyBackend.Kind.DELETE && w.key().contains(step));
      try (SessionStore sweeper = store(crashing)) {
        assertThrows(RuntimeException.class, () -> sweeper.deleteExpired(clock.instant()));
      }
      try (SessionStore after = store(TestStores.reopen(copy))) {
        assertFalse(after.exists("s"), step + ": a marked session is gone for exists");
        assertThrows(SessionNotFoundException.class, () -> after.existingSession("s"));
        assertEquals(List.of(), after.session("s").messages(), step + ": opened anew, empty");
        assertEquals(List.of(), after.session("s").archives(), step);
        assertEquals(List.of(), after.findByMetadata("owner", "alice"), step);
        clock.advance(Duration.ofHours(3));
        after.deleteExpired(clock.instant()); // the sweep removes what a crash left
        assertEquals(List.of(), copy.list(SessionLayout.EXPIRY), step);
      }
    }
  }

  @Test
  void theNextSweepFinishesACrashedDelete() {
    try (SessionStore seed = store(mem)) {
      seed.session("s", owner("alice", Duration.ofMinutes(10))).append(Message.user("a"));
    }
    clock.advance(Duration.ofMinutes(11));
    FaultyBackend crashing = new FaultyBackend(TestStores.reopen(mem))
        .crashWhen(w -> w.kind() == FaultyBackend.Kind.DELETE && w.key().contains("messages"));
    try (SessionStore sweeper = store(crashing)) {
      assertThrows(RuntimeException.class, () -> sweeper.deleteExpired(clock.instant()));
    }
    assertTrue(mem.get(SessionLayout.info("s")).isPresent(), "crashed mid-delete: still marked");
    try (SessionStore sweeper = store(TestStores.reopen(mem))) {
      assertEquals(List.of("s"), sweeper.deleteExpired(clock.instant()));
    }
    assertEquals(List.of(), mem.list(SessionLayout.root("s")));
    assertEquals(List.of(), mem.list(SessionLayout.EXPIRY));
    assertEquals(List.of(), mem.list(SessionLayout.INDEX + "owner/"));
  }

  @Test
  void deletingASessionRemovesItsIndexEntries() {
    try (SessionStore store = store(mem)) {
      store.session("s", owner("alice", Duration.ofHours(1)));
      assertTrue(store.delete("s"));
      assertEquals(List.of(), mem.list(SessionLayout.INDEX + "owner/"));
      assertEquals(List.of(), mem.list(SessionLayout.EXPIRY));
    }
  }
}
