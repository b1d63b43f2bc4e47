package dev.sessionstore.bench;

import java.util.function.LongSupplier;

/**
 * One thing the turn loop runs against: our store on a backend, or a peer a user might pick
 * instead. Counters may be null where a target has no such work to count.
 */
interface Target extends AutoCloseable {
  /** A short name for the table. */
  String name();

  /** Prepares a session holding {@code history} messages, committed as the loop commits. */
  void seed(String session, int history) throws Exception;

  /** One agent turn: append the user's message, read the context, append the answer. */
  void turn(String session, int n) throws Exception;

  /** Commits (keep 20) when the loop says so; peers without archives do nothing. */
  void commit(String session) throws Exception;

  /** Storage calls through the SPI, or null. */
  default LongSupplier storageCalls() {
    return null;
  }

  /** HTTP requests sent, or null. */
  default LongSupplier httpRequests() {
    return null;
  }

  /** SQL round trips (executions and commits), or null. */
  default LongSupplier sqlRoundTrips() {
    return null;
  }

  @Override
  default void close() throws Exception {}
}
