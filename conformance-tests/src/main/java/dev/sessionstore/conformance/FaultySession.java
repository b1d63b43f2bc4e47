package dev.sessionstore.conformance;

import dev.sessionstore.Session;
import dev.sessionstore.spi.StorageBackend;

/**
 * The set-up every fault and crash rule repeats: the storage under test, the fault decorator
 * over it, and a session opened through the decorator. Checks afterwards go to {@link #storage}
 * directly, as a restarted process would see it.
 *
 * @param storage the backend under test, left open when a store over it closes
 * @param faults the decorator that injects faults into {@code storage}
 * @param session a session opened through {@code faults}
 */
record FaultySession(StorageBackend storage, FaultInjectingBackend faults, Session session) {

  /** Opens session {@code id} on {@code storage} through a new fault decorator. */
  static FaultySession open(StorageBackend storage, String id) {
    FaultInjectingBackend faults = FaultInjectingBackend.wrap(new NonClosingBackend(storage));
    return new FaultySession(storage, faults, SessionChecks.store(faults).session(id));
  }
}
