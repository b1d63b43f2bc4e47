package dev.sessionstore.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.conformance.FaultInjectingBackend.Operation;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Storage calls per agent turn, for adapters' tests: runs a framework's turns over a {@link
 * CountingBackend} and checks that a late turn costs no more than an early one. The framework
 * part (how a turn is asked) is the caller's; the counting and the verdict are the same for all.
 */
public final class TurnCosts {
  private TurnCosts() {}

  /**
   * Runs turns {@code first..last} and counts the calls of the turns after {@code countFrom}.
   *
   * @param counting the backend below the store the turns use
   * @param first the first turn to run
   * @param countFrom the last turn not counted
   * @param last the last turn to run
   * @param turn runs turn number {@code n} (and asserts its answer)
   * @return the calls of turns {@code countFrom + 1 .. last}, by operation
   */
  public static Map<Operation, Long> callsOfTurns(CountingBackend counting, int first,
      int countFrom, int last, IntConsumer turn) {
    Map<Operation, Long> before = counting.counts();
    for (int n = first; n <= last; n++) {
      if (n == countFrom + 1) {
        before = counting.counts();
      }
      turn.accept(n);
    }
    Map<Operation, Long> after = counting.counts();
    Map<Operation, Long> diff = new EnumMap<>(Operation.class);
    for (Operation op : Operation.values()) {
      diff.put(op, after.get(op) - before.get(op));
    }
    return diff;
  }

  /**
   * Prints the calls of ten early and ten late turns side by side, then asserts that no
   * operation grew with the history, that late turns list nothing (a kept session handle needs
   * no existence check) and that a late turn stays within {@code maxCallsPerTurn}.
   *
   * @param early the calls of ten early turns
   * @param late the calls of ten late turns
   * @param maxCallsPerTurn the most calls a steady-state turn may take
   */
  public static void assertFlat(Map<Operation, Long> early, Map<Operation, Long> late,
      long maxCallsPerTurn) {
    System.out.printf("%-8s %12s %12s%n", "call", "early 10", "late 10");
    for (Operation op : Operation.values()) {
      System.out.printf("%-8s %12.1f %12.1f%n", op, early.get(op) / 10.0, late.get(op) / 10.0);
    }
    System.out.printf("%-8s %12.1f %12.1f%n", "total", total(early) / 10.0, total(late) / 10.0);
    for (Operation op : Operation.values()) {
      assertTrue(late.get(op) <= early.get(op), op + " calls grew with the history: "
          + early.get(op) + " -> " + late.get(op) + " per 10 turns");
    }
    assertEquals(0, late.get(Operation.LIST), "a kept session handle needs no existence check");
    assertTrue(total(late) <= 10 * maxCallsPerTurn, "calls per 10 turns: " + total(late));
  }

  private static long total(Map<Operation, Long> counts) {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }
}
