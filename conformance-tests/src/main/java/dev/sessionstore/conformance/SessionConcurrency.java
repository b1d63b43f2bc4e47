package dev.sessionstore.conformance;

import static dev.sessionstore.conformance.KitGroup.requireCapability;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.CommitResult;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** Several threads and several store instances on one session. */
interface SessionConcurrency extends KitGroup {
  /** The session the rules of this group use. */
  String ID = "shared";

  private void appendRace(List<SessionStore> stores) throws Exception {
    int perThread = 8;
    ConcurrentLinkedQueue<Message> acked = new ConcurrentLinkedQueue<>();
    KitSupport.runConcurrently(stores.size(), t -> {
      Session s = stores.get(t).session(ID);
      for (int i = 0; i < perThread; i++) {
        acked.add(s.append(Message.user("t" + t + "-" + i)));
      }
    });
    List<Message> live = stores.get(0).session(ID).messages();
    assertEquals(stores.size() * perThread, live.size(), "no message may be lost or doubled");
    for (int i = 0; i < live.size(); i++) {
      assertEquals(i + 1, live.get(i).seq(), "seqs must be unique and gap-free");
    }
    assertEquals(SessionChecks.countIds(List.copyOf(acked)), SessionChecks.countIds(live));
    Set<Long> ackedSeqs = new HashSet<>();
    for (Message m : acked) {
      assertTrue(ackedSeqs.add(m.seq()), "two appends were acknowledged with seq " + m.seq());
    }
  }

  /**
   * Required rule (session concurrent): threads of one store.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void required_sessionConcurrent_threadsOfOneStore() throws Exception {
    StorageBackend b = fresh();
    SessionStore store = SessionChecks.store(b);
    appendRace(List.of(store, store, store, store));
  }

  /**
   * Required rule (session concurrent): two stores on one backend.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void required_sessionConcurrent_twoStoresOnOneBackend() throws Exception {
    StorageBackend b = fresh();
    SessionStore one = SessionChecks.store(b);
    SessionStore two = SessionChecks.store(b);
    appendRace(List.of(one, two, one, two));
  }

  /**
   * Optional rule (shared storage): two stores on two instances.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void optional_sharedStorage_twoStoresOnTwoInstances() throws Exception {
    StorageBackend b = fresh();
    requireCapability(b, Capability.SHARED_STORAGE, "two store instances on shared storage");
    StorageBackend other = requireSecond(b, "two store instances on shared storage");
    SessionStore one = SessionChecks.store(b);
    SessionStore two = SessionChecks.store(other);
    appendRace(List.of(one, two, one, two));
  }

  private void commitRace(StorageBackend first, StorageBackend second) throws Exception {
    SessionStore[] stores = {SessionChecks.store(first), SessionChecks.store(second)};
    stores[0].session(ID);
    int appends = 10;
    int commits = 4;
    ConcurrentLinkedQueue<Message> acked = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<CommitResult> results = new ConcurrentLinkedQueue<>();
    KitSupport.runConcurrently(4, t -> {
      Session s = stores[t % 2].session(ID);
      if (t < 2) {
        for (int i = 0; i < appends; i++) {
          acked.add(s.append(Message.user("t" + t + "-" + i)));
        }
      } else {
        for (int i = 0; i < commits; i++) {
          results.add(s.commit(1));
        }
      }
    });
    List<Message> ordered = new ArrayList<>(acked);
    ordered.sort(Comparator.comparingLong(Message::seq));
    SessionChecks.View v = SessionChecks.assertInvariant(first, ID, ordered, List.of(),
        "concurrent appends and commits");
    Set<Integer> numbers = new HashSet<>();
    for (CommitResult r : results) {
      if (r.archived()) {
        assertTrue(numbers.add(r.archiveNumber()),
            "two commits reported archive " + r.archiveNumber());
        ArchiveInfo a = v.archives().get(r.archiveNumber() - 1);
        assertEquals(r.firstSeq(), a.firstSeq(), "archive " + a.number() + " range");
        assertEquals(r.lastSeq(), a.lastSeq(), "archive " + a.number() + " range");
      }
    }
  }

  /**
   * Required rule (session concurrent): commits make one archive per range.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void required_sessionConcurrent_commitsMakeOneArchivePerRange() throws Exception {
    StorageBackend b = fresh();
    commitRace(b, b);
  }

  /**
   * Optional rule (shared storage): commits from two instances.
   *
   * @throws Exception if the threads of the rule cannot run
   */
  @Test
  default void optional_sharedStorage_commitsFromTwoInstances() throws Exception {
    StorageBackend b = fresh();
    requireCapability(b, Capability.SHARED_STORAGE, "commits from two instances");
    commitRace(b, requireSecond(b, "commits from two instances"));
  }
}
