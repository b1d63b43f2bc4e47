package dev.sessionstore;

import static dev.sessionstore.TestStores.texts;
import static dev.sessionstore.TestStores.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export to OpenViking's format: an export imported again gives the same session; its files
 * follow the rules OpenViking's loader applies; a taken target, a bad id or a session the
 * format cannot carry leave the disk as it was.
 */
class ExportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path sessions;
  private final StorageBackend mem = MemoryStorageProvider.newBackend();
  private SessionStore store;

  @BeforeEach
  void setUp() throws IOException {
    sessions = Files.createDirectory(dir.resolve("sessions"));
    store = TestStores.store(mem);
  }

  /**
   * Three archives of 2, 2 and 1 messages (two with a summary), three live messages, one with a
   * tool part, a field this library does not know and text outside ASCII.
   */
  private Session seedChat() {
    Session s = store.session("chat");
    s.append(List.of(Message.user("one"), Message.assistant("two"), Message.user("three")));
    s.commit(1, "counted to two");
    s.append(Message.assistant("four"));
    s.commit(0);
    s.append(List.of(Message.user("five"), Message.assistant("six")));
    s.commit(1, "  five, padded  \n");
    s.append(Message.builder().role("assistant")
        .addPart(Part.tool("call-1", "search", "completed", null, "found"))
        .extraField("peer_id", JsonNodeFactory.instance.textNode("agent-7")).build());
    s.append(Message.user("sieben \u00fc \u2028 \u4e03"));
    return s;
  }

  /** The session directory as a store would see it if its root were the export's parent. */
  private StorageBackend loadFromDisk(Path sessionDir, String id) throws IOException {
    StorageBackend loaded = MemoryStorageProvider.newBackend();
    String root = SessionLayout.root(id);
    try (Stream<Path> files = Files.walk(sessionDir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String key = root + sessionDir.relativize(f).toString().replace('\\', '/');
        if (key.equals(SessionLayout.log(id))) {
          List<byte[]> records = new ArrayList<>();
          Files.readAllLines(f).stream().filter(l -> !l.isBlank())
              .forEach(l -> records.add(utf8(l)));
          if (!records.isEmpty()) {
            loaded.append(key, 1, records);
          }
        } else {
          loaded.put(key, Files.readAllBytes(f), Precondition.absent());
        }
      }
    }
    return loaded;
  }

  private static void assertSameContent(List<Message> want, List<Message> got) {
    assertEquals(want.size(), got.size(), () -> texts(got).toString());
    for (int i = 0; i < want.size(); i++) {
      assertTrue(want.get(i).sameContent(got.get(i)), want.get(i) + " vs " + got.get(i));
    }
  }

  /** Every file and its content under a directory, to prove a refused export changed nothing. */
  private static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        out.put(root.relativize(p).toString(), Files.isRegularFile(p) ? Files.readString(p) : "/");
      }
    }
    return out;
  }

  @Test
  void anExportImportedAgainGivesTheSameMessagesArchivesAndSummaries() throws IOException {
    Session s = seedChat();
    Path target = sessions.resolve("chat");

    ExportReport report = store.exportSession("chat", target);

    assertEquals(new ExportReport("chat", target, 3, 3, 5, 2), report);
    SessionStore back = TestStores.store(loadFromDisk(target, "chat"));
    ImportReport imported = back.importSession("chat");
    assertEquals(new ImportReport("chat", false, 3, 5, 3, 0), imported);
    Session again = back.session("chat");
    assertSameContent(s.messages(), again.messages());
    assertEquals(java.util.Arrays.asList("counted to two", null, "five, padded"),
        again.archives().stream().map(ArchiveInfo::summary).toList());
    for (ArchiveInfo a : s.archives()) {
      ArchiveInfo b = again.archives().get(a.number() - 1);
      assertEquals(List.of(a.number(), a.messageCount(), a.startingMessageId(),
          a.endingMessageId(), a.createdAt()), List.of(b.number(), b.messageCount(),
          b.startingMessageId(), b.endingMessageId(), b.createdAt()));
      assertSameContent(s.archiveMessages(a.number()), again.archiveMessages(a.number()));
    }
    assertEquals(8, again.meta().totalMessageCount());
    // the copy here is untouched and keeps working
    s.append(Message.user("after"));
    assertEquals(4, s.messages().size());
    assertEquals(3, again.messages().size());
  }

  /**
   * The rules OpenViking's loader applies to a session directory, written down from its
   * documented behaviour as an oracle independent of this library's code.
   */
  @Test
  void theExportedFilesFollowOpenVikingsLoaderRules() throws IOException {
    Session s = seedChat();
    Path target = sessions.resolve("chat");
    store.exportSession("chat", target);

    List<JsonNode> live = jsonLines(target.resolve("messages.jsonl"));
    JsonNode meta = JSON.readTree(target.resolve(".meta.json").toFile());
    // every line is a message OpenViking's Message.from_dict reads: id and role, no seq
    for (JsonNode line : live) {
      assertTrue(line.path("id").isTextual() && line.path("role").isTextual(), line.toString());
      assertFalse(line.has("seq"), line.toString());
    }
    assertEquals(s.messages().stream().map(Message::id).toList(),
        live.stream().map(l -> l.get("id").asText()).toList());
    // PR 2604's count rule drops the oldest (lines - message_count) lines: it must keep them all
    int dropped = Math.max(0, live.size() - meta.get("message_count").asInt());
    assertEquals(0, dropped);
    assertEquals(3, meta.get("message_count").asInt());
    assertEquals(8, meta.get("total_message_count").asInt());
    assertEquals("chat", meta.get("session_id").asText());
    assertFalse(meta.has("format"), "a format field would mark it as this library's");
    // OpenViking numbers its next archive commit_count + 1: it must not exist yet
    assertEquals(3, meta.get("commit_count").asInt());
    assertFalse(Files.exists(target.resolve("history/archive_004")));

    Map<Integer, String> summaries = Map.of(1, "counted to two", 3, "five, padded");
    String newestEndingId = null;
    for (int n = 1; n <= 3; n++) {
      Path archive = target.resolve(String.format("history/archive_%03d", n));
      List<JsonNode> held = jsonLines(archive.resolve("messages.jsonl"));
      assertEquals(s.archiveMessages(n).stream().map(Message::id).toList(),
          held.stream().map(l -> l.get("id").asText()).toList());
      JsonNode done = JSON.readTree(archive.resolve(".done").toFile());
      assertEquals(held.get(0).get("id").asText(), done.get("starting_message_id").asText());
      assertEquals(held.get(held.size() - 1).get("id").asText(),
          done.get("ending_message_id").asText());
      assertEquals(archive.getFileName().toString(), done.get("coverage_end_archive").asText());
      Path overview = archive.resolve(".overview.md");
      if (summaries.containsKey(n)) {
        // working_memory_enabled demands an overview; one without front matter is read whole
        assertTrue(done.get("working_memory_enabled").asBoolean());
        String text = Files.readString(overview);
        assertFalse(text.startsWith("---"));
        assertEquals(summaries.get(n), text.strip());
      } else {
        assertFalse(done.get("working_memory_enabled").asBoolean());
        assertFalse(Files.exists(overview));
      }
      newestEndingId = done.get("ending_message_id").asText();
    }
    // the by-id rule drops live messages up to the newest marker's ending id: there is none
    String ending = newestEndingId;
    assertTrue(live.stream().noneMatch(l -> l.get("id").asText().equals(ending)));
  }

  private static List<JsonNode> jsonLines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readString(file, StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  @Test
  void aTargetThatIsNotAnEmptyDirectoryIsRefusedAndLeftAsItWas() throws IOException {
    seedChat();
    Path taken = Files.createDirectory(sessions.resolve("chat"));
    Files.writeString(taken.resolve("messages.jsonl"), "{\"id\":\"theirs\",\"role\":\"user\"}\n");
    Path file = Files.writeString(sessions.resolve("plain"), "not a directory");
    Map<String, String> before = tree(dir);

    ExportException e = assertThrows(ExportException.class,
        () -> store.exportSession("chat", taken));
    assertEquals(ExportException.Reason.TARGET_NOT_EMPTY, e.reason());
    assertTrue(e.getMessage().contains(taken.toString()), e.getMessage());
    assertEquals(ExportException.Reason.TARGET_NOT_EMPTY,
        assertThrows(ExportException.class, () -> store.exportSession("chat", file)).reason());
    assertEquals(ExportException.Reason.TARGET_UNUSABLE, assertThrows(ExportException.class,
        () -> store.exportSession("chat", dir.resolve("missing/chat"))).reason());
    assertEquals(before, tree(dir));

    Path empty = Files.createDirectory(sessions.resolve("empty"));
    assertEquals(3, store.exportSession("chat", empty).archives());
    assertTrue(Files.isRegularFile(empty.resolve("history/archive_003/.done")));
  }

  @Test
  void anInvalidOrUnknownIdReadsAndWritesNothing() throws IOException {
    FaultyBackend watching = new FaultyBackend(TestStores.reopen(mem));
    SessionStore watched = TestStores.store(watching);
    assertThrows(InvalidSessionIdException.class,
        () -> watched.exportSession("bad\nid", sessions.resolve("x")));
    assertThrows(InvalidSessionIdException.class,
        () -> watched.exportSession("", sessions.resolve("x")));
    assertThrows(SessionNotFoundException.class,
        () -> watched.exportSession("nobody", sessions.resolve("nobody")));
    assertEquals(List.of(), watching.writes());
    assertEquals(Map.of("", "/"), tree(sessions));
  }

  @Test
  void aSessionStillInOpenVikingsFormatMustBeImportedFirst() throws IOException {
    mem.put("sessions/ov/.meta.json", utf8("{\"session_id\":\"ov\",\"message_count\":1}"),
        Precondition.absent());
    mem.append("sessions/ov/messages.jsonl", 1, List.of(utf8(
        "{\"id\":\"m1\",\"role\":\"user\",\"parts\":[],\"created_at\":\"2025-01-01T00:00:00Z\"}")));
    assertThrows(ImportRequiredException.class,
        () -> store.exportSession("ov", sessions.resolve("ov")));
    assertEquals(Map.of("", "/"), tree(sessions));

    store.importSession("ov");
    assertEquals(1, store.exportSession("ov", sessions.resolve("ov")).liveMessages());
  }

  @Test
  void aSummaryOpenVikingWouldReadAsFrontMatterIsRefused() throws IOException {
    Session s = store.session("fm");
    s.append(Message.user("a"));
    s.commit(0, "---\ntitle: not front matter\n---\nbody");
    ExportException e = assertThrows(ExportException.class,
        () -> store.exportSession("fm", sessions.resolve("fm")));
    assertEquals(ExportException.Reason.NOT_REPRESENTABLE, e.reason());
    assertEquals(Map.of("", "/"), tree(sessions));
  }

  /**
   * A live message with the id of the newest archive's last message (damage: the same id live
   * and archived) would be dropped by OpenViking's loader as already archived. The read-back
   * catches it and nothing reaches the target.
   */
  @Test
  void anExportThatOpenVikingWouldReadDifferentlyFailsVerificationAndLeavesNothing()
      throws IOException {
    Session s = store.session("dup");
    Message archived = s.append(Message.user("archived"));
    s.commit(0);
    mem.append(SessionLayout.log("dup"), 2, List.of(utf8("{\"seq\":2,\"id\":\"" + archived.id()
        + "\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"again\"}],"
        + "\"created_at\":\"2025-01-01T00:00:00Z\"}")));
    s.append(Message.user("later"));
    assertEquals(List.of("again", "later"), texts(TestStores.store(TestStores.reopen(mem))
        .session("dup").messages()));

    ExportException e = assertThrows(ExportException.class,
        () -> store.exportSession("dup", sessions.resolve("dup")));
    assertEquals(ExportException.Reason.VERIFICATION_FAILED, e.reason());
    assertTrue(e.getMessage().contains("drop 1 live message"), e.getMessage());
    assertEquals(Map.of("", "/"), tree(sessions));
  }

  @Test
  void anEmptySessionExportsAsAnEmptyLogWithZeroCounts() throws IOException {
    store.session("fresh");
    ExportReport r = store.exportSession("fresh", sessions.resolve("fresh"));
    assertEquals(new ExportReport("fresh", sessions.resolve("fresh"), 0, 0, 0, 0), r);
    assertEquals("", Files.readString(sessions.resolve("fresh/messages.jsonl")));
    JsonNode meta = JSON.readTree(sessions.resolve("fresh/.meta.json").toFile());
    assertEquals(List.of(0, 0, 0), List.of(meta.get("message_count").asInt(),
        meta.get("total_message_count").asInt(), meta.get("commit_count").asInt()));
    assertNull(meta.get("format"));
  }
}
