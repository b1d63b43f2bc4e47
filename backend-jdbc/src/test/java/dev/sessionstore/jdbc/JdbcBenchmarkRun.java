package dev.sessionstore.jdbc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Runs {@link JdbcBenchmark} from Maven without installing the other modules: opt-in with
 * {@code -Dbench.jdbc=h2,postgres,mariadb} (see the README). Not a timed test: it asserts
 * nothing about time, and it is skipped unless the property is set.
 */
@EnabledIfSystemProperty(named = "bench.jdbc", matches = ".+")
class JdbcBenchmarkRun {
  @Test
  void run() throws Exception {
    List<String> dbs = Arrays.asList(System.getProperty("bench.jdbc").split(","));
    List<String> rows = JdbcBenchmark.run(dbs);
    Path out = Path.of("target", "jdbc-benchmark.md");
    Files.write(out, rows);
    System.out.println("written to " + out.toAbsolutePath());
  }
}
