package dev.sessionstore.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sessionstore.ContentionException;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionLayout;
import dev.sessionstore.SessionStore;
import dev.sessionstore.conformance.ForwardingBackend;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionStoreMetricsTest {
  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final StorageBackend mem = MemoryStorageProvider.newBackend();

  private SessionStore store(StorageBackend backend, int maxRetries) {
    return SessionStore.builder().backend(backend).maxRetries(maxRetries)
        .observer(SessionStoreMetrics.withBackendTag(registry, "mem")).build();
  }

  private long timed(String op, String outcome) {
    Timer t = registry.find(SessionStoreMetrics.OPERATIONS)
        .tags("backend", "mem", "op", op, "outcome", outcome).timer();
    return t == null ? 0 : t.count();
  }

  private double count(String name, String... tags) {
    Counter c = registry.find(name).tag("backend", "mem").tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void operationsAreTimedByOpAndOutcome() {
    try (SessionStore store = store(mem, 100)) {
      Session s = store.session("s");            // load
      s.append(Message.user("a"));
      s.append(List.of(Message.user("b"), Message.user("c")));
      s.commit(1);
      s.messages();                              // load
      s.reconcile();
      assertThrows(IllegalArgumentException.class, () -> s.commit(-1));
    }
    assertEquals(2, timed("append", "ok"));
    assertEquals(1, timed("commit", "ok"));
    assertEquals(1, timed("commit", "error"));
    assertEquals(2, timed("load", "ok"));
    assertEquals(1, timed("reconcile", "ok"));
    Timer append = registry.find(SessionStoreMetrics.OPERATIONS).tag("op", "append").timer();
    assertEquals(true, append.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) > 0);
  }

  @Test
  void healsAreCountedByKindWithTheStaleMessages() {
    StorageBackend losesTrims = new ForwardingBackend(mem) {
      @Override
      public void trim(String log, long throughSeq) {
        // the lost clear: the archive is written, the live log keeps its messages
      }
    };
    try (SessionStore plain = SessionStore.builder().backend(losesTrims).build()) {
      Session s = plain.session("s");
      s.append(Message.user("a"));
      s.append(Message.user("b"));
      s.append(Message.user("c"));
      s.commit(1);
    }
    try (SessionStore store = store(MemoryStorageProvider.sharing(mem), 100)) {
      assertEquals(1, store.session("s").messages().size());
    }
    assertEquals(1, count(SessionStoreMetrics.HEALS, "kind", "stale_dropped"));
    assertEquals(2, count(SessionStoreMetrics.STALE_MESSAGES));
    assertEquals(0, count(SessionStoreMetrics.HEALS, "kind", "rolled_back"));
    assertNull(registry.find(SessionStoreMetrics.HEALS).tag("kind", "rolled_back").counter());
  }

  @Test
  void damageThatReconcileLeavesInPlaceIsCountedForAnAlert() {
    try (SessionStore plain = SessionStore.builder().backend(mem).build()) {
      plain.session("s").append(Message.user("a"));
    }
    // An archive without marker holding a message that is not live: reconcile must keep it.
    mem.put(SessionLayout.archiveMessages("s", 1), ("{\"seq\":7,\"id\":\"msg_x\","
        + "\"role\":\"user\",\"parts\":[],\"created_at\":\"t\"}\n")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8), Precondition.absent());
    try (SessionStore store = store(MemoryStorageProvider.sharing(mem), 100)) {
      store.session("s");
    }
    assertEquals(1, count(SessionStoreMetrics.HEALS, "kind", "damage_found"));
    assertEquals(0, count(SessionStoreMetrics.HEALS, "kind", "rolled_back"));
  }

  @Test
  void lostRacesAreCountedAsRetriedConflictsAndLosingEveryRetryAsContention() {
    try (SessionStore mine = store(mem, 1);
        SessionStore other = SessionStore.builder()
            .backend(MemoryStorageProvider.sharing(mem)).build()) {
      Session s = mine.session("s");
      s.append(Message.user("mine"));
      other.session("s").append(Message.user("theirs")); // my cached tail is now behind
      assertThrows(ContentionException.class, () -> s.append(Message.user("mine again")));
    }
    assertEquals(1, count(SessionStoreMetrics.CONFLICTS, "op", "append"));
    assertEquals(1, count(SessionStoreMetrics.CONTENTION, "op", "append"));
    assertEquals(1, timed("append", "error"));
  }

  @Test
  void theBackendTagIsTheUriSchemeWithoutAnythingElseFromTheUri() {
    assertEquals("file", SessionStoreMetrics.scheme("file:///var/lib/s"));
    assertEquals("s3", SessionStoreMetrics.scheme("s3://bucket/p?secretKey=x"));
    assertEquals("jdbc:postgresql",
        SessionStoreMetrics.scheme("jdbc:postgresql://db/app?password=secret"));
    assertEquals("jdbc:h2", SessionStoreMetrics.scheme("jdbc:h2:mem:"));
    assertEquals("mem", SessionStoreMetrics.scheme("mem:"));
    try (SessionStore store = SessionStore.builder().uri("mem:")
        .observer(SessionStoreMetrics.forUri(registry, "mem:")).build()) {
      store.session("s");
    }
    assertEquals(1, timed("load", "ok"));
  }
}
