package dev.sessionstore.cli;

import dev.sessionstore.conformance.KitReport;
import dev.sessionstore.conformance.KitRunner;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    List<String> known = KitRunner.groups(VerifyKit.class);
    for (String g : groups) {
      if (!known.contains(g)) {
        throw new ParameterException(spec.commandLine(), "--group " + g
            + ": no such group; groups: " + String.join(", ", known));
      }
    }
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
      results = launch();
    } finally {
      cleanUp(uri, run);
    }
    return results.report(out);
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

  private Results launch() {
    Results r = new Results(spec.commandLine().getOut(), spec.commandLine().getErr(), verbose);
    try (r) {
      r.report = KitRunner.run(VerifyKit.class, groups, r);
    }
    return r;
  }

  /** Prints each group of the kit as soon as it finishes, and the verdict. */
  private static final class Results implements KitRunner.Listener, AutoCloseable {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean verbose;
    private Progress bar;
    private KitReport report;

    Results(PrintWriter out, PrintWriter err, boolean verbose) {
      this.out = out;
      this.err = err;
      this.verbose = verbose;
    }

    @Override
    public void planned(int rules) {
      out.println("running " + rules + " rules; each group is reported when it finishes");
      bar = new Progress(out, err, "rules", rules, Progress.Mode.AUTO);
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
      }
    }

    @Override
    public void groupStarted(String group) {
      bar.stage("rules (" + group + ")");
    }

    @Override
    public void ruleFinished(KitReport.Outcome outcome) {
      bar.step();
    }

    @Override
    public void groupFinished(String group, List<KitReport.Outcome> rows) {
      long bad = rows.stream().filter(o -> o.status() == KitReport.Status.FAILED).count();
      long skip = rows.stream().filter(o -> o.status() == KitReport.Status.SKIPPED).count();
      bar.println(String.format("%s  %s: %d rules, %d failed, %d skipped",
          bad > 0 ? "FAIL" : "ok  ", group, rows.size(), bad, skip));
      for (KitReport.Outcome o : rows) {
        if (verbose || o.status() != KitReport.Status.PASSED) {
          String tag = switch (o.status()) {
            case PASSED -> "pass";
            case FAILED -> "FAIL";
            case SKIPPED -> "SKIP";
          };
          String detail = o.failure() != null ? Main.describe(o.failure()) : o.detail();
          bar.println("    " + tag + "  " + o.rule()
              + (detail.isEmpty() ? "" : ": " + Main.oneLine(detail)));
        }
      }
    }

    int report(PrintWriter out) {
      report.errors().forEach(e -> out.println("ERROR  " + e));
      int passed = report.rules(KitReport.Status.PASSED).size();
      int failed = report.rules(KitReport.Status.FAILED).size();
      int skipped = report.rules(KitReport.Status.SKIPPED).size();
      long requiredFailed = report.outcomes().stream()
          .filter(o -> o.status() == KitReport.Status.FAILED && o.required()).count();
      int total = passed + failed + skipped;
      String skips = skipped == 0 ? "" : ", " + skipped + " skipped (optional rules for"
          + " capabilities the backend does not declare, or that need a test's damage hook)";
      if (report.passed()) {
        out.println("verify: PASS, " + passed + " of " + total + " rules passed" + skips);
        return Main.OK;
      }
      out.println("verify: FAIL, " + failed + " of " + total + " rules failed ("
          + requiredFailed + " required: the backend breaks the contract; "
          + (failed - requiredFailed) + " optional: a declared capability does not hold), "
          + passed + " passed" + skips + (report.errors().isEmpty() ? "" : ", "
          + report.errors().size() + " errors"));
      return Main.PROBLEM;
    }
  }
}
