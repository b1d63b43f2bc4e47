package dev.sessionstore;

import static dev.sessionstore.TestStores.texts;
import static dev.sessionstore.TestStores.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sessions in OpenViking's format carry no seqs. OpenViking PR 2604's four cases, on data laid
 * out as OpenViking writes it, judged by message id (markers that name their messages) and by
 * the count rule (markers that name nothing): both give PR 2604's answers.
 */
class CountRuleCompatibilityTest {
  private static final String LOG = "sessions/ov/messages.jsonl";
  private final StorageBackend mem = MemoryStorageProvider.newBackend();

  enum Markers { WITH_IDS, WITHOUT_IDS }

  private static String line(String id) {
    return "{\"id\":\"msg_" + id + "\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\""
        + id + "\"}],\"created_at\":\"2025-01-01T00:00:00Z\"}";
  }

  /** An OpenViking session: meta (or none), archive 1 holding {@code archived}, the live log. */
  private void seed(Markers markers, Integer messageCount, List<String> archived, String... live) {
    if (messageCount != null) {
      mem.put("sessions/ov/.meta.json", utf8("{\"session_id\":\"ov\",\"message_count\":"
          + messageCount + ",\"commit_count\":1}"), Precondition.absent());
    }
    if (!archived.isEmpty()) {
      StringBuilder body = new StringBuilder();
      archived.forEach(id -> body.append(line(id)).append('\n'));
      mem.put("sessions/ov/history/archive_001/messages.jsonl", utf8(body.toString()),
          Precondition.absent());
      String done = markers == Markers.WITH_IDS
          ? "{\"starting_message_id\":\"msg_" + archived.get(0) + "\",\"ending_message_id\":\"msg_"
              + archived.get(archived.size() - 1) + "\"}"
          : "{}";
      mem.put("sessions/ov/history/archive_001/.done", utf8(done), Precondition.absent());
    }
    List<byte[]> records = new ArrayList<>();
    for (String id : live) {
      records.add(utf8(line(id)));
    }
    mem.append(LOG, 1, records);
  }

  private HealReport.Rule expectedRule(Markers markers) {
    return markers == Markers.WITH_IDS ? HealReport.Rule.BY_ID : HealReport.Rule.COUNT;
  }

  private List<String> rawLogTexts() {
    List<String> out = new ArrayList<>();
    for (LogRecord r : mem.read(LOG, 1).records()) {
      out.add(new String(r.data()).replaceAll(".*\"text\":\"(\\w+)\".*", "$1"));
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Markers.class)
  void pr2604_1_keepZeroDropsAllStaleAndRewritesTheFileEmpty(Markers markers) {
    seed(markers, 0, List.of("A", "B"), "A", "B");
    List<HealReport> heals = new ArrayList<>();
    Session s = TestStores.store(TestStores.reopen(mem), heals).session("ov");
    assertEquals(List.of(), s.messages());
    assertEquals(List.of(), rawLogTexts());
    assertEquals(expectedRule(markers), heals.get(0).rule());
    assertEquals(List.of("msg_A", "msg_B"), heals.get(0).staleMessageIds());
  }

  @ParameterizedTest
  @EnumSource(Markers.class)
  void pr2604_2_keepTailSurvivesAReload(Markers markers) {
    seed(markers, 1, List.of("A", "B"), "A", "B", "C");
    assertEquals(List.of("C"), texts(TestStores.store(TestStores.reopen(mem)).session("ov").messages()));
    assertEquals(List.of("C"), rawLogTexts());
    assertEquals(List.of("C"), texts(TestStores.store(TestStores.reopen(mem)).session("ov").messages()));
  }

  @ParameterizedTest
  @EnumSource(Markers.class)
  void pr2604_3_consistentSessionIsNotRewritten(Markers markers) {
    seed(markers, 2, List.of("Z"), "A", "B");
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    assertEquals(List.of("A", "B"), texts(TestStores.store(watching).session("ov").messages()));
    assertEquals(List.of(), watching.writes());
  }

  @ParameterizedTest
  @EnumSource(Markers.class)
  void pr2604_4_sessionWithoutMetaIsUntouched(Markers markers) {
    seed(markers, null, List.of(), "A", "B");
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    assertEquals(List.of("A", "B"), texts(TestStores.store(watching).session("ov").messages()));
    assertEquals(List.of(), watching.writes());
  }

  @ParameterizedTest
  @EnumSource(Markers.class)
  void metaWithoutMessageCountDropsNothing(Markers markers) {
    mem.put("sessions/ov/.meta.json", utf8("{\"session_id\":\"ov\"}"), Precondition.absent());
    seed(markers, null, List.of(), "A", "B");
    assertEquals(List.of("A", "B"), texts(TestStores.store(TestStores.reopen(mem)).session("ov").messages()));
  }

  /** The count rule's first blind spot: a crash between OpenViking's append and its meta write. */
  @ParameterizedTest
  @EnumSource(Markers.class)
  void aCrashBeforeOpenVikingsMetaWriteDropsNothingWhenMarkersNameTheirMessages(Markers markers) {
    seed(markers, 1, List.of("A"), "B", "C"); // consistent, but C's meta update was lost
    Session s = TestStores.store(TestStores.reopen(mem)).session("ov");
    List<String> expected = markers == Markers.WITH_IDS ? List.of("B", "C") : List.of("C");
    assertEquals(expected, texts(s.messages()), "the count rule (no ids) is the documented fallback");
  }

  /** The count rule's second blind spot: a crash between OpenViking's .done and meta write. */
  @ParameterizedTest
  @EnumSource(value = Markers.class, names = "WITH_IDS")
  void aLostClearWithStaleCountsIsStillHealedById(Markers markers) {
    seed(markers, 3, List.of("A", "B"), "A", "B", "C"); // meta still says 3 live
    assertEquals(List.of("C"), texts(TestStores.store(TestStores.reopen(mem)).session("ov").messages()));
  }

  @ParameterizedTest
  @EnumSource(Markers.class)
  void writingRequiresAnExplicitImportAndWritesNothingBefore(Markers markers) {
    seed(markers, 2, List.of("Z"), "A", "B");
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    Session s = TestStores.store(watching).session("ov");
    assertThrows(ImportRequiredException.class, () -> s.append(Message.user("C")));
    assertThrows(ImportRequiredException.class, () -> s.commit(0));
    assertEquals(List.of(), watching.writes());
  }

  @ParameterizedTest
  @EnumSource(Markers.class)
  void importSwitchesToSeqsAndKeepsCountsAndSummaries(Markers markers) {
    seed(markers, 2, List.of("X", "Y", "Z"), "A", "B");
    mem.put("sessions/ov/history/archive_001/.overview.md", utf8("they talked\n"),
        Precondition.absent());
    SessionStore store = TestStores.store(TestStores.reopen(mem));
    ImportReport report = store.importSession("ov");
    assertEquals(new ImportReport("ov", false, 1, 3, 2, 0), report);
    assertTrue(store.importSession("ov").alreadyImported());

    Session s = store.session("ov");
    assertEquals(5, s.meta().totalMessageCount());
    ArchiveInfo imported = s.archives().get(0);
    assertEquals(3, imported.messageCount());
    assertEquals("they talked", imported.summary());
    s.append(Message.user("C"));
    CommitResult r = s.commit(1, "A and B");
    assertEquals(2, r.archiveNumber());
    assertEquals(List.of("A", "B"), texts(s.archiveMessages(2)));
    assertEquals(List.of("C"), texts(s.messages()));
    assertEquals(HealReport.Rule.EXACT, s.reconcile().rule());
    Session reopened = TestStores.store(TestStores.reopen(mem)).session("ov");
    assertEquals(List.of("C"), texts(reopened.messages()));
    assertEquals(6, reopened.meta().totalMessageCount());
    assertEquals(List.of("X", "Y", "Z"), texts(reopened.archiveMessages(1)));
  }

  @Test
  void anOverviewsFrontMatterIsNotPartOfTheImportedSummary() {
    seed(Markers.WITH_IDS, 1, List.of("X"), "A");
    mem.put("sessions/ov/history/archive_001/.overview.md",
        utf8("---\ndirectory: viking://session/ov/history/archive_001\n---\n\nthey talked\n"
            + "about --- things\n"), Precondition.absent());
    SessionStore store = TestStores.store(TestStores.reopen(mem));
    store.importSession("ov");
    assertEquals("they talked\nabout --- things",
        store.session("ov").archives().get(0).summary());
    assertEquals("---\nno closing line", SessionImporter.withoutFrontMatter("---\nno closing line"));
  }
}
