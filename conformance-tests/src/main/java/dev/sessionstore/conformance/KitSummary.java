package dev.sessionstore.conformance;

import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Prints, after a backend's kit class ran, which rules passed, failed and were skipped, group by
 * group, with every failure and skip reason: the per-backend verdict on the console (or, where
 * the build redirects test output, in {@code target/surefire-reports/<Class>-output.txt}).
 * {@link KitRunner} turns it off ({@value #ENABLED}{@code =false}): it reports by itself.
 */
final class KitSummary implements TestWatcher, AfterAllCallback {
  /** Configuration parameter that turns the summary off when {@code false}. */
  static final String ENABLED = "sessionstore.kit.summary";
  private static final Namespace NS = Namespace.create(KitSummary.class);

  private static KitReport report(ExtensionContext testContext) {
    ExtensionContext classContext = testContext.getParent().orElse(testContext);
    return classContext.getStore(NS).getOrComputeIfAbsent("report",
        k -> new KitReport(classContext.getRequiredTestClass().getSimpleName()),
        KitReport.class);
  }

  private static void add(ExtensionContext ctx, KitReport.Status status, Throwable failure,
      String detail) {
    Method m = ctx.getRequiredTestMethod();
    report(ctx).add(new KitReport.Outcome(KitRunner.groupOf(m), m.getName(), status, failure,
        detail == null ? "" : detail));
  }

  @Override
  public void testSuccessful(ExtensionContext ctx) {
    add(ctx, KitReport.Status.PASSED, null, "");
  }

  @Override
  public void testFailed(ExtensionContext ctx, Throwable cause) {
    add(ctx, KitReport.Status.FAILED, cause, String.valueOf(cause.getMessage()));
  }

  @Override
  public void testAborted(ExtensionContext ctx, Throwable cause) {
    add(ctx, KitReport.Status.SKIPPED, null, cause == null ? "aborted" : cause.getMessage());
  }

  @Override
  public void testDisabled(ExtensionContext ctx, Optional<String> reason) {
    add(ctx, KitReport.Status.SKIPPED, null, reason.orElse("disabled"));
  }

  @Override
  public void afterAll(ExtensionContext ctx) {
    if (ctx.getConfigurationParameter(ENABLED).map("false"::equals).orElse(false)) {
      return;
    }
    KitReport r = ctx.getStore(NS).get("report", KitReport.class);
    if (r == null) {
      return;
    }
    PrintWriter out = new PrintWriter(System.out, true);
    out.println("conformance kit on " + ctx.getRequiredTestClass().getName() + ": "
        + r.summary());
    r.printTo(out, false);
  }
}
