package dev.sessionstore;

/**
 * Told how a store's operations went, for metrics (the {@code sessionstore-metrics-micrometer}
 * module implements it with Micrometer). Register with {@link SessionStore.Builder#observer}.
 *
 * <p>Every method has a no-op default. They are called on the caller's thread, inside the
 * operation, so they must be fast and must not throw (an exception is logged and ignored).
 */
public interface StoreObserver {
  /** {@link Session#append(java.util.List)} and {@link Session#append(Message)}. */
  String APPEND = "append";
  /** The {@code commit} methods of {@link Session}. */
  String COMMIT = "commit";
  /**
   * Reads that load and reconcile a session: opening it ({@link SessionStore#session},
   * {@link SessionStore#existingSession}), {@link Session#messages()}, {@link
   * Session#context(long)} and {@link Session#meta()}.
   */
  String LOAD = "load";
  /** {@link Session#reconcile()} and the dry run {@link SessionStore#check}. */
  String RECONCILE = "reconcile";

  /** An observer that does nothing. */
  StoreObserver NONE = new StoreObserver() {};

  /**
   * One operation finished.
   *
   * @param op {@link #APPEND}, {@link #COMMIT}, {@link #LOAD} or {@link #RECONCILE}
   * @param nanos how long it took, wall clock
   * @param ok false if it threw
   */
  default void operation(String op, long nanos, boolean ok) {}

  /**
   * A session was found inconsistent and repaired (also told to every {@link HealListener}).
   *
   * @param report what was repaired
   */
  default void healed(HealReport report) {}

  /**
   * An append or commit lost a race to another writer and is retrying.
   *
   * @param op {@link #APPEND} or {@link #COMMIT}
   */
  default void conflictRetried(String op) {}

  /**
   * An append or commit lost every retry and threw {@link ContentionException}.
   *
   * @param op {@link #APPEND} or {@link #COMMIT}
   */
  default void contention(String op) {}
}
