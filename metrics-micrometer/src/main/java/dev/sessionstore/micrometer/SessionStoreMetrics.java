package dev.sessionstore.micrometer;

import dev.sessionstore.HealReport;
import dev.sessionstore.StoreObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Micrometer meters for one {@link dev.sessionstore.SessionStore}; register it with {@link
 * dev.sessionstore.SessionStore.Builder#observer}.
 *
 * <pre>{@code
 * String uri = "file:///var/lib/agent/sessions";
 * SessionStore store = SessionStore.builder()
 *     .uri(uri)
 *     .observer(SessionStoreMetrics.forUri(registry, uri))
 *     .build();
 * }</pre>
 *
 * <p>Meters, all tagged {@code backend} (the URI scheme: {@code file}, {@code s3}, {@code
 * jdbc:postgresql}, ...):
 *
 * <ul>
 *   <li>{@value #OPERATIONS} (timer), tags {@code op} = {@code append | commit | load |
 *       reconcile} and {@code outcome} = {@code ok | error};
 *   <li>{@value #HEALS} (counter), tag {@code kind} = {@code stale_dropped | rolled_forward |
 *       rolled_back | meta_rewritten | damage_found}: one count per heal that did that kind of
 *       repair ({@code damage_found}: reconcile found damage it does not repair, which {@code
 *       SessionStore.repair} or {@code sessionstore check --repair} deals with);
 *   <li>{@value #STALE_MESSAGES} (counter): live messages dropped because an archive already
 *       held them (each one a message that would otherwise have reached the model twice);
 *   <li>{@value #CONFLICTS} (counter), tag {@code op}: races lost to another writer and retried;
 *   <li>{@value #CONTENTION} (counter), tag {@code op}: operations that lost every retry and
 *       threw {@link dev.sessionstore.ContentionException}.
 * </ul>
 */
public final class SessionStoreMetrics implements StoreObserver {
  /** Timer name for appends, commits, loads and reconciles. */
  public static final String OPERATIONS = "sessionstore.operations";
  /** Counter name for heals, by kind of repair. */
  public static final String HEALS = "sessionstore.heals";
  /** Counter name for stale live messages dropped by heals. */
  public static final String STALE_MESSAGES = "sessionstore.heals.stale.messages";
  /** Counter name for races lost and retried. */
  public static final String CONFLICTS = "sessionstore.conflicts.retried";
  /** Counter name for operations that failed with contention. */
  public static final String CONTENTION = "sessionstore.contention.failures";

  private final MeterRegistry registry;
  private final String backend;
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

  private SessionStoreMetrics(MeterRegistry registry, String backend) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.backend = Objects.requireNonNull(backend, "backend");
  }

  /**
   * Meters tagged with the scheme of the store's URI.
   *
   * @param registry where the meters go
   * @param storeUri the URI the store is built with; only its scheme is used (never a secret)
   * @return the observer to register
   */
  public static SessionStoreMetrics forUri(MeterRegistry registry, String storeUri) {
    return new SessionStoreMetrics(registry, scheme(Objects.requireNonNull(storeUri, "storeUri")));
  }

  /**
   * Meters tagged with a backend name of your choice, for stores built on a backend object.
   *
   * @param registry where the meters go
   * @param backend the value of the {@code backend} tag
   * @return the observer to register
   */
  public static SessionStoreMetrics withBackendTag(MeterRegistry registry, String backend) {
    return new SessionStoreMetrics(registry, backend);
  }

  /** {@code file}, {@code s3}, {@code mem}; for JDBC the sub-protocol too: {@code jdbc:h2}. */
  static String scheme(String uri) {
    String lower = uri.toLowerCase(Locale.ROOT);
    int colon = lower.indexOf(':');
    if (colon <= 0) {
      return "unknown";
    }
    if (lower.startsWith("jdbc:")) {
      int next = lower.indexOf(':', 5);
      return next < 0 ? "jdbc" : lower.substring(0, next);
    }
    return lower.substring(0, colon);
  }

  @Override
  public void operation(String op, long nanos, boolean ok) {
    String outcome = ok ? "ok" : "error";
    timers.computeIfAbsent(op + '/' + outcome, k -> Timer.builder(OPERATIONS)
            .description("sessionstore operations: append, commit, load, reconcile")
            .tags("backend", backend, "op", op, "outcome", outcome)
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void healed(HealReport report) {
    if (!report.staleMessageIds().isEmpty()) {
      heal("stale_dropped").increment();
      counter(STALE_MESSAGES, "stale live messages dropped by heals", null)
          .increment(report.staleMessageIds().size());
    }
    if (!report.rolledForwardArchives().isEmpty()) {
      heal("rolled_forward").increment();
    }
    if (!report.rolledBackArchives().isEmpty()) {
      heal("rolled_back").increment();
    }
    if (report.metaRewritten()) {
      heal("meta_rewritten").increment();
    }
    if (!report.problems().isEmpty()) {
      heal("damage_found").increment(); // found and left for `check --repair`: worth an alert
    }
  }

  @Override
  public void conflictRetried(String op) {
    counter(CONFLICTS, "races lost to another writer and retried", op).increment();
  }

  @Override
  public void contention(String op) {
    counter(CONTENTION, "operations that lost every retry", op).increment();
  }

  private Counter heal(String kind) {
    return counters.computeIfAbsent(HEALS + '/' + kind, k -> Counter.builder(HEALS)
        .description("heals by kind of repair")
        .tags("backend", backend, "kind", kind)
        .register(registry));
  }

  private Counter counter(String name, String description, String op) {
    return counters.computeIfAbsent(name + '/' + op, k -> {
      Counter.Builder b = Counter.builder(name).description(description).tag("backend", backend);
      return (op == null ? b : b.tag("op", op)).register(registry);
    });
  }

  @Override
  public String toString() {
    return "SessionStoreMetrics[backend=" + backend + "]";
  }
}
