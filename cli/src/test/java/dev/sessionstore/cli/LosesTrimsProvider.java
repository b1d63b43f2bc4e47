package dev.sessionstore.cli;

import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageProvider;
import java.util.Set;

/**
 * Test-only backend {@code losestrims:NAME}: the named {@code mem:} store behind a backend whose
 * trim does nothing, so that {@code verify} has a broken backend to report on.
 */
public final class LosesTrimsProvider implements StorageProvider {
  @Override
  public Set<String> schemes() {
    return Set.of("losestrims");
  }

  @Override
  public StorageBackend open(String uri) {
    String name = uri.substring("losestrims:".length());
    return new DroppingTrimBackend(new MemoryStorageProvider().open("mem:losestrims-" + name));
  }
}
