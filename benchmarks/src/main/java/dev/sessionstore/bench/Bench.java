package dev.sessionstore.bench;

import java.util.Arrays;

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
    switch (which) {
      case "turns" -> TurnBenchmark.run(quick);
      case "load" -> LoadBenchmark.run(quick);
      default -> {
        System.err.println("usage: java -jar benchmarks/target/sessionstore-benchmarks.jar"
            + " turns|load [--quick]");
        System.exit(2);
      }
    }
  }
}
