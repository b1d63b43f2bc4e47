package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.sessionstore.CommitPolicy;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import dev.sessionstore.Session;
import dev.sessionstore.SessionInfo;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionNotFoundException;
import dev.sessionstore.SessionOptions;
import dev.sessionstore.SessionStore;
import dev.sessionstore.VersionConflictException;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Session lifecycle on the backend: ids as users have them, paging, turn-aware commits,
 * metadata with its index, time to live and the expiry sweep, and the crash points of the new
 * writes (metadata update, delete of an expired session). Everything goes through the SPI, so
 * every backend must pass these unchanged.
 */
interface LifecycleRules extends KitGroup {



  /** A clock the rules move. */
  final class MovableClock extends Clock {
    final AtomicReference<Instant> now =
        new AtomicReference<>(Instant.parse("2025-03-01T10:15:00Z"));

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

  /** Runs {@code hook} once, inside the first call matching {@code when}, before it returns. */
  final class HookBackend extends ForwardingBackend {
    private volatile Predicate<String> when;
    private final Runnable hook;
    private final boolean crash;

    HookBackend(StorageBackend b, Predicate<String> when, Runnable hook, boolean crash) {
      super(b);
      this.when = when;
      this.hook = hook;
      this.crash = crash;
    }

    private void at(String call) {
      if (when.test(call)) {
        when = c -> false;
        hook.run();
        if (crash) {
          throw new StorageException("injected crash before " + call);
        }
      }
    }

    @Override
    public Optional<Blob> get(String key) {
      Optional<Blob> b = super.get(key);
      at("get " + key);
      return b;
    }

    @Override
    public String put(String key, byte[] value, dev.sessionstore.spi.Precondition p) {
      at("put " + key);
      return super.put(key, value, p);
    }

    @Override
    public boolean delete(String key) {
      at("delete " + key);
      return super.delete(key);
    }

    @Override
    public void close() {}
  }

  private static SessionStore lifecycleStore(StorageBackend b, Clock clock) {
    return SessionStore.builder().backend(new NonClosingBackend(b)).clock(clock)
        .indexedMetadataKeys("owner").build();
  }

  private StorageBackend reopened(StorageBackend b) {
    return second(b).orElse(b);
  }

  /** Ids as applications make them (e-mail addresses, URNs, any UTF-8), which must all work. */
  List<String> USER_IDS = List.of("alice@example.com", "acme:alice",
      "{123e4567-e89b-12d3-a456-426614174000}", "\u65e5\u672c\u8a9e", "a b", "../x", ".",
      "emoji \ud83d\ude00", "x".repeat(94) + "@", "plain-id_1");

  /** Any UTF-8 id is stored under its documented key and listed back. */
  @Test
  default void required_lifecycle_anyUtf8IdIsStoredUnderItsDocumentedKeyAndListedBack() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      for (String id : USER_IDS) {
        store.session(id).append(Message.user("for " + id));
      }
    }
    List<String> keys = new ArrayList<>();
    USER_IDS.forEach(id -> keys.add(SessionLayout.key(id)));
    keys.sort(null);
    assertEquals(keys, b.list(SessionLayout.SESSIONS),
        "every id is stored under SessionLayout.key(id), the same key on every backend");
    try (SessionStore store = SessionChecks.store(reopened(b))) {
      List<String> sorted = new ArrayList<>(USER_IDS);
      sorted.sort(null);
      assertEquals(sorted, store.listSessions(), "ids are listed decoded, in id order");
      for (String id : USER_IDS) {
        assertEquals("for " + id, store.existingSession(id).messages().get(0).text());
      }
      assertTrue(store.delete("acme:alice"));
      assertFalse(store.exists("acme:alice"));
    }
  }

  /** Sessions, messages and archives are read in pages. */
  @Test
  default void required_lifecycle_pagesOfSessionsMessagesAndArchives() {
    StorageBackend b = fresh();
    try (SessionStore store = SessionChecks.store(b)) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        String id = i % 2 == 0 ? "p" + i : "user" + i + "@x";
        ids.add(id);
        store.session(id);
      }
      ids.sort(null);
      List<String> paged = new ArrayList<>();
      for (List<String> p = store.listSessions(null, 3); !p.isEmpty();
          p = store.listSessions(p.get(p.size() - 1), 3)) {
        paged.addAll(p);
      }
      assertEquals(ids, paged);
      Session s = store.session("p0");
      for (int i = 1; i <= 12; i++) {
        s.append(Message.user("m" + i));
        if (i % 4 == 0) {
          s.commit(1);
        }
      }
      try (SessionStore other = SessionChecks.store(reopened(b))) {
        Session o = other.existingSession("p0");
        assertEquals(o.messages(), o.messages(1, 100));
        assertEquals(List.of(), o.messages(13, 5));
        assertEquals(3, o.archives().size());
        assertEquals(o.archives().subList(1, 3), o.archives(1, 5));
        assertEquals(o.archives().subList(0, 1), o.archives(0, 1));
      }
    }
  }

  /** A turn-aware commit never splits a tool call from its result. */
  @Test
  default void required_lifecycle_turnAwareCommitNeverSplitsAToolCallFromItsResult() {
    StorageBackend b = fresh();
    Message call = Message.builder().role("assistant")
        .addPart(Part.tool("c1", "search", "requested", JsonNodeFactory.instance.objectNode(),
            null)).build();
    Message result = Message.builder().role("tool")
        .addPart(Part.tool("c1", "search", "completed", null, "found")).build();
    try (SessionStore store = SessionChecks.store(b)) {
      Session s = store.session("t");
      s.append(List.of(Message.user("q1"), Message.assistant("a1"), Message.user("q2"), call,
          result, Message.assistant("a2")));
      assertEquals(3, s.commit(2).archivedCount(), "keep 2 would leave the result first");
      s.append(List.of(Message.user("q3"), Message.assistant("a3")));
      assertEquals(3, s.commit(CommitPolicy.keepTurns(1)).archivedCount());
    }
    try (SessionStore store = SessionChecks.store(reopened(b))) {
      List<Message> live = store.existingSession("t").messages();
      assertEquals(List.of("q3", "a3"), live.stream().map(Message::text).toList());
    }
  }

  /** Metadata is found by its index and updated without lost updates. */
  @Test
  default void required_lifecycle_metadataIsFoundByIndexAndUpdatedWithoutLostUpdates() {
    StorageBackend b = fresh();
    MovableClock clock = new MovableClock();
    try (SessionStore store = lifecycleStore(b, clock)) {
      store.session("alice@example.com", SessionOptions.builder().metadata("owner", "alice")
          .metadata("agent", "support").build());
      store.session("s2", SessionOptions.builder().metadata("owner", "alice").build());
      store.session("s3", SessionOptions.builder().metadata("owner", "bob").build());
    }
    try (SessionStore a = lifecycleStore(reopened(b), clock); SessionStore c =
        lifecycleStore(b, clock)) {
      assertEquals(List.of("alice@example.com", "s2"), a.findByMetadata("owner", "alice"));
      SessionInfo read = a.info("s2").orElseThrow();
      // another writer updates in between: the conditional update must fail, nothing written
      c.updateMetadata("s2", m -> {
        Map<String, String> n = new HashMap<>(m);
        n.put("tag", "vip");
        return n;
      });
      assertThrows(VersionConflictException.class,
          () -> a.updateMetadata("s2", read.version(), Map.of("owner", "carol")));
      assertEquals(List.of(), a.findByMetadata("owner", "carol"));
      // the function form re-applies on a lost race: both changes survive
      SessionInfo moved = a.updateMetadata("s2", m -> {
        Map<String, String> n = new HashMap<>(m);
        n.put("owner", "carol");
        return n;
      });
      assertEquals(Map.of("owner", "carol", "tag", "vip"), moved.metadata());
      assertEquals(List.of("alice@example.com"), c.findByMetadata("owner", "alice"));
      assertEquals(List.of("s2"), c.findByMetadata("owner", "carol"));
      assertEquals(List.of(), b.list(SessionLayout.indexPrefix("owner", "alice")).stream()
          .filter("s2"::equals).toList(), "the writer removes the entry it made stale");
      assertTrue(c.delete("s3"));
      assertEquals(List.of(), c.findByMetadata("owner", "bob"));
      assertEquals(List.of(), b.list(SessionLayout.indexPrefix("owner", "bob")));
    }
  }

  /** Crashes at each step of a metadata update. */
  @Test
  default void required_lifecycle_crashPointsOfAMetadataUpdate() {
    // crash before the info (entry written) and before the stale entry's delete (info written):
    // find always answers what the info says
    for (String at : List.of("put " + SessionLayout.INFO_NAME, "delete index/")) {
      StorageBackend b = fresh();
      MovableClock clock = new MovableClock();
      try (SessionStore store = lifecycleStore(b, clock)) {
        store.session("s", SessionOptions.builder().metadata("owner", "alice").build());
      }
      HookBackend crashing = new HookBackend(b, call -> call.startsWith(at)
          || (at.startsWith("put") && call.startsWith("put ") && call.endsWith(at.substring(4))),
          () -> { }, true);
      try (SessionStore store = lifecycleStore(crashing, clock)) {
        assertThrows(StorageException.class, () -> store.updateMetadata("s",
            m -> Map.of("owner", "bob")));
      }
      try (SessionStore store = lifecycleStore(reopened(b), clock)) {
        String owner = store.info("s").orElseThrow().metadata().get("owner");
        assertEquals(at.startsWith("put") ? "alice" : "bob", owner, at);
        assertEquals(List.of("s"), store.findByMetadata("owner", owner), at);
        String other = owner.equals("alice") ? "bob" : "alice";
        assertEquals(List.of(), store.findByMetadata("owner", other),
            at + ": a stale entry is filtered");
      }
    }
  }

  /** Deleting expired sessions deletes them whole and keeps extended ones. */
  @Test
  default void required_lifecycle_deleteExpiredDeletesWholeSessionsAndKeepsExtendedOnes() {
    StorageBackend b = fresh();
    MovableClock clock = new MovableClock();
    try (SessionStore store = lifecycleStore(b, clock)) {
      Session s = store.session("short", SessionOptions.builder().metadata("owner", "a")
          .timeToLive(Duration.ofMinutes(30)).build());
      s.append(Message.user("x"));
      s.append(Message.user("y"));
      s.commit(1);
      store.session("active:\u00e9", SessionOptions.builder().timeToLive(Duration.ofMinutes(30))
          .extendOnActivity(true).build()).append(Message.user("x"));
      store.session("raced", SessionOptions.builder().timeToLive(Duration.ofMinutes(30))
          .extendOnActivity(true).build());
      store.session("long", SessionOptions.builder().timeToLive(Duration.ofDays(2)).build());
      store.session("forever").append(Message.user("x"));
      clock.advance(Duration.ofMinutes(20));
      store.session("active:\u00e9").append(Message.user("activity extends"));
    }
    clock.advance(Duration.ofMinutes(20));
    StorageBackend other = reopened(b);
    try (SessionStore writer = lifecycleStore(b, clock)) {
      // the sweep reads the info of "raced", judges it expired, and before it marks it the
      // session's owner appends (extending the expiry): the mark must fail, the session stay
      HookBackend sweeperBackend = new HookBackend(other,
          call -> call.equals("get " + SessionLayout.info("raced")),
          () -> writer.session("raced").append(Message.user("just in time")), false);
      try (SessionStore sweeper = lifecycleStore(sweeperBackend, clock)) {
        assertEquals(List.of("short"), sweeper.deleteExpired(clock.instant()));
      }
    }
    assertEquals(List.of(), b.list(SessionLayout.root("short")), "deleted whole");
    try (SessionStore store = lifecycleStore(reopened(b), clock)) {
      assertEquals(List.of("active:\u00e9", "forever", "long", "raced"), store.listSessions());
      assertEquals(1, store.existingSession("raced").messages().size());
      assertEquals(List.of(), store.findByMetadata("owner", "a"));
      assertEquals(List.of("long"), store.deleteExpired(clock.instant().plus(Duration.ofDays(3)))
          .stream().filter("long"::equals).toList());
    }
  }

  /** Crashes at each step of deleting an expired session. */
  @Test
  default void required_lifecycle_crashPointsOfAnExpiredSessionsDelete() {
    for (String step : List.of("put " + SessionLayout.INFO_NAME, "delete sessions/",
        "delete " + SessionLayout.SESSIONS + "s/messages.jsonl", "delete " + SessionLayout.EXPIRY)) {
      StorageBackend b = fresh();
      MovableClock clock = new MovableClock();
      try (SessionStore store = lifecycleStore(b, clock)) {
        Session s = store.session("s", SessionOptions.builder().metadata("owner", "alice")
            .timeToLive(Duration.ofMinutes(10)).build());
        s.append(Message.user("a"));
        s.append(Message.user("b"));
        s.commit(1);
      }
      clock.advance(Duration.ofMinutes(11));
      HookBackend crashing = new HookBackend(b, call -> step.startsWith("put")
          ? call.startsWith("put ") && call.endsWith(step.substring(4)) : call.startsWith(step),
          () -> { }, true);
      try (SessionStore sweeper = lifecycleStore(crashing, clock)) {
        assertThrows(StorageException.class, () -> sweeper.deleteExpired(clock.instant()));
      }
      try (SessionStore after = lifecycleStore(reopened(b), clock)) {
        boolean marked = !step.startsWith("put");
        if (marked) {
          assertFalse(after.exists("s"), step + ": a marked session is gone");
          assertThrows(SessionNotFoundException.class, () -> after.existingSession("s"));
        } else {
          assertEquals(1, after.existingSession("s").messages().size(),
              step + ": crashed before the mark: whole");
          assertEquals(1, after.existingSession("s").archives().size(), step);
        }
        clock.advance(Duration.ofHours(3));
        after.deleteExpired(clock.instant());
        assertFalse(after.exists("s"), step + ": the next sweep finishes it");
        assertEquals(List.of(), b.list(SessionLayout.root("s")), step);
        assertEquals(List.of(), b.list(SessionLayout.EXPIRY), step);
        assertEquals(List.of(), after.findByMetadata("owner", "alice"), step);
      }
    }
  }
}
