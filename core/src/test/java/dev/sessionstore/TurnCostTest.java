package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Storage calls an agent's turn costs (append the user message, read the context, append the
 * answer), counted: they must not grow with the session's history. Counts are behaviour, so
 * they are asserted here; times are for the benchmark.
 */
class TurnCostTest {
  private final StorageBackend mem = MemoryStorageProvider.newBackend();

  private void history(String id, int messages) {
    Session s = TestStores.store(TestStores.reopen(mem)).session(id);
    for (int i = 1; i <= messages; i++) {
      s.append(Message.user("m" + i));
      if (i % 50 == 0) {
        s.commit(20, "summary " + i);
      }
    }
  }

  private static List<String> turn(Session s, PausingBackend counting) {
    counting.calls.clear();
    s.append(Message.user("question"));
    s.context(8_000);
    s.append(Message.assistant("answer"));
    return new ArrayList<>(counting.calls);
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 1_000})
  void aWarmTurnCostsFourCallsWhateverTheHistory(int messages) {
    history("s", messages);
    PausingBackend counting = new PausingBackend(TestStores.reopen(mem));
    Session s = TestStores.store(counting).session("s");
    turn(s, counting); // the first turn after a resume may read the retry window's archives
    List<String> calls = turn(s, counting);
    assertEquals(List.of("append sessions/s/messages.jsonl",
        "get sessions/s/history/" + SessionLayout.archiveName(s.meta().commitCount() + 1) + "/.done",
        "read sessions/s/messages.jsonl from " + (s.meta().lastSeq()),
        "append sessions/s/messages.jsonl"), calls);
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 1_000})
  void aResumeIsOneReconcileAndReadsTheLogOnce(int messages) {
    history("s", messages);
    PausingBackend counting = new PausingBackend(TestStores.reopen(mem));
    Session s = TestStores.store(counting).session("s");
    List<Message> live = s.messages();
    long fullLogReads = counting.calls.stream().filter(c -> c.endsWith(" from 1")).count();
    assertEquals(1, fullLogReads, counting.calls.toString());
    // 7 for the reconcile and refresh, + 1 for the info (metadata, expiry; a crashed delete of
    // an expired session is finished here), which the first append then needs no more
    assertTrue(counting.calls.size() <= 8, counting.calls.toString());
    assertEquals(messages == 10 ? 10 : 20, live.size()); // the last commit kept 20
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 1_000})
  void anotherWritersCommitCostsOneReconcileOnTheNextRead(int messages) {
    history("s", messages);
    PausingBackend counting = new PausingBackend(TestStores.reopen(mem));
    Session s = TestStores.store(counting).session("s");
    s.messages();
    TestStores.store(TestStores.reopen(mem)).session("s").commit(0);
    counting.calls.clear();
    assertEquals(List.of(), s.messages());
    long fullLogReads = counting.calls.stream().filter(c -> c.endsWith(" from 1")).count();
    assertEquals(1, fullLogReads, counting.calls.toString());
  }
}
