package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sessionstore.conformance.LocationConformanceKit;
import dev.sessionstore.conformance.LogDamage;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Runs the whole conformance kit against the local file system backend; damage to a log is a
 * hand edit of its file (a line removed).
 */
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

  @Override
  protected Optional<LogDamage> logDamage() {
    return Optional.of((backend, log, seq) -> {
      Path file = ((LocalFsBackend) backend).root().resolve(log);
      String prefix = "{\"seq\":" + seq + ",";
      List<String> lines = Files.readAllLines(file, UTF_8);
      List<String> kept = lines.stream().filter(l -> !l.startsWith(prefix))
          .collect(Collectors.toList());
      if (kept.size() != lines.size() - 1) {
        throw new IllegalStateException(file + " has no single line of seq " + seq);
      }
      Files.writeString(file, kept.stream().map(l -> l + "\n").collect(Collectors.joining()),
          UTF_8);
    });
  }
}
