package dev.sessionstore.spi;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The one retry loop of core and the backends: run an attempt; when it fails with an error the
 * caller calls transient (a lost race, a serialization failure, a directory that vanished
 * under a concurrent delete), let the caller catch up, pause a random, growing time so that
 * competing writers spread out, and try again, up to a limit. The last error is rethrown as it
 * is, so each caller keeps its own exceptions.
 */
public final class Retries {
  /**
   * One attempt.
   *
   * @param <T> the result
   * @param <E> the checked exception an attempt may throw
   */
  @FunctionalInterface
  public interface Attempt<T, E extends Exception> {
    /**
     * Runs the attempt.
     *
     * @param attempt 0 for the first attempt, then 1, 2 ...
     * @return the result
     * @throws E when the attempt fails
     */
    T run(int attempt) throws E;
  }

  private Retries() {}

  /**
   * Runs {@code attempt} until it returns, pausing between attempts.
   *
   * @param <T> the result
   * @param <E> the checked exception an attempt may throw
   * @param maxAttempts how many attempts at most, at least 1
   * @param retryable which failures are worth another attempt
   * @param beforeRetry runs after a retryable failure, before the pause (for example to read
   *     what the winner of a race wrote)
   * @param attempt the attempt
   * @return the first attempt's result that did not fail
   * @throws E the failure of the last attempt, or the first failure that is not retryable
   */
  public static <T, E extends Exception> T run(int maxAttempts,
      Predicate<? super Exception> retryable, Consumer<? super Exception> beforeRetry,
      Attempt<T, E> attempt) throws E {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    for (int i = 0; ; i++) {
      try {
        return attempt.run(i);
      } catch (Exception e) {
        if (i + 1 >= maxAttempts || !retryable.test(e)) {
          throw e;
        }
        beforeRetry.accept(e);
        backoff(i);
      }
    }
  }

  /**
   * Pauses a random time from 0 to 2<sup>attempt</sup> microseconds (at most about 4 ms), so
   * that writers that lost the same race do not collide again in step.
   *
   * @param attempt 0 after the first failure, then 1, 2 ...
   */
  public static void backoff(int attempt) {
    long maxMicros = 1L << Math.min(attempt, 12);
    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(maxMicros + 1) * 1000);
  }
}
