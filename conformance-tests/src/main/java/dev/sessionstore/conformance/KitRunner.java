package dev.sessionstore.conformance;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs a kit class outside a build tool, through the JUnit Platform Launcher, and collects the
 * outcome of every rule. Used by the kit's own self-test and by {@code sessionstore verify}; any
 * tool can use it:
 *
 * <pre>{@code
 * KitReport r = KitRunner.run(MyBackendConformanceTest.class);
 * r.printTo(new PrintWriter(System.out, true), false);
 * }</pre>
 *
 * <p>Needs {@code junit-platform-launcher} on the class path.
 */
public final class KitRunner {
  private KitRunner() {}

  /** Follows a run as it goes, for progress displays; every method is optional. */
  public interface Listener {
    /**
     * The run is about to start.
     *
     * @param rules how many rules it will run
     */
    default void planned(int rules) {}

    /**
     * A group's first rule is about to run (rules run group by group).
     *
     * @param group the group's name
     */
    default void groupStarted(String group) {}

    /**
     * A rule ended.
     *
     * @param outcome how
     */
    default void ruleFinished(KitReport.Outcome outcome) {}

    /**
     * A group's last rule ended.
     *
     * @param group the group's name
     * @param outcomes the outcomes of its rules that ran
     */
    default void groupFinished(String group, List<KitReport.Outcome> outcomes) {}
  }

  /**
   * {@return the outcome of every rule of {@code kit}}
   *
   * @param kit a kit class: your subclass of {@link ConformanceKit} or of a role kit
   */
  public static KitReport run(Class<? extends KitFixture> kit) {
    return run(kit, List.of(), new Listener() {});
  }

  /**
   * Runs the named groups and rules of {@code kit}: each name is a group ({@code BlobContract})
   * or a rule ({@code required_put_valueIsCopied}).
   *
   * @param kit a kit class
   * @param groupsOrRules the groups and rules to run; all of them if empty
   * @return the outcome of every rule that ran
   * @throws IllegalArgumentException naming the known groups if a name is neither
   */
  public static KitReport run(Class<? extends KitFixture> kit, Collection<String> groupsOrRules) {
    return run(kit, groupsOrRules, new Listener() {});
  }

  /**
   * Runs the named groups and rules of {@code kit} (all of them if {@code groupsOrRules} is
   * empty), telling {@code listener} as it goes.
   *
   * @param kit a kit class
   * @param groupsOrRules the groups and rules to run; all of them if empty
   * @param listener told of every rule and group as the run goes
   * @return the outcome of every rule that ran
   * @throws IllegalArgumentException naming the known groups if a name is neither a group nor a
   *     rule
   */
  public static KitReport run(Class<? extends KitFixture> kit, Collection<String> groupsOrRules,
      Listener listener) {
    if (groupsOrRules.isEmpty()) {
      return launch(kit, List.of(selectClass(kit)), listener);
    }
    Set<String> rules = new LinkedHashSet<>();
    for (String name : groupsOrRules) {
      List<String> inGroup = rules(kit, name);
      if (!inGroup.isEmpty()) {
        rules.addAll(inGroup);
      } else if (ruleMethod(kit, name) != null) {
        rules.add(name);
      } else {
        throw new IllegalArgumentException("no group or rule named '" + name + "'; groups: "
            + String.join(", ", groups(kit)));
      }
    }
    List<DiscoverySelector> selectors = new ArrayList<>();
    rules.forEach(r -> selectors.add(selectMethod(kit, r)));
    return launch(kit, selectors, listener);
  }

  /**
   * {@return the names of the groups of {@code kit}, in the order they run}
   *
   * @param kit a kit class
   */
  public static List<String> groups(Class<?> kit) {
    Set<String> out = new TreeSet<>(KitOrder.GROUP_ORDER);
    for (Class<?> group : groupTypes(kit)) {
      out.add(group.getSimpleName());
    }
    return List.copyOf(out);
  }

  /**
   * {@return the rules of group {@code group} of {@code kit}, sorted; empty if there is no such
   * group}
   *
   * @param kit a kit class
   * @param group a group name, such as {@code BlobContract}
   */
  public static List<String> rules(Class<?> kit, String group) {
    Set<String> out = new TreeSet<>();
    for (Class<?> g : groupTypes(kit)) {
      if (g.getSimpleName().equals(group)) {
        for (Method m : g.getDeclaredMethods()) {
          if (m.isAnnotationPresent(Test.class)) {
            out.add(m.getName());
          }
        }
      }
    }
    return List.copyOf(out);
  }

  /** The group a rule belongs to: the simple name of the type declaring it. */
  static String groupOf(Method rule) {
    return rule.getDeclaringClass().getSimpleName();
  }

  private static Method ruleMethod(Class<?> kit, String name) {
    try {
      Method m = kit.getMethod(name);
      return m.isAnnotationPresent(Test.class) ? m : null;
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  /** Every interface of {@code kit}'s hierarchy that declares a rule. */
  private static List<Class<?>> groupTypes(Class<?> kit) {
    List<Class<?>> out = new ArrayList<>();
    Set<Class<?>> seen = new LinkedHashSet<>();
    Deque<Class<?>> todo = new ArrayDeque<>();
    for (Class<?> c = kit; c != null; c = c.getSuperclass()) {
      todo.addAll(List.of(c.getInterfaces()));
    }
    while (!todo.isEmpty()) {
      Class<?> i = todo.pop();
      if (!seen.add(i)) {
        continue;
      }
      todo.addAll(List.of(i.getInterfaces()));
      for (Method m : i.getDeclaredMethods()) {
        if (m.isAnnotationPresent(Test.class)) {
          out.add(i);
          break;
        }
      }
    }
    return out;
  }

  private static KitReport launch(Class<?> kit, List<DiscoverySelector> selectors,
      Listener listener) {
    KitReport report = new KitReport(kit.getSimpleName());
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request().selectors(selectors)
            .configurationParameter(KitSummary.ENABLED, "false").build();
    Launcher launcher = LauncherFactory.create();
    TestPlan plan = launcher.discover(request);
    listener.planned((int) plan.countTestIdentifiers(TestIdentifier::isTest));
    launcher.execute(plan, new TestExecutionListener() {
      private String group;
      private final List<KitReport.Outcome> inGroup = new ArrayList<>();

      @Override
      public void executionStarted(TestIdentifier id) {
        if (id.isTest()) {
          enter(groupOf(id));
        }
      }

      @Override
      public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) {
          enter(groupOf(id));
          add(id, KitReport.Status.SKIPPED, null, reason);
        }
      }

      @Override
      public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        Throwable t = result.getThrowable().orElse(null);
        if (!id.isTest()) {
          if (t != null) {
            report.addError(id.getDisplayName(), t);
          }
          return;
        }
        switch (result.getStatus()) {
          case SUCCESSFUL -> add(id, KitReport.Status.PASSED, null, "");
          case ABORTED -> add(id, KitReport.Status.SKIPPED, null,
              t == null || t.getMessage() == null ? "aborted" : t.getMessage());
          default -> add(id, KitReport.Status.FAILED, t,
              t == null ? "failed" : String.valueOf(t.getMessage()));
        }
      }

      @Override
      public void testPlanExecutionFinished(TestPlan testPlan) {
        enter(null);
      }

      private void enter(String next) {
        if (group != null && !group.equals(next)) {
          listener.groupFinished(group, List.copyOf(inGroup));
          inGroup.clear();
        }
        if (next != null && !next.equals(group)) {
          listener.groupStarted(next);
        }
        group = next;
      }

      private String groupOf(TestIdentifier id) {
        if (id.getSource().orElse(null) instanceof MethodSource s) {
          try {
            return KitRunner.groupOf(s.getJavaMethod());
          } catch (RuntimeException unknown) {
            return s.getClassName();
          }
        }
        return "?";
      }

      private void add(TestIdentifier id, KitReport.Status status, Throwable failure,
          String detail) {
        String rule = id.getSource().orElse(null) instanceof MethodSource s
            ? s.getMethodName() : id.getDisplayName();
        KitReport.Outcome o = report.add(
            new KitReport.Outcome(groupOf(id), rule, status, failure, detail));
        inGroup.add(o);
        listener.ruleFinished(o);
      }
    });
    return report;
  }
}
