package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The backend-facing half of every kit: how to make a fresh backend and a second instance, and
 * closing whatever a test opened. Extend {@link ConformanceKit} (both roles), {@link
 * StorageContractKit} or {@link SessionBehaviourKit}, not this class. Rules run group by group,
 * so reports list them that way, and after the last one the kit prints a summary by group with
 * every failure and skip reason.
 */
@TestMethodOrder(KitOrder.class)
@ExtendWith(KitSummary.class)
public abstract class KitFixture implements KitGroup {

  /** Backends this test opened, closed after it, newest first. */
  private final List<StorageBackend> opened = Collections.synchronizedList(new ArrayList<>());

  KitFixture() {}

  /**
   * {@return a fresh, empty backend} May be called several times in one rule; each call is new.
   * The kit closes it after the rule.
   *
   * @throws Exception if it cannot be made (the rule fails)
   */
  protected abstract StorageBackend createBackend() throws Exception;

  /**
   * A second, independent instance over the same storage as {@code backend}, as another process
   * would open it, or empty if the backend cannot do that. With it the kit also checks what one
   * instance sees of another's writes, durability and persistence.
   *
   * @param backend a backend from {@link #createBackend()}
   * @return the second instance, or empty
   * @throws Exception if it cannot be opened (the rule fails)
   */
  protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) throws Exception {
    return Optional.empty();
  }

  /**
   * How to damage a stored log past the SPI (delete a record from the file or table), or empty
   * if the backend cannot; with it the kit checks that damage to a live log is reported and
   * drops nothing.
   *
   * @return the damage hook, or empty
   */
  protected Optional<LogDamage> logDamage() {
    return Optional.empty();
  }

  /** Closes every backend the test opened; a failing close must not hide the test's result. */
  @AfterEach
  protected final void closeKitBackends() {
    List<StorageBackend> all;
    synchronized (opened) {
      all = new ArrayList<>(opened);
      opened.clear();
    }
    Collections.reverse(all);
    for (StorageBackend b : all) {
      try {
        b.close();
      } catch (RuntimeException ignored) {
        // a closed or crashed backend may refuse; the test already has its verdict
      }
    }
  }

  /** A new backend from {@link #createBackend()}, checked to be empty, closed after the test. */
  @Override
  public final StorageBackend fresh() {
    StorageBackend b;
    try {
      b = createBackend();
    } catch (Exception e) {
      throw new AssertionError("createBackend() failed", e);
    }
    if (b == null) {
      fail("createBackend() returned null");
    }
    opened.add(b);
    assertEquals(List.of(), b.list(""), "createBackend() must return an empty backend");
    return b;
  }

  @Override
  public final Optional<LogDamage> damage() {
    Optional<LogDamage> d = logDamage();
    if (d == null) {
      fail("logDamage() returned null; return Optional.empty() instead");
    }
    return d;
  }

  /** The second instance over the storage of {@code backend}, or empty; closed after the test. */
  @Override
  public final Optional<StorageBackend> second(StorageBackend backend) {
    Optional<StorageBackend> s;
    try {
      s = openSecondInstance(backend);
    } catch (Exception e) {
      throw new AssertionError("openSecondInstance() failed", e);
    }
    if (s == null) {
      fail("openSecondInstance() returned null; return Optional.empty() instead");
    }
    s.ifPresent(opened::add);
    return s;
  }
}
