package dev.sessionstore;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Small helpers shared by the core tests. */
final class TestStores {
  private TestStores() {}

  static SessionStore store(StorageBackend backend) {
    return SessionStore.builder().backend(backend).build();
  }

  static SessionStore store(StorageBackend backend, List<HealReport> heals) {
    return SessionStore.builder().backend(backend).healListener(heals::add).build();
  }

  /** A second backend over the same in-memory storage, as a restarted process would open. */
  static StorageBackend reopen(StorageBackend mem) {
    return MemoryStorageProvider.sharing(mem);
  }

  static List<String> texts(List<Message> messages) {
    List<String> out = new ArrayList<>();
    for (Message m : messages) {
      out.add(m.text());
    }
    return out;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
