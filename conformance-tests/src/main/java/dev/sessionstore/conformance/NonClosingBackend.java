package dev.sessionstore.conformance;

import dev.sessionstore.spi.StorageBackend;

/**
 * A view of a backend whose close() does nothing: a SessionStore closes its backend, but the kit
 * opens several stores over one backend (a reopen after a crash) and closes it once itself.
 */
final class NonClosingBackend extends ForwardingBackend {
  NonClosingBackend(StorageBackend delegate) {
    super(delegate);
  }

  @Override
  public void close() {
    // the kit closes the real backend after the test
  }
}
