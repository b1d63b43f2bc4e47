package dev.sessionstore.conformance;

import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.MethodDescriptor;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.MethodOrdererContext;

/**
 * Runs the rules group by group, storage contract first, and by name within a group, so that
 * reports read group by group and a runner can report each group as soon as it finishes.
 */
final class KitOrder implements MethodOrderer {
  /** The groups in the order they run; a group not listed runs after these, by name. */
  static final List<String> GROUPS = List.of("BlobContract", "LogContract", "TrimContract",
      "DeleteContract", "ListContract", "KeyValidation", "IdleOperations", "ValueSizes",
      "Visibility", "SpiConcurrency", "SessionSemantics", "FaultCatalogue", "CrashPoints",
      "SessionConcurrency", "LifecycleRules", "HealSafety", "LiveLogDamage", "BadInput");

  static final Comparator<String> GROUP_ORDER = Comparator
      .comparingInt((String g) -> GROUPS.contains(g) ? GROUPS.indexOf(g) : GROUPS.size())
      .thenComparing(Comparator.naturalOrder());

  @Override
  public void orderMethods(MethodOrdererContext context) {
    context.getMethodDescriptors().sort(Comparator
        .comparing((MethodDescriptor d) -> KitRunner.groupOf(d.getMethod()), GROUP_ORDER)
        .thenComparing(d -> d.getMethod().getName()));
  }
}
