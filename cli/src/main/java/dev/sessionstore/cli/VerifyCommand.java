package dev.sessionstore.cli;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;

import dev.sessionstore.conformance.ConformanceKit;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Runs the conformance kit against the backend behind a store URI and reports per rule. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {
      "Runs the conformance kit against the backend of a store, rule by rule.",
      "",
      "The kit covers the SPI contract, session semantics, the fault catalogue,",
      "concurrency and bad input. Progress is shown per group of rules as it runs.",
      "Each test gets a fresh, empty sub-store, made per scheme:",
      "  file:///dir     a new directory dir/sessionstore-verify-<run>/<n>",
      "  mem:            a new named in-memory store",
      "  jdbc:...        new tables (sessionstore.tablePrefix=ssv<run>_<n>_)",
      "  s3://b/prefix   a new prefix b/prefix/sessionstore-verify-<run>-<n>",
      "  scheme:NAME     scheme:NAME-verify-<run>-<n> (any other backend with named stores)",
      "Everything written is deleted afterwards (jdbc: the emptied tables stay).",
      "Exit 0 if nothing failed, 1 if any rule failed. A required rule is part of",
      "the contract every backend keeps; an optional one checks a capability the",
      "backend declares (it is skipped when the backend does not declare it)."
    })
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Option(names = "--group", paramLabel = "<name>",
      description = "Run only these groups of the kit (repeatable), e.g. BlobContract,"
          + " FaultCatalogue. Default: all.")
  List<String> groups = new ArrayList<>();

  @Option(names = {"-v", "--verbose"}, description = "Also list passed rules one by one.")
  boolean verbose;

  @Override
  public Integer call() throws IOException {
    String uri = store.uri();
    String run = Long.toString(System.currentTimeMillis(), 36);
    VerifyKit.freshUri = freshUris(uri, run);
    try (StorageBackend probe = VerifyKit.open(VerifyKit.freshUri.apply(0))) {
      VerifyKit.USED.add(VerifyKit.freshUri.apply(0));
      probe.list(""); // fail early, with the backend's own message, if the store is unreachable
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(),
          "--store " + Stores.redacted(uri) + ": " + Main.describe(e));
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("verifying the backend for " + Stores.redacted(uri)
        + " against the conformance kit ...");
    Results results;
    try {
      results = launch(selectors());
    } finally {
      cleanUp(uri, run);
    }
    return results.report(out);
  }

  private List<DiscoverySelector> selectors() {
    if (groups.isEmpty()) {
      return List.of(selectClass(VerifyKit.class));
    }
    List<DiscoverySelector> out = new ArrayList<>();
    for (String g : groups) {
      Class<?> nested;
      try {
        nested = Class.forName(ConformanceKit.class.getName() + "$" + g);
      } catch (ClassNotFoundException e) {
        throw new ParameterException(spec.commandLine(), "--group " + g + ": no such group; groups: "
            + groupNames());
      }
      out.add(selectNestedClass(List.of(VerifyKit.class), nested));
    }
    return out;
  }

  private static List<String> groupNames() {
    List<String> names = new ArrayList<>();
    for (Class<?> c : ConformanceKit.class.getDeclaredClasses()) {
      if (c.isAnnotationPresent(org.junit.jupiter.api.Nested.class)) {
        names.add(c.getSimpleName());
      }
    }
    names.sort(null);
    return names;
  }

  /** The n-th fresh, empty sub-store of the store the user named, by scheme. */
  private IntFunction<String> freshUris(String uri, String run) {
    String lower = uri.toLowerCase(Locale.ROOT);
    if (lower.startsWith("file:")) {
      Path root = fileRoot(uri);
      return n -> root.resolve("sessionstore-verify-" + run).resolve(Integer.toString(n)).toUri()
          .toString();
    }
    if (lower.startsWith("mem:")) {
      return n -> "mem:sessionstore-verify-" + run + "-" + n;
    }
    if (lower.startsWith("jdbc:")) {
      char sep = lower.startsWith("jdbc:h2:") ? ';' : uri.contains("?") ? '&' : '?';
      Matcher m = Pattern.compile("sessionstore\\.tablePrefix=([^;&]*)").matcher(uri);
      return n -> {
        String prefix = "ssv" + run + "_" + n + "_";
        return m.find(0)
            ? m.replaceFirst("sessionstore.tablePrefix=" + Matcher.quoteReplacement(m.group(1) + prefix))
            : uri + sep + "sessionstore.tablePrefix=" + prefix;
      };
    }
    if (lower.startsWith("s3:")) {
      int q = uri.indexOf('?');
      String base = q < 0 ? uri : uri.substring(0, q);
      String query = q < 0 ? "" : uri.substring(q);
      String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
      return n -> trimmed + "/sessionstore-verify-" + run + "-" + n + query;
    }
    Matcher named = Pattern.compile("([a-z][a-z0-9+.-]*):([A-Za-z0-9_-]+)").matcher(uri);
    if (named.matches()) {
      // Another installed backend with named stores, as mem:NAME: a new name per test.
      return n -> named.group(1) + ":" + named.group(2) + "-verify-" + run + "-" + n;
    }
    throw new ParameterException(spec.commandLine(), "--store " + Stores.redacted(uri)
        + ": verify does not know"
        + " how to make a fresh, empty store for this URI (it knows file:, mem:, jdbc:, s3:"
        + " and scheme:NAME)");
  }

  private Path fileRoot(String uri) {
    try {
      return Path.of(URI.create(uri));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(),
          "--store " + Stores.redacted(uri) + ": " + Main.describe(e));
    }
  }

  /** Deletes what the kit wrote; a failure here must not hide the verdict. */
  private void cleanUp(String uri, String run) throws IOException {
    for (String used : VerifyKit.USED) {
      try (StorageBackend b = VerifyKit.open(used)) {
        for (String name : b.list("")) {
          b.delete(name + "/");
          b.delete(name);
        }
      } catch (RuntimeException e) {
        spec.commandLine().getErr().println("note: could not clean up "
            + Stores.redacted(used) + ": " + Main.describe(e));
      }
    }
    if (uri.toLowerCase(Locale.ROOT).startsWith("file:")) {
      DemoCommand.deleteTree(fileRoot(uri).resolve("sessionstore-verify-" + run));
    }
  }

  private Results launch(List<DiscoverySelector> selectors) {
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
    Launcher launcher = LauncherFactory.create();
    TestPlan plan = launcher.discover(request);
    int rules = (int) plan.countTestIdentifiers(TestIdentifier::isTest);
    PrintWriter out = spec.commandLine().getOut();
    out.println("running " + rules + " rules; each group is reported when it finishes");
    try (Progress bar = new Progress(out, spec.commandLine().getErr(), "rules", rules,
        Progress.Mode.AUTO)) {
      Results r = new Results(bar, verbose);
      launcher.execute(plan, r);
      return r;
    }
  }

  /** Outcomes by group and rule; each group is printed as soon as it finishes. */
  private static final class Results implements TestExecutionListener {
    private final Progress bar;
    private final boolean verbose;
    private TestPlan plan;
    private final Map<String, List<String[]>> byGroup = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();
    private int passed;
    private int failed;
    private int requiredFailed;
    private int skipped;

    Results(Progress bar, boolean verbose) {
      this.bar = bar;
      this.verbose = verbose;
    }

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
      plan = testPlan;
    }

    @Override
    public void executionStarted(TestIdentifier id) {
      if (isGroup(id)) {
        bar.stage("rules (" + id.getDisplayName() + ")");
      }
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
      if (id.isTest()) {
        add(id, "SKIP", reason);
        skipped++;
        bar.step();
      } else if (isGroup(id)) {
        bar.println("skip  " + id.getDisplayName() + ": " + Main.oneLine(reason));
      }
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
      if (!id.isTest()) {
        result.getThrowable().ifPresent(t -> errors.add(id.getDisplayName() + ": "
            + Main.describe(t)));
        if (isGroup(id)) {
          printGroup(id.getDisplayName());
        }
        return;
      }
      switch (result.getStatus()) {
        case SUCCESSFUL -> {
          passed++;
          add(id, "pass", "");
        }
        case ABORTED -> {
          skipped++;
          add(id, "SKIP", result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
        default -> {
          failed++;
          if (rule(id).startsWith("required_")) {
            requiredFailed++;
          }
          add(id, "FAIL", result.getThrowable().map(Main::describe).orElse("failed"));
        }
      }
      bar.step();
    }

    /** A group of the kit: one of its nested classes. */
    private static boolean isGroup(TestIdentifier id) {
      return id.isContainer() && id.getSource().filter(ClassSource.class::isInstance)
          .map(s -> ((ClassSource) s).getJavaClass().getEnclosingClass() != null).orElse(false);
    }

    /** The nearest enclosing group (parameterized rules sit one level deeper). */
    private String group(TestIdentifier id) {
      for (TestIdentifier p = plan.getParent(id).orElse(null); p != null;
          p = plan.getParent(p).orElse(null)) {
        if (isGroup(p)) {
          return p.getDisplayName();
        }
      }
      return "?";
    }

    private void add(TestIdentifier id, String status, String detail) {
      byGroup.computeIfAbsent(group(id), g -> new ArrayList<>())
          .add(new String[] {status, rule(id), Main.oneLine(detail)});
    }

    private static String rule(TestIdentifier id) {
      return id.getSource().filter(MethodSource.class::isInstance)
          .map(s -> ((MethodSource) s).getMethodName()).orElse(id.getDisplayName());
    }

    private void printGroup(String group) {
      List<String[]> rows = byGroup.getOrDefault(group, List.of());
      long bad = rows.stream().filter(r -> r[0].equals("FAIL")).count();
      long skip = rows.stream().filter(r -> r[0].equals("SKIP")).count();
      bar.println(String.format("%s  %s: %d rules, %d failed, %d skipped",
          bad > 0 ? "FAIL" : "ok  ", group, rows.size(), bad, skip));
      for (String[] r : rows) {
        if (verbose || !r[0].equals("pass")) {
          bar.println("    " + r[0] + "  " + r[1] + (r[2].isEmpty() ? "" : ": " + r[2]));
        }
      }
    }

    int report(PrintWriter out) {
      errors.forEach(e -> out.println("ERROR  " + e));
      int total = passed + failed + skipped;
      String skips = skipped == 0 ? "" : ", " + skipped + " skipped (optional rules for"
          + " capabilities the backend does not declare)";
      if (failed == 0 && errors.isEmpty() && passed > 0) {
        out.println("verify: PASS, " + passed + " of " + total + " rules passed" + skips);
        return Main.OK;
      }
      out.println("verify: FAIL, " + failed + " of " + total + " rules failed ("
          + requiredFailed + " required: the backend breaks the contract; "
          + (failed - requiredFailed) + " optional: a declared capability does not hold), "
          + passed + " passed" + skips + (errors.isEmpty() ? "" : ", " + errors.size()
          + " errors"));
      return Main.PROBLEM;
    }
  }
}
