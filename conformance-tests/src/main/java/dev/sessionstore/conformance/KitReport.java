package dev.sessionstore.conformance;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The outcome of every rule of one {@link KitRunner} run, in the order the rules ran. */
public final class KitReport {

  /** How a rule ended. */
  public enum Status {
    /** The backend keeps the rule. */
    PASSED,
    /** The backend breaks the rule (or the rule threw). */
    FAILED,
    /** An {@code optional_} rule whose capability or second instance the backend lacks. */
    SKIPPED
  }

  /**
   * One rule's outcome.
   *
   * @param group the group the rule belongs to, such as {@code BlobContract}
   * @param rule the rule, such as {@code required_put_valueIsCopied}
   * @param status how it ended
   * @param failure what made it fail, for {@link Status#FAILED}
   * @param detail the failure message or the skip reason; empty for a pass
   */
  public record Outcome(String group, String rule, Status status, @Nullable Throwable failure,
      String detail) {
    /** {@return whether the rule is required (never skips; a failure is a contract violation)} */
    public boolean required() {
      return rule.startsWith("required_");
    }
  }

  private final String kit;
  private final List<Outcome> outcomes = new ArrayList<>();
  private final List<String> errors = new ArrayList<>();

  KitReport(String kit) {
    this.kit = kit;
  }

  /** Records {@code o}, without JUnit's "Assumption failed: " prefix on a skip reason. */
  synchronized Outcome add(Outcome o) {
    Outcome clean = new Outcome(o.group(), o.rule(), o.status(), o.failure(),
        o.detail().replaceFirst("^Assumption failed: ", ""));
    outcomes.add(clean);
    return clean;
  }

  synchronized void addError(String where, Throwable t) {
    errors.add(where + ": " + t);
  }

  /** {@return the simple name of the kit class that ran} */
  public String kit() {
    return kit;
  }

  /** {@return every rule's outcome, in the order the rules ran} */
  public synchronized List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  /**
   * {@return the outcome of {@code rule}, if it ran}
   *
   * @param rule a rule name, such as {@code required_put_valueIsCopied}
   */
  public synchronized Optional<Outcome> outcome(String rule) {
    return outcomes.stream().filter(o -> o.rule().equals(rule)).findFirst();
  }

  /** {@return failures outside any rule (a kit class that cannot be instantiated, say)} */
  public synchronized List<String> errors() {
    return List.copyOf(errors);
  }

  /**
   * {@return the rules that ended with {@code status}}
   *
   * @param status how they ended
   */
  public synchronized List<String> rules(Status status) {
    return outcomes.stream().filter(o -> o.status() == status).map(Outcome::rule).toList();
  }

  /** {@return whether at least one rule ran and none failed} */
  public synchronized boolean passed() {
    return !outcomes.isEmpty() && errors.isEmpty() && rules(Status.FAILED).isEmpty();
  }

  /** {@return one line: {@code 100 rules passed, 1 failed (1 required), 2 skipped}} */
  public synchronized String summary() {
    long required = outcomes.stream().filter(o -> o.status() == Status.FAILED && o.required())
        .count();
    return rules(Status.PASSED).size() + " rules passed, " + rules(Status.FAILED).size()
        + " failed (" + required + " required), " + rules(Status.SKIPPED).size() + " skipped";
  }

  /**
   * Prints one line per group in the order groups run ({@code ok    BlobContract: 13 rules, 0 failed, 0
   * skipped}), under it every failed and skipped rule with its message (with {@code verbose},
   * every passed rule too), then errors outside rules.
   *
   * @param out where to print
   * @param verbose whether to list passed rules too
   */
  public synchronized void printTo(PrintWriter out, boolean verbose) {
    Map<String, List<Outcome>> byGroup = new TreeMap<>(KitOrder.GROUP_ORDER);
    outcomes.forEach(o -> byGroup.computeIfAbsent(o.group(), g -> new ArrayList<>()).add(o));
    byGroup.forEach((group, list) -> {
      long bad = list.stream().filter(o -> o.status() == Status.FAILED).count();
      long skip = list.stream().filter(o -> o.status() == Status.SKIPPED).count();
      out.printf("%s  %s: %d rules, %d failed, %d skipped%n", bad > 0 ? "FAIL" : "ok  ", group,
          list.size(), bad, skip);
      for (Outcome o : list) {
        if (verbose || o.status() != Status.PASSED) {
          String tag = switch (o.status()) {
            case PASSED -> "pass";
            case FAILED -> "FAIL";
            case SKIPPED -> "SKIP";
          };
          out.println("    " + tag + "  " + o.rule()
              + (o.detail().isEmpty() ? "" : ": " + oneLine(o.detail())));
        }
      }
    });
    errors.forEach(e -> out.println("ERROR  " + oneLine(e)));
    out.flush();
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }

  @Override
  public synchronized String toString() {
    return kit + ": " + summary() + "; failed " + rules(Status.FAILED) + ", skipped "
        + rules(Status.SKIPPED) + (errors.isEmpty() ? "" : ", errors " + errors);
  }
}
