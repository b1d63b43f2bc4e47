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
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
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

  /** Runs every rule of {@code kit}. */
  public static KitReport run(Class<? extends KitFixture> kit) {
    return launch(kit, List.of(selectClass(kit)));
  }

  /**
   * Runs the named groups and rules of {@code kit}: each name is a group ({@code BlobContract})
   * or a rule ({@code required_put_valueIsCopied}).
   *
   * @throws IllegalArgumentException naming the known groups if a name is neither
   */
  public static KitReport run(Class<? extends KitFixture> kit, Collection<String> groupsOrRules) {
    if (groupsOrRules.isEmpty()) {
      return run(kit);
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
    return launch(kit, selectors);
  }

  /** The names of the groups of {@code kit}, sorted. */
  public static List<String> groups(Class<?> kit) {
    Set<String> out = new TreeSet<>();
    for (Class<?> group : groupTypes(kit)) {
      out.add(group.getSimpleName());
    }
    return List.copyOf(out);
  }

  /** The rules of group {@code group} of {@code kit}, sorted; empty if there is no such group. */
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

  private static KitReport launch(Class<?> kit, List<DiscoverySelector> selectors) {
    KitReport report = new KitReport(kit.getSimpleName());
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request().selectors(selectors)
            .configurationParameter(KitSummary.ENABLED, "false").build();
    LauncherFactory.create().execute(request, new TestExecutionListener() {
      @Override
      public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) {
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

      private void add(TestIdentifier id, KitReport.Status status, Throwable failure,
          String detail) {
        String rule = id.getDisplayName();
        String group = "?";
        if (id.getSource().orElse(null) instanceof MethodSource s) {
          rule = s.getMethodName();
          try {
            group = groupOf(s.getJavaMethod());
          } catch (RuntimeException unknown) {
            group = s.getClassName();
          }
        }
        report.add(new KitReport.Outcome(group, rule, status, failure, detail));
      }
    });
    return report;
  }
}
