package dev.sessionstore.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.IntFunction;
import org.springframework.ai.chat.memory.repository.jdbc.H2ChatMemoryRepositoryDialect;
import org.springframework.ai.chat.memory.repository.jdbc.JdbcChatMemoryRepository;
import org.springframework.ai.chat.memory.repository.jdbc.JdbcChatMemoryRepositoryDialect;
import org.springframework.ai.chat.memory.repository.jdbc.PostgresChatMemoryRepositoryDialect;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Append latency and load time of this backend next to Spring AI's {@code
 * JdbcChatMemoryRepository}, on the same database, at several session lengths. Not a test: run
 * it with {@code mvn -B -q -DskipTests install && mvn -B -q -pl backend-jdbc test-compile exec:java -Dexec.args="h2 postgres"}
 * (see the README).
 *
 * <p>Method: a conversation is filled to length L in bulk, then M single-message appends are
 * timed one by one (each durable on return), then the whole conversation is loaded M times
 * from a fresh store. Spring AI's repository has no append: {@code saveAll} deletes the
 * conversation and inserts it again, so one appended message costs a rewrite of L rows.
 */
public final class JdbcBenchmark {
  private static final int[] LENGTHS = {10, 1_000, 10_000};
  private static final int WARMUP = Integer.getInteger("bench.warmup", 5);
  private static final int MEASURED = Integer.getInteger("bench.measured", 30);
  private static final String TEXT =
      "Could you summarise the design document and list the open questions about retention,"
          + " the commit protocol and the reconcile rule? Keep it short, please. ";

  private JdbcBenchmark() {}

  /** @param args databases to run: {@code h2}, {@code postgres} (default: both if available) */
  public static void main(String[] args) throws Exception {
    List<String> dbs = args.length == 0 ? List.of("h2", "postgres") : Arrays.asList(args);
    List<String> rows = new ArrayList<>();
    rows.add("| database | length | store | append p50 ms | append p90 ms | appends/s | load p50 ms |");
    rows.add("|---|---:|---|---:|---:|---:|---:|");
    for (String db : dbs) {
      switch (db) {
        case "h2" -> runH2(rows);
        case "postgres" -> runPostgres(rows);
        default -> throw new IllegalArgumentException("unknown database " + db);
      }
    }
    System.out.println();
    rows.forEach(System.out::println);
  }

  private static void runH2(List<String> rows) throws Exception {
    Path dir = Files.createTempDirectory("sessionstore-bench");
    // A file database (not in-memory), durable on commit for both stores: WRITE_DELAY=0.
    String url = "jdbc:h2:" + dir.resolve("bench").toAbsolutePath() + ";WRITE_DELAY=0";
    try (HikariDataSource spring = pool(url)) {
      exec(spring, resource("schema-h2.sql"));
      compare("H2 (file)", url, spring, new H2ChatMemoryRepositoryDialect(), rows);
    }
  }

  private static void runPostgres(List<String> rows) throws Exception {
    String url = System.getenv(TestDb.POSTGRES_ENV);
    if (url == null || url.isBlank()) {
      System.err.println("skipping PostgreSQL: set " + TestDb.POSTGRES_ENV);
      return;
    }
    // Spring AI's table name is fixed: give it a schema of its own and drop that afterwards.
    String schema = "ssbench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    try (HikariDataSource admin = pool(url)) {
      exec(admin, "CREATE SCHEMA " + schema);
      try (HikariDataSource spring = pool(url + (url.contains("?") ? "&" : "?")
          + "currentSchema=" + schema)) {
        exec(spring, resource("schema-postgresql.sql"));
        compare("PostgreSQL", url, spring, new PostgresChatMemoryRepositoryDialect(), rows);
      } finally {
        exec(admin, "DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }

  private static void compare(String dbName, String url, HikariDataSource springDs,
      JdbcChatMemoryRepositoryDialect dialect, List<String> rows) {
    String prefix = "bench" + UUID.randomUUID().toString().replace("-", "").substring(0, 8) + "_";
    JdbcBackendBuilder b = JdbcBackendBuilder.url(url).tablePrefix(prefix);
    StorageBackend backend = b.build();
    JdbcChatMemoryRepository repo =
        JdbcChatMemoryRepository.builder().dataSource(springDs).dialect(dialect).build();
    try {
      for (int length : LENGTHS) {
        rows.add(row(dbName, length, "sessionstore-jdbc", ours(backend, length)));
        rows.add(row(dbName, length, "Spring AI JdbcChatMemoryRepository", spring(repo, length)));
      }
    } finally {
      for (String t : List.of("records", "logs", "blobs", "schema")) {
        exec(((JdbcBackend) backend).dataSource(), "DROP TABLE IF EXISTS " + prefix + t);
      }
      backend.close();
    }
  }

  /** [append p50, append p90, load p50] in nanoseconds. */
  private static long[] ours(StorageBackend backend, int length) {
    SessionStore store = SessionStore.builder().backend(backend).build();
    String id = "bench-" + length + "-" + UUID.randomUUID();
    Session s = store.session(id);
    fill(length, i -> i % 2 == 0 ? Message.user(TEXT + i) : Message.assistant(TEXT + i), s::append);
    long[] appends = new long[MEASURED];
    for (int i = 0; i < WARMUP + MEASURED; i++) {
      Message m = Message.user(TEXT + "new " + i);
      long t0 = System.nanoTime();
      s.append(m);
      long t = System.nanoTime() - t0;
      if (i >= WARMUP) {
        appends[i - WARMUP] = t;
      }
    }
    long[] loads = new long[MEASURED];
    for (int i = 0; i < MEASURED; i++) {
      long t0 = System.nanoTime();
      // A fresh store has no cache: this is what a new process pays to resume the session.
      int n = SessionStore.builder().backend(backend).build().session(id).messages().size();
      loads[i] = System.nanoTime() - t0;
      check(n == length + WARMUP + MEASURED, n);
    }
    return summary(appends, loads);
  }

  private static long[] spring(JdbcChatMemoryRepository repo, int length) {
    String id = UUID.randomUUID().toString();
    List<org.springframework.ai.chat.messages.Message> conversation = new ArrayList<>();
    for (int i = 0; i < length; i++) {
      conversation.add(i % 2 == 0 ? new UserMessage(TEXT + i) : new AssistantMessage(TEXT + i));
    }
    repo.saveAll(id, conversation);
    long[] appends = new long[MEASURED];
    for (int i = 0; i < WARMUP + MEASURED; i++) {
      conversation.add(new UserMessage(TEXT + "new " + i));
      long t0 = System.nanoTime();
      repo.saveAll(id, conversation); // the repository's only way to add a message
      long t = System.nanoTime() - t0;
      if (i >= WARMUP) {
        appends[i - WARMUP] = t;
      }
    }
    long[] loads = new long[MEASURED];
    for (int i = 0; i < MEASURED; i++) {
      long t0 = System.nanoTime();
      int n = repo.findByConversationId(id).size();
      loads[i] = System.nanoTime() - t0;
      check(n == length + WARMUP + MEASURED, n);
    }
    repo.deleteByConversationId(id);
    return summary(appends, loads);
  }

  private static void fill(int length, IntFunction<Message> make,
      java.util.function.Function<List<Message>, List<Message>> append) {
    List<Message> batch = new ArrayList<>();
    for (int i = 0; i < length; i++) {
      batch.add(make.apply(i));
      if (batch.size() == 500 || i == length - 1) {
        append.apply(batch);
        batch = new ArrayList<>();
      }
    }
  }

  private static void check(boolean ok, int n) {
    if (!ok) {
      throw new IllegalStateException("loaded " + n + " messages, not the expected count");
    }
  }

  private static long[] summary(long[] appends, long[] loads) {
    Arrays.sort(appends);
    Arrays.sort(loads);
    return new long[] {appends[appends.length / 2], appends[appends.length * 9 / 10],
        loads[loads.length / 2], Arrays.stream(appends).sum()};
  }

  private static String row(String db, int length, String store, long[] r) {
    double perSecond = MEASURED / (r[3] / 1e9);
    String line = String.format(Locale.ROOT, "| %s | %,d | %s | %.2f | %.2f | %.0f | %.2f |", db,
        length, store, r[0] / 1e6, r[1] / 1e6, perSecond, r[2] / 1e6);
    System.out.println(line);
    return line;
  }

  private static HikariDataSource pool(String url) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setMaximumPoolSize(4);
    return new HikariDataSource(c);
  }

  private static String resource(String name) throws java.io.IOException {
    try (var in = JdbcChatMemoryRepository.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void exec(javax.sql.DataSource ds, String script) {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String sql : script.split(";")) {
        if (!sql.isBlank()) {
          s.execute(sql);
        }
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
