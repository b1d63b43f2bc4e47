package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Crash after every storage operation of an append or a commit, then reopen and check. */
interface CrashPoints extends KitGroup {
  /** Far above the operations one append or commit takes; reaching it is a failure. */
  int MAX_STEPS = 60;

  /** Prepares a session; adds what it appended to {@code acked}. */
  interface Setup {
    void run(Session s, List<Message> acked);
  }

  /** The operation under test; adds to {@code attempted} before and {@code acked} after. */
  interface Action {
    void run(Session s, List<Message> acked, List<Message> attempted);
  }

  private void enumerate(String name, Setup setup, Action action) {
    StorageBackend b = fresh();
    for (int k = 0; k <= MAX_STEPS; k++) {
      String id = name + "-" + k;
      FaultySession x = FaultySession.open(b, id);
      FaultInjectingBackend f = x.faults();
      Session s = x.session();
      List<Message> acked = new ArrayList<>();
      List<Message> attempted = new ArrayList<>();
      setup.run(s, acked);
      long before = f.operationCount();
      f.crashAfter(k);
      try {
        action.run(s, acked, attempted);
      } catch (RuntimeException e) {
        if (!f.crashed()) {
          throw new AssertionError(name + " failed without a crash at step " + k, e);
        }
      }
      boolean reached = f.crashed();
      List<String> steps = f.journal().subList((int) before, f.journal().size());
      f.restart();
      SessionChecks.assertInvariant(b, id, acked, attempted,
          name + ", crash after step " + k + " " + steps);
      if (!reached) {
        assertTrue(k > 0, name + " did no storage operation");
        return; // the operation completed before the crash point: every step was covered
      }
    }
    fail(name + " still crashed after " + MAX_STEPS + " steps");
  }

  private void threeMessagesAndACommit(Session s, List<Message> acked) {
    acked.addAll(s.append(List.of(Message.user("a"), Message.user("b"))));
    s.commit(1);
    acked.add(s.append(Message.user("c")));
  }

  /** Required rule (crash): every step of append. */
  @Test
  default void required_crash_everyStepOfAppend() {
    enumerate("append", this::threeMessagesAndACommit, (s, acked, attempted) -> {
      List<Message> batch = List.of(Message.user("d"), Message.user("e"));
      attempted.addAll(batch);
      acked.addAll(s.append(batch));
    });
  }

  /** Required rule (crash): every step of commit keep zero. */
  @Test
  default void required_crash_everyStepOfCommitKeepZero() {
    enumerate("commit0", this::threeMessagesAndACommit, (s, acked, attempted) -> s.commit(0));
  }

  /** Required rule (crash): every step of commit keep some. */
  @Test
  default void required_crash_everyStepOfCommitKeepSome() {
    enumerate("commit1", this::threeMessagesAndACommit, (s, acked, attempted) -> {
      Message d = Message.user("d");
      attempted.add(d);
      acked.add(s.append(d));
      s.commit(1);
    });
  }

  /** Required rule (fail): any step of commit then the same store carries on. */
  @Test
  default void required_fail_anyStepOfCommitThenTheSameStoreCarriesOn() {
    StorageBackend b = fresh();
    for (int n = 1; n <= MAX_STEPS; n++) {
      String id = "fail-" + n;
      FaultySession x = FaultySession.open(b, id);
      FaultInjectingBackend f = x.faults();
      Session s = x.session();
      List<Message> acked = new ArrayList<>();
      threeMessagesAndACommit(s, acked);
      f.failOperation(n); // one transient failure, no restart: the same objects go on
      try {
        s.commit(0);
      } catch (RuntimeException expected) {
        // not acknowledged; the state must still be consistent
      }
      boolean reached = f.pendingFaults() == 0;
      f.restart(); // disarms the failure if the commit finished before reaching it
      acked.add(s.append(Message.user("after")));
      s.commit(0);
      SessionChecks.View v = SessionChecks.assertInvariant(b, id, acked, List.of(),
          "commit failed at its operation " + n + ", then append and commit again");
      assertEquals(List.of(), v.live(), "the second commit archives everything");
      if (!reached) {
        return;
      }
    }
    fail("commit still reached its operation " + MAX_STEPS);
  }

  /** Required rule (crash): every step of healing a lost clear. */
  @Test
  default void required_crash_everyStepOfHealingALostClear() {
    StorageBackend b = fresh();
    for (int k = 0; k <= MAX_STEPS; k++) {
      String id = "heal-" + k;
      List<Message> acked = new ArrayList<>();
      FaultySession x = FaultySession.open(b, id);
      FaultInjectingBackend f = x.faults();
      Session s = x.session();
      acked.addAll(s.append(List.of(Message.user("a"), Message.user("b"), Message.user("c"))));
      f.loseNext(FaultInjectingBackend.Operation.TRIM, "/messages.jsonl");
      s.commit(1);
      f.crashAfter(k);
      try {
        SessionChecks.store(f).session(id).messages();
      } catch (RuntimeException e) {
        if (!f.crashed()) {
          throw new AssertionError("healing failed without a crash at step " + k, e);
        }
      }
      boolean reached = f.crashed();
      f.restart();
      SessionChecks.View v = SessionChecks.assertInvariant(b, id, acked, List.of(),
          "heal crashed after step " + k);
      assertEquals(List.of("c"), SessionChecks.texts(v.live()));
      if (!reached) {
        return;
      }
    }
    fail("healing still crashed after " + MAX_STEPS + " steps");
  }
}
