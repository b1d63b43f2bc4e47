package dev.sessionstore;

import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Retries;

/**
 * Core's use of the shared retry loop ({@link Retries}): an attempt that loses a race
 * ({@link ConflictException}) lets the caller catch up with storage and tries again; when every
 * attempt lost, the caller gets a {@link ContentionException}.
 */
final class Retry {
  /** One attempt; throws {@link ConflictException} when another writer won. */
  interface Attempt<T> {
    T run(int attempt);
  }

  private Retry() {}

  static <T> T onConflict(int maxAttempts, String what, Attempt<T> attempt, Runnable catchUp) {
    try {
      return Retries.run(maxAttempts, e -> e instanceof ConflictException, e -> catchUp.run(),
          attempt::run);
    } catch (ConflictException e) {
      catchUp.run(); // the last loser also leaves its view current
      throw new ContentionException(what + " lost " + maxAttempts
          + " races in a row to other writers; nothing was written by the last attempt");
    }
  }

  /** A conditional write that found its blob changed or gone: read again and retry. */
  static boolean lostARace(Exception e) {
    return e instanceof ConflictException || e instanceof NotFoundException;
  }
}
