package dev.sessionstore.conformance;

import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.StorageBackend;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * What every group of rules needs from the kit class it is mixed into: fresh backends and second
 * instances. Groups are interfaces with {@code @Test} default methods, so that each rule runs
 * and is reported as a method of the backend's own test class (one report per backend), while
 * each group still lives in its own file.
 */
interface KitGroup {

  /** {@return a new, empty backend, closed after the rule} */
  StorageBackend fresh();

  /**
   * {@return a second instance over the storage of {@code backend}, or empty; closed after the
   * rule}
   *
   * @param backend a backend from {@link #fresh()}
   */
  Optional<StorageBackend> second(StorageBackend backend);

  /**
   * {@return the second instance}, or skips the rule saying what to implement to check {@code
   * toCheck}.
   *
   * @param backend a backend from {@link #fresh()}
   * @param toCheck what the rule checks, for the skip message
   */
  default StorageBackend requireSecond(StorageBackend backend, String toCheck) {
    Optional<StorageBackend> s = second(backend);
    Assumptions.assumeTrue(s.isPresent(), () -> "skipped: openSecondInstance(backend) returns"
        + " empty; override it to return a second instance over the same storage to check "
        + toCheck);
    return s.get();
  }

  /** {@return the backend's way to damage a stored log past the SPI, or empty} */
  Optional<LogDamage> damage();

  /**
   * {@return the damage hook}, or skips the rule saying what to implement to check {@code
   * toCheck}.
   *
   * @param toCheck what the rule checks, for the skip message
   */
  default LogDamage requireDamage(String toCheck) {
    Optional<LogDamage> d = damage();
    Assumptions.assumeTrue(d.isPresent(), () -> "skipped: logDamage() returns empty; override"
        + " it to return a LogDamage that deletes a stored log record past the SPI (a file"
        + " edit, a SQL DELETE) to check " + toCheck);
    return d.get();
  }

  /** Skips the test unless {@code backend} declares {@code c}, saying what to implement. */
  static void requireCapability(StorageBackend backend, Capability c, String toCheck) {
    Assumptions.assumeTrue(backend.capabilities().contains(c), () -> "skipped: the backend does"
        + " not declare Capability." + c + "; implement " + KitSupport.describe(c)
        + " and declare it in capabilities() to check " + toCheck);
  }
}
