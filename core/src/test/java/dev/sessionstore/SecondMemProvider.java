package dev.sessionstore;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageProvider;
import java.util.Set;

/** A second provider claiming {@code mem}, for the duplicate-scheme test. */
public final class SecondMemProvider implements StorageProvider {
  /** For ServiceLoader. */
  public SecondMemProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("mem");
  }

  @Override
  public StorageBackend open(String uri) {
    return MemoryStorageProvider.newBackend();
  }
}
