package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Several threads and several store instances on one session: nothing lost, nothing twice. */
class ConcurrencyTest {
  private final StorageBackend mem = MemoryStorageProvider.newBackend();
  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  /** Every message once, archived or live, in seq order, with seqs 1..n. */
  private List<Message> everything() {
    Session s = TestStores.store(TestStores.reopen(mem)).session("s");
    List<Message> all = new ArrayList<>();
    for (ArchiveInfo a : s.archives()) {
      all.addAll(s.archiveMessages(a.number()));
    }
    all.addAll(s.messages());
    return all;
  }

  private void assertExactlyOnce(List<Message> all, int expected) {
    assertEquals(expected, all.size());
    Set<String> texts = new HashSet<>();
    for (int i = 0; i < all.size(); i++) {
      assertEquals(i + 1, all.get(i).seq(), "seqs are gap-free and in order");
      assertTrue(texts.add(all.get(i).text()), "duplicate " + all.get(i));
    }
  }

  private void runAll(int workers, WorkerBody body) throws Exception {
    CyclicBarrier start = new CyclicBarrier(workers);
    List<Future<?>> futures = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      int worker = w;
      futures.add(pool.submit(() -> {
        start.await();
        body.run(worker);
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
  }

  interface WorkerBody {
    void run(int worker) throws Exception;
  }

  @Test
  void threadsSharingOneStoreLoseNothing() throws Exception {
    SessionStore store = TestStores.store(mem);
    runAll(4, w -> {
      for (int i = 0; i < 25; i++) {
        store.session("s").append(Message.user(w + "-" + i));
      }
    });
    assertExactlyOnce(everything(), 100);
  }

  @Test
  void separateStoreInstancesLoseNothing() throws Exception {
    runAll(4, w -> {
      SessionStore own = TestStores.store(TestStores.reopen(mem));
      Session s = own.session("s");
      for (int i = 0; i < 25; i++) {
        s.append(Message.user(w + "-" + i));
      }
    });
    assertExactlyOnce(everything(), 100);
  }

  @Test
  void concurrentCommitsMakeExactlyOneArchivePerRange() throws Exception {
    Session s = TestStores.store(mem).session("s");
    for (int i = 0; i < 20; i++) {
      s.append(Message.user("m" + i));
    }
    List<CommitResult> results = new ArrayList<>();
    runAll(4, w -> {
      CommitResult r = TestStores.store(TestStores.reopen(mem)).session("s").commit(0);
      synchronized (results) {
        results.add(r);
      }
    });
    assertEquals(1, results.stream().filter(CommitResult::archived).count(), results.toString());
    assertExactlyOnce(everything(), 20);
    assertEquals(1, TestStores.store(TestStores.reopen(mem)).session("s").archives().size());
  }

  @Test
  void appendsRacingCommitsLoseNothing() throws Exception {
    runAll(3, w -> {
      Session s = TestStores.store(TestStores.reopen(mem)).session("s");
      for (int i = 0; i < 30; i++) {
        if (w == 0) {
          s.commit(i % 3);
        } else {
          s.append(Message.user(w + "-" + i));
        }
      }
    });
    List<Message> all = everything();
    assertExactlyOnce(all, 60);
    Session s = TestStores.store(TestStores.reopen(mem)).session("s");
    long previousLast = 0;
    for (ArchiveInfo a : s.archives()) {
      assertEquals(previousLast + 1, a.firstSeq(), "archives form one chain");
      previousLast = a.lastSeq();
    }
  }
}
