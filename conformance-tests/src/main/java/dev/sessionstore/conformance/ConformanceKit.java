package dev.sessionstore.conformance;

import dev.sessionstore.spi.StorageBackend;
import java.util.Optional;

/**
 * The conformance kit. A backend author extends this class in a test source folder and returns
 * fresh backends; every test of the kit then runs against them.
 */
public abstract class ConformanceKit {

  /** A fresh, empty backend. May be called several times in one test; each call is new. */
  protected abstract StorageBackend createBackend() throws Exception;

  /**
   * A second, independent instance over the same storage as {@code backend}, as another process
   * would open it, or empty if the backend cannot do that. Also used to check durability:
   * what a returned write stored must be visible through the new instance.
   */
  protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) throws Exception {
    return Optional.empty();
  }
}
