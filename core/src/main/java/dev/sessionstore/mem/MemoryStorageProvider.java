package dev.sessionstore.mem;

import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageProvider;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Provides the in-memory backend for {@code mem:} URIs. {@code mem:} alone opens a fresh,
 * private store; {@code mem:NAME} opens the store called NAME, shared by everything in this JVM
 * that opens the same name (so two store instances can work on the same data, as two processes
 * would on a disk).
 */
public final class MemoryStorageProvider implements StorageProvider {
  private static final Map<String, MemoryBackend> NAMED = new ConcurrentHashMap<>();

  /** Used by {@link java.util.ServiceLoader}. */
  public MemoryStorageProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("mem");
  }

  @Override
  public StorageBackend open(String uri) {
    if (!uri.startsWith("mem:")) {
      throw new IllegalArgumentException("not a mem: URI: " + uri);
    }
    String name = uri.substring("mem:".length());
    if (name.isEmpty()) {
      return new MemoryBackend();
    }
    if (!name.matches("[A-Za-z0-9._-]{1,128}")) {
      throw new IllegalArgumentException(
          "mem: store name must be 1-128 characters of [A-Za-z0-9._-], was '" + name + "'");
    }
    return NAMED.computeIfAbsent(name, n -> new MemoryBackend()).sharing();
  }

  /** {@return a fresh, private in-memory backend, for tests and examples} */
  public static StorageBackend newBackend() {
    return new MemoryBackend();
  }

  /**
   * A second backend instance over the same storage, as a second process would see it.
   *
   * @param backend an in-memory backend made by this provider
   * @return another instance over the same storage
   */
  public static StorageBackend sharing(StorageBackend backend) {
    if (!(backend instanceof MemoryBackend m)) {
      throw new IllegalArgumentException("not an in-memory backend: " + backend.getClass());
    }
    return m.sharing();
  }
}
