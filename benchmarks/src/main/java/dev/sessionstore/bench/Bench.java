package dev.sessionstore.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Benchmark commands. {@code turns}: the agent turn loop on every backend with storage calls
 * counted; {@code load}: loading a 100,000-message local session beside a plain Jackson parse.
 */
public final class Bench {
  private Bench() {}

  /**
   * Runs one benchmark.
   *
   * @param args {@code turns [--quick]} or {@code load [--quick]}
   * @throws Exception when a benchmark fails
   */
  public static void main(String[] args) throws Exception {
    boolean quick = Arrays.asList(args).contains("--quick");
    String which = args.length == 0 ? "" : args[0];
    if (!which.equals("turns") && !which.equals("load")) {
      System.err.println("usage: java -jar benchmarks/target/sessionstore-benchmarks.jar"
          + " turns|load [--quick]");
      System.exit(2);
    }
    Path scratch = Files.createTempDirectory("sessionstore-bench-");
    try {
      if (which.equals("turns")) {
        TurnBenchmark.run(quick, scratch);
      } else {
        LoadBenchmark.run(quick, scratch);
      }
    } finally {
      deleteTree(scratch); // a load's session alone is 38 MB
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
