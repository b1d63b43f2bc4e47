package dev.sessionstore.conformance.selftest;

import dev.sessionstore.conformance.ConformanceKit;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.StorageBackend;
import java.util.Optional;

/** The reference backend passes the whole kit; written exactly as a backend author would. */
class MemoryBackendConformanceTest extends ConformanceKit {

  @Override
  protected StorageBackend createBackend() {
    return MemoryStorageProvider.newBackend();
  }

  @Override
  protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) {
    return Optional.of(MemoryStorageProvider.sharing(backend));
  }
}
