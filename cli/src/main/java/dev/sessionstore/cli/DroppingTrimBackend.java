package dev.sessionstore.cli;

import dev.sessionstore.conformance.ForwardingBackend;
import dev.sessionstore.spi.StorageBackend;

/**
 * A fault: a backend whose {@link #trim} reports success but does nothing, as when the write
 * that clears the live log after a commit is lost. Closing it leaves the real backend open.
 */
final class DroppingTrimBackend extends ForwardingBackend {
  private int dropped;

  DroppingTrimBackend(StorageBackend real) {
    super(real);
  }

  /** How many trims were swallowed. */
  synchronized int dropped() {
    return dropped;
  }

  @Override
  public synchronized void trim(String log, long throughSeq) {
    dropped++; // the lost clear
  }

  @Override
  public void close() {
    // the demo goes on with the real backend
  }
}
