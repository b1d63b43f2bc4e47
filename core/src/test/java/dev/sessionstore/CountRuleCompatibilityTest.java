package dev.sessionstore;

import static dev.sessionstore.TestStores.texts;
import static dev.sessionstore.TestStores.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sessions imported from OpenViking carry no seqs: the four tests of its PR 2604, as written
 * in DESIGN.md §1, on data laid out as OpenViking writes it.
 */
class CountRuleCompatibilityTest {
  private static final String LOG = "sessions/ov/messages.jsonl";
  private final StorageBackend mem = MemoryStorageProvider.newBackend();

  private void seed(Integer messageCount, String... ids) {
    if (messageCount != null) {
      mem.put("sessions/ov/.meta.json", utf8("{\"session_id\":\"ov\",\"message_count\":"
          + messageCount + ",\"commit_count\":1}"), Precondition.absent());
      mem.put("sessions/ov/history/archive_001/messages.jsonl", utf8(""), Precondition.absent());
      mem.put("sessions/ov/history/archive_001/.done",
          utf8("{\"starting_message_id\":\"msg_A\",\"ending_message_id\":\"msg_B\"}"),
          Precondition.absent());
    }
    List<byte[]> records = new ArrayList<>();
    for (String id : ids) {
      records.add(utf8("{\"id\":\"msg_" + id + "\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\""
          + id + "\"}],\"created_at\":\"2025-01-01T00:00:00Z\"}"));
    }
    mem.append(LOG, 1, records);
  }

  private List<String> rawLogTexts() {
    List<String> out = new ArrayList<>();
    for (LogRecord r : mem.read(LOG, 1).records()) {
      out.add(new String(r.data()).replaceAll(".*\"text\":\"(\\w+)\".*", "$1"));
    }
    return out;
  }

  @Test
  void pr2604_1_keepZeroDropsAllStaleAndRewritesTheFileEmpty() {
    seed(0, "A", "B");
    List<HealReport> heals = new ArrayList<>();
    Session s = TestStores.store(TestStores.reopen(mem), heals).session("ov");
    assertEquals(List.of(), s.messages());
    assertEquals(List.of(), rawLogTexts());
    assertEquals(HealReport.Rule.COUNT, heals.get(0).rule());
    assertEquals(List.of("msg_A", "msg_B"), heals.get(0).staleMessageIds());
  }

  @Test
  void pr2604_2_keepTailSurvivesAReload() {
    seed(1, "A", "B", "C");
    assertEquals(List.of("C"), texts(TestStores.store(TestStores.reopen(mem)).session("ov").messages()));
    assertEquals(List.of("C"), rawLogTexts());
    assertEquals(List.of("C"), texts(TestStores.store(TestStores.reopen(mem)).session("ov").messages()));
  }

  @Test
  void pr2604_3_consistentSessionIsNotRewritten() {
    seed(2, "A", "B");
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    assertEquals(List.of("A", "B"), texts(TestStores.store(watching).session("ov").messages()));
    assertEquals(List.of(), watching.writes());
  }

  @Test
  void pr2604_4_sessionWithoutMetaIsUntouched() {
    seed(null, "A", "B");
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    assertEquals(List.of("A", "B"), texts(TestStores.store(watching).session("ov").messages()));
    assertEquals(List.of(), watching.writes());
  }

  @Test
  void metaWithoutMessageCountDropsNothing() {
    mem.put("sessions/ov/.meta.json", utf8("{\"session_id\":\"ov\"}"), Precondition.absent());
    seed(null, "A", "B");
    assertEquals(List.of("A", "B"), texts(TestStores.store(TestStores.reopen(mem)).session("ov").messages()));
  }

  @Test
  void firstCommitOnAnImportedSessionSwitchesItToSeqs() {
    seed(2, "A", "B");
    Session s = TestStores.store(TestStores.reopen(mem)).session("ov");
    s.append(Message.user("C"));
    CommitResult r = s.commit(1);
    assertEquals(2, r.archiveNumber());
    assertEquals(List.of("A", "B"), texts(s.archiveMessages(2)));
    assertEquals(List.of("C"), texts(s.messages()));
    assertEquals(HealReport.Rule.EXACT, s.reconcile().rule());
  }
}
