package dev.sessionstore.conformance;

import dev.sessionstore.spi.StorageBackend;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The kit for a backend that is opened from a location: a directory, a URI, a table prefix.
 * Give a fresh location and a way to open one; every backend then also gets a second instance,
 * made by opening its location again as another process would.
 *
 * <pre>{@code
 * class MyBackendConformanceTest extends LocationConformanceKit<Path> {
 *   protected Path newLocation() throws IOException { return Files.createTempDirectory("kit"); }
 *   protected StorageBackend openLocation(Path dir) { return MyBackend.open(dir); }
 * }
 * }</pre>
 *
 * @param <L> what names a location
 */
public abstract class LocationConformanceKit<L> extends ConformanceKit {
  /** The location of every backend opened here, second instances included. */
  private final Map<StorageBackend, L> locations =
      Collections.synchronizedMap(new IdentityHashMap<>());

  /**
   * {@return a new location with nothing stored in it}
   *
   * @throws Exception if it cannot be made (the test fails)
   */
  protected abstract L newLocation() throws Exception;

  /**
   * {@return a new, independent backend instance over {@code location}}
   *
   * @param location a location from {@link #newLocation()}
   * @throws Exception if it cannot be opened (the test fails)
   */
  protected abstract StorageBackend openLocation(L location) throws Exception;

  @Override
  protected final StorageBackend createBackend() throws Exception {
    return openAt(newLocation());
  }

  @Override
  protected final Optional<StorageBackend> openSecondInstance(StorageBackend backend)
      throws Exception {
    L location = locations.get(backend);
    if (location == null) {
      throw new IllegalArgumentException("not a backend made by this kit: " + backend);
    }
    return Optional.of(openAt(location));
  }

  private StorageBackend openAt(L location) throws Exception {
    StorageBackend b = openLocation(location);
    locations.put(b, location);
    return b;
  }
}
