package dev.sessionstore.localfs;

import dev.sessionstore.conformance.ConformanceKit;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Runs the whole conformance kit against the local file system backend. */
class LocalFsConformanceTest extends ConformanceKit {
  private static Path base;

  @BeforeAll
  static void makeBase() throws IOException {
    base = Files.createTempDirectory("localfs-conformance");
  }

  @AfterAll
  static void removeBase() throws IOException {
    try (Stream<Path> s = Files.walk(base)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The root of every backend made here (the kit may hand back instances it got). */
  private final Map<StorageBackend, Path> roots = new IdentityHashMap<>();

  @Override
  protected StorageBackend createBackend() throws IOException {
    Path root = Files.createTempDirectory(base, "root");
    StorageBackend b = LocalFsStorageProvider.forDirectory(root);
    roots.put(b, root);
    return b;
  }

  @Override
  protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) {
    Path root = roots.get(backend);
    if (root == null) {
      throw new IllegalArgumentException("not a backend made by createBackend(): " + backend);
    }
    StorageBackend second = LocalFsStorageProvider.forDirectory(root);
    roots.put(second, root);
    return Optional.of(second);
  }
}
