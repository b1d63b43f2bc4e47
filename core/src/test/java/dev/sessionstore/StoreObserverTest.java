package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a {@link StoreObserver} is told, and NPE messages at the API's front door. */
class StoreObserverTest {
  private final StorageBackend mem = MemoryStorageProvider.newBackend();
  private final Recorder rec = new Recorder();

  /** Records every call as one line. */
  static final class Recorder implements StoreObserver {
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void operation(String op, long nanos, boolean ok) {
      assertTrue(nanos >= 0);
      calls.add(op + (ok ? " ok" : " error"));
    }

    @Override
    public void healed(HealReport report) {
      calls.add("healed " + report.staleMessageIds().size());
    }

    @Override
    public void conflictRetried(String op) {
      calls.add("conflict " + op);
    }

    @Override
    public void contention(String op) {
      calls.add("contention " + op);
    }
  }

  private SessionStore observed(StorageBackend backend, int maxRetries) {
    return SessionStore.builder().backend(backend).observer(rec).maxRetries(maxRetries).build();
  }

  @Test
  void eachPublicOperationIsTimedOnceWithItsOutcome() {
    try (SessionStore store = observed(mem, 100)) {
      Session s = store.session("s");
      s.append(Message.user("a"));
      s.append(List.of(Message.user("b"), Message.user("c")));
      s.commit(1, "sum");
      s.messages();
      s.context(1000);
      s.meta();
      s.reconcile();
      store.check("s");
      assertThrows(IllegalArgumentException.class, () -> s.commit(-1));
      assertEquals(List.of("load ok", "append ok", "append ok", "commit ok", "load ok", "load ok",
          "load ok", "reconcile ok", "reconcile ok", "commit error"), rec.calls);
      rec.calls.clear();
      store.repair("s"); // opens the session inside: still one operation
      assertEquals(List.of("reconcile ok"), rec.calls);
      store.delete("s");
      assertThrows(SessionNotFoundException.class, s::messages);
      assertEquals(List.of("reconcile ok", "load error"), rec.calls);
    }
  }

  @Test
  void aLostRaceIsReportedAsARetriedConflictAndLosingEveryRetryAsContention() {
    StorageBackend second = TestStores.reopen(mem);
    try (SessionStore mine = observed(mem, 1);
        SessionStore other = TestStores.store(second)) {
      Session s = mine.session("s");
      s.append(Message.user("mine 1"));
      other.session("s").append(Message.user("theirs")); // my cached tail is now behind
      assertThrows(ContentionException.class, () -> s.append(Message.user("mine 2")));
      assertEquals(List.of("load ok", "append ok", "conflict append", "contention append",
          "append error"), rec.calls);
    }
    rec.calls.clear();
    try (SessionStore mine = observed(mem, 100);
        SessionStore other = TestStores.store(TestStores.reopen(mem))) {
      Session s = mine.session("s");
      other.session("s").append(Message.user("theirs again"));
      s.append(Message.user("mine 3"));
      assertEquals(List.of("load ok", "conflict append", "append ok"), rec.calls);
    }
  }

  @Test
  void aHealIsReportedToTheObserver() {
    FaultyBackend lossy = new FaultyBackend(mem)
        .loseWhen(w -> w.kind() == FaultyBackend.Kind.TRIM);
    try (SessionStore store = TestStores.store(lossy)) {
      Session s = store.session("s");
      s.append(Message.user("a"));
      s.append(Message.user("b"));
      s.commit(0);
    }
    try (SessionStore store = observed(TestStores.reopen(mem), 100)) {
      store.session("s");
      assertEquals(List.of("healed 2", "load ok"), rec.calls);
    }
  }

  @Test
  void anObserverThatThrowsDoesNotBreakTheOperation() {
    StoreObserver broken = new StoreObserver() {
      @Override
      public void operation(String op, long nanos, boolean ok) {
        throw new IllegalStateException("observer bug");
      }
    };
    try (SessionStore store = SessionStore.builder().backend(mem).observer(broken).build()) {
      assertEquals(1, store.session("s").append(Message.user("a")).seq());
    }
  }

  @Test
  void nullArgumentsAreNamedInTheException() {
    try (SessionStore store = TestStores.store(mem)) {
      Session s = store.session("s");
      assertEquals("message", assertThrows(NullPointerException.class,
          () -> s.append((Message) null)).getMessage());
      assertEquals("messages", assertThrows(NullPointerException.class,
          () -> s.append((List<Message>) null)).getMessage());
      assertEquals("summary", assertThrows(NullPointerException.class,
          () -> s.commit(0, (String) null)).getMessage());
      assertEquals("role", assertThrows(NullPointerException.class,
          () -> Message.builder().role(null)).getMessage());
      assertEquals("text", assertThrows(NullPointerException.class,
          () -> Message.user(null)).getMessage());
      assertEquals("observer", assertThrows(NullPointerException.class,
          () -> SessionStore.builder().observer(null)).getMessage());
      assertEquals(0, s.messages().size(), "nothing was written");
    }
  }
}
