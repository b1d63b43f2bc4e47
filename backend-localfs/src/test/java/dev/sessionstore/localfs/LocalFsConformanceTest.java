package dev.sessionstore.localfs;

import dev.sessionstore.conformance.LocationConformanceKit;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Runs the whole conformance kit against the local file system backend. */
class LocalFsConformanceTest extends LocationConformanceKit<Path> {
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

  @Override
  protected Path newLocation() throws IOException {
    return Files.createTempDirectory(base, "root");
  }

  @Override
  protected StorageBackend openLocation(Path root) {
    return LocalFsStorageProvider.forDirectory(root);
  }
}
