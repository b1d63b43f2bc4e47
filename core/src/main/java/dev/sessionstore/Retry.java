package dev.sessionstore;

import dev.sessionstore.spi.ConflictException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * The one retry-on-conflict loop: run an attempt; when it loses a race ({@link
 * ConflictException}), let the caller catch up with storage, pause a random, growing time so
 * that competing writers spread out, and try again, up to a limit.
 */
final class Retry {
  /** One attempt; throws {@link ConflictException} when another writer won. */
  interface Attempt<T> {
    T run(int attempt);
  }

  private Retry() {}

  static <T> T onConflict(int maxAttempts, String what, Attempt<T> attempt, Runnable catchUp) {
    for (int i = 0; i < maxAttempts; i++) {
      try {
        return attempt.run(i);
      } catch (ConflictException e) {
        catchUp.run();
        backoff(i);
      }
    }
    throw new ContentionException(what + " lost " + maxAttempts
        + " races in a row to other writers; nothing was written by the last attempt");
  }

  static void backoff(int attempt) {
    long maxMicros = 1L << Math.min(attempt, 12);
    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(maxMicros + 1) * 1000);
  }
}
