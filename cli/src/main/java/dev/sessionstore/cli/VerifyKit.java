package dev.sessionstore.cli;

import dev.sessionstore.SessionStore;
import dev.sessionstore.conformance.LocationConformanceKit;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The conformance kit bound to the store the user named: each backend is a fresh sub-store (see {@link VerifyCommand}); a second instance reopens the same URI. Run only
 * by {@code verify}, through the JUnit Platform Launcher, which instantiates it per test.
 */
final class VerifyKit extends LocationConformanceKit<String> {
  /** How to name the n-th fresh sub-store; set by {@code verify} before the run. */
  static volatile IntFunction<String> freshUri;
  /** Every URI handed out, for cleaning up after the run. */
  static final List<String> USED = new CopyOnWriteArrayList<>();
  private static final AtomicInteger COUNTER = new AtomicInteger();

  @Override
  protected String newLocation() {
    String uri = freshUri.apply(COUNTER.incrementAndGet());
    USED.add(uri);
    return uri;
  }

  @Override
  protected StorageBackend openLocation(String uri) {
    return open(uri);
  }

  /** The raw backend for a URI, found the way every store finds it. */
  static StorageBackend open(String uri) {
    SessionStore store = SessionStore.open(uri); // closing the backend closes it; the store holds nothing else
    return store.backend();
  }
}
