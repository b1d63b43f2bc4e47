package dev.sessionstore.conformance.selftest;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** The outcome of running one kit class through the JUnit Platform Launcher, by rule name. */
final class KitRun {
  /** Rule (test method name) to its failure. */
  final Map<String, Throwable> failed = new LinkedHashMap<>();
  /** Rule to skip reason. */
  final Map<String, String> skipped = new LinkedHashMap<>();
  final List<String> passed = new ArrayList<>();

  static KitRun of(Class<?> kit) {
    KitRun run = new KitRun();
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request().selectors(selectClass(kit)).build();
    LauncherFactory.create().execute(request, new TestExecutionListener() {
      @Override
      public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) {
          run.skipped.put(rule(id), reason);
        }
      }

      @Override
      public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        if (!id.isTest()) {
          result.getThrowable().ifPresent(t -> run.failed.put(id.getDisplayName(), t));
          return;
        }
        switch (result.getStatus()) {
          case SUCCESSFUL:
            run.passed.add(rule(id));
            break;
          case ABORTED:
            run.skipped.put(rule(id),
                result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
            break;
          default:
            run.failed.put(rule(id), result.getThrowable().orElse(null));
        }
      }
    });
    return run;
  }

  private static String rule(TestIdentifier id) {
    return id.getSource()
        .filter(MethodSource.class::isInstance)
        .map(s -> ((MethodSource) s).getMethodName())
        .orElse(id.getDisplayName());
  }

  int total() {
    return failed.size() + skipped.size() + passed.size();
  }

  @Override
  public String toString() {
    return total() + " tests: " + passed.size() + " passed, " + failed.size() + " failed "
        + failed.keySet() + ", " + skipped.size() + " skipped " + skipped.keySet();
  }
}
