package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sessionstore.mem.MemoryStorageProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** listSessions, messages and archives in pages; listing reads no session. */
class PagingTest {

  @Test
  void listSessionsPagesInIdOrderWithoutReadingAnySession() {
    List<String> reads = new ArrayList<>();
    ReadRecordingBackend rec = new ReadRecordingBackend(MemoryStorageProvider.newBackend(), reads);
    try (SessionStore store = TestStores.store(rec)) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        String id = i % 2 == 0 ? "s" + (100 + i) : "user" + i + "@example.com";
        ids.add(id);
        store.session(id);
      }
      ids.sort(null);
      reads.clear();
      List<String> seen = new ArrayList<>();
      String after = null;
      List<String> page;
      while (!(page = store.listSessions(after, 7)).isEmpty()) {
        assertEquals(true, page.size() <= 7);
        seen.addAll(page);
        after = page.get(page.size() - 1);
      }
      assertEquals(ids, seen);
      assertEquals(true, reads.stream().allMatch(r -> r.startsWith("list")), reads.toString());
      assertEquals(ids.subList(3, 5), store.listSessions(ids.get(2), 2));
      assertEquals(ids.subList(0, 2), store.listSessions("", 2));
      assertEquals(List.of(), store.listSessions("zzz", 2));
      assertThrows(IllegalArgumentException.class, () -> store.listSessions(null, 0));
    }
  }

  @Test
  void messagesPageBySeqAndArchivesByNumber() {
    try (SessionStore store = TestStores.store(MemoryStorageProvider.newBackend())) {
      Session s = store.session("p");
      for (int i = 1; i <= 30; i++) {
        s.append(Message.user("m" + i));
        if (i % 5 == 0) {
          s.commit(2);
        }
      }
      List<Message> all = s.messages();
      List<Message> paged = new ArrayList<>();
      long from = 1;
      List<Message> page;
      while (!(page = s.messages(from, 1)).isEmpty()) {
        paged.addAll(page);
        from = page.get(page.size() - 1).seq() + 1;
      }
      assertEquals(all, paged);
      assertEquals(List.of("m30"), TestStores.texts(s.messages(30, 5)));
      assertEquals(List.of(), s.messages(31, 5));

      List<ArchiveInfo> archives = s.archives();
      assertEquals(6, archives.size());
      List<ArchiveInfo> pagedArchives = new ArrayList<>();
      int after = 0;
      List<ArchiveInfo> ap;
      while (!(ap = s.archives(after, 4)).isEmpty()) {
        pagedArchives.addAll(ap);
        after = ap.get(ap.size() - 1).number();
      }
      assertEquals(archives, pagedArchives);
      assertEquals(archives.subList(4, 6), s.archives(4, 10));
      assertThrows(IllegalArgumentException.class, () -> s.messages(1, 0));
      assertThrows(IllegalArgumentException.class, () -> s.archives(-1, 1));
    }
  }
}
