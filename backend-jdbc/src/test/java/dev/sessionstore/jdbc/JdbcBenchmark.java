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
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.memory.repository.jdbc.H2ChatMemoryRepositoryDialect;
import org.springframework.ai.chat.memory.repository.jdbc.JdbcChatMemoryRepository;
import org.springframework.ai.chat.memory.repository.jdbc.JdbcChatMemoryRepositoryDialect;
import org.springframework.ai.chat.memory.repository.jdbc.MysqlChatMemoryRepositoryDialect;
import org.springframework.ai.chat.memory.repository.jdbc.PostgresChatMemoryRepositoryDialect;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.UserMessage;

/**
 * Append latency of this backend against the floor (a one-row INSERT on a plain table) and
 * Spring AI's {@code JdbcChatMemoryRepository}, on H2 (file), PostgreSQL and MariaDB, at
 * several session lengths. Not a test: run it through {@code JdbcBenchmarkRun} (see the README).
 *
 * <p>Method: for each database and length L, every contender is filled to L messages (the
 * floors' tables to L rows), then rounds run; in each round every contender appends one
 * message, in a new random order each round, so that a busy machine slows all of them alike.
 * Ours run in rounds with the floors; Spring AI's two stores in rounds of their own with the
 * floors again (their adds rewrite whole conversations in this JVM and left the caches cold for
 * whoever came next). Every record the floors and the SPI append insert is shaped and sized
 * like the record {@code Session.append} writes (about 300 bytes). Every append is durable
 * on return. Each contender's connections go through a {@link CountingDataSource}, which
 * counts the SQL round trips (statements, commits, rollbacks, auto-commit switches) of every
 * operation. Then loads are timed the same way.
 *
 * <p>Contenders: the floor in auto-commit (one INSERT, 1 round trip) and as INSERT + COMMIT
 * (2), both on one held connection into a table with a BIGINT key; the same auto-commit INSERT
 * into a table shaped like our records table ({@code PRIMARY KEY (log_id, seq)}); our {@code
 * Session.append} (core) and our SPI {@code append} alone; Spring AI's {@code MessageWindowChatMemory} over the JDBC repository with its
 * default window of 20 messages (older ones are deleted) and with the whole conversation
 * kept (window {@code Integer.MAX_VALUE}). Spring AI has no append: {@code add} reads the
 * conversation, then deletes it and inserts the window again.
 */
public final class JdbcBenchmark {
  private static final int[] LENGTHS = {10, 1_000, 10_000};
  private static final int WARMUP = Integer.getInteger("bench.warmup", 10);
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 60);
  private static final int LOADS = Integer.getInteger("bench.loads", 10);
  /** Appends per contender before any measurement, so that the JIT has compiled every path. */
  private static final int JIT_WARMUP = Integer.getInteger("bench.jitWarmup", 20_000);
  /** The same for Spring AI's window store (a tenth of it for the whole conversation). */
  private static final int SPRING_JIT_WARMUP = Integer.getInteger("bench.springJitWarmup", 2_000);
  private static final String TEXT =
      "Could you summarise the design document and list the open questions about retention,"
          + " the commit protocol and the reconcile rule? Keep it short, please. ";

  /** Per database and store, per length: append p50, its ratio to the 2-round-trip floor,
   * round trips per append, load p50 (NaN if none), round trips per load. */
  private static final Map<String, Map<Integer, double[]>> SUMMARY = new LinkedHashMap<>();

  private JdbcBenchmark() {}

  /**
   * @param args databases to run: {@code h2}, {@code postgres}, {@code mariadb}; {@code
   *     h2-shapes} times the records table's shapes statement by statement on H2
   */
  public static void main(String[] args) throws Exception {
    List<String> dbs = args.length == 0 ? List.of("h2", "postgres", "mariadb")
        : Arrays.asList(args);
    List<String> rows = run(dbs);
    System.out.println();
    rows.forEach(System.out::println);
  }

  static List<String> run(List<String> dbs) throws Exception {
    List<String> rows = new ArrayList<>();
    long t0 = System.nanoTime();
    if (dbs.contains("h2-shapes")) {
      H2RecordShapes.run(rows);
      rows.add("");
    }
    rows.add("| database | length | store | append p50 ms | p90 ms | p50 / floor (1 RT)"
        + " | p50 / floor (2 RT) | round trips per append | load p50 ms | round trips per load |");
    rows.add("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for (String db : dbs) {
      switch (db) {
        case "h2" -> runH2(rows);
        case "postgres" -> runPostgres(rows);
        case "mariadb" -> runMariaDb(rows);
        case "h2-shapes" -> { } // above
        default -> throw new IllegalArgumentException("unknown database " + db);
      }
    }
    rows.add("");
    rows.add("| database | store | append p50 ms at 10 / 1,000 / 10,000 | ÷ floor INSERT + COMMIT"
        + " at 10 / 1,000 / 10,000 | p50 at 10,000 ÷ p50 at 10 | round trips per append"
        + " | load p50 ms at 10,000 | round trips per load |");
    rows.add("|---|---|---|---|---:|---:|---:|---:|");
    for (Map.Entry<String, Map<Integer, double[]>> e : SUMMARY.entrySet()) {
      Map<Integer, double[]> m = e.getValue();
      double[] a = m.get(LENGTHS[0]);
      double[] b = m.get(LENGTHS[1]);
      double[] c = m.get(LENGTHS[2]);
      rows.add(String.format(Locale.ROOT, "| %s | %.2f / %.2f / %.2f | %.2f / %.2f / %.2f | %.2f"
          + " | %.0f | %s | %s |", e.getKey(), a[0], b[0], c[0], a[1], b[1], c[1], c[0] / a[0],
          c[2], Double.isNaN(c[3]) ? "" : String.format(Locale.ROOT, "%.2f", c[3]),
          Double.isNaN(c[4]) ? "" : String.format(Locale.ROOT, "%.0f", c[4])));
    }
    SUMMARY.clear();
    rows.add("");
    rows.add(String.format(Locale.ROOT, "%s; %d JIT warm-up appends per store (Spring AI: %d,"
        + " whole conversation %d), then per length %d warm-up and %d measured rounds, %d loads;"
        + " %.0f s in all", LocalDate.now(), JIT_WARMUP, SPRING_JIT_WARMUP, SPRING_JIT_WARMUP / 10,
        WARMUP, ROUNDS, LOADS,
        (System.nanoTime() - t0) / 1e9));
    return rows;
  }

  private static void runH2(List<String> rows) throws Exception {
    Path dir = Files.createTempDirectory("sessionstore-bench");
    // A file database, durable on commit for every contender: WRITE_DELAY=0.
    String url = "jdbc:h2:" + dir.resolve("bench").toAbsolutePath() + ";WRITE_DELAY=0";
    try (HikariDataSource spring = pool(url, 4)) {
      exec(spring, resource("schema-h2.sql"));
      compare("H2 (file)", url, spring, new H2ChatMemoryRepositoryDialect(), rows);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
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
    try (HikariDataSource admin = pool(url, 1)) {
      exec(admin, "CREATE SCHEMA " + schema);
      try (HikariDataSource spring = pool(url + (url.contains("?") ? "&" : "?")
          + "currentSchema=" + schema, 4)) {
        exec(spring, resource("schema-postgresql.sql"));
        compare("PostgreSQL", url, spring, new PostgresChatMemoryRepositoryDialect(), rows);
      } finally {
        exec(admin, "DROP SCHEMA " + schema + " CASCADE");
      }
    }
  }

  private static void runMariaDb(List<String> rows) throws Exception {
    String url = System.getenv(TestDb.MARIADB_ENV);
    if (url == null || url.isBlank()) {
      System.err.println("skipping MariaDB: set " + TestDb.MARIADB_ENV);
      return;
    }
    // Spring AI's table name is fixed: give it a database of its own on the same server.
    String database = "ssbench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    String springUrl = url.replaceFirst("^(jdbc:mariadb://[^/?]+)/[^?]*", "$1/" + database);
    try (HikariDataSource admin = pool(url, 1)) {
      exec(admin, "CREATE DATABASE " + database);
      try (HikariDataSource spring = pool(springUrl, 4)) {
        exec(spring, resource("schema-mariadb.sql"));
        compare("MariaDB", url, spring, new MysqlChatMemoryRepositoryDialect(), rows);
      } finally {
        exec(admin, "DROP DATABASE " + database);
      }
    }
  }

  /** One contender: appends one message per call, and loads the whole conversation. */
  private abstract static class Contender {
    final String name;
    final CountingDataSource counter;
    final List<Long> appendNanos = new ArrayList<>();
    final List<Long> loadNanos = new ArrayList<>();
    long appendTrips;
    long loadTrips;

    Contender(String name, CountingDataSource counter) {
      this.name = name;
      this.counter = counter;
    }

    abstract void fill(int length) throws Exception;

    abstract void appendOne(int i) throws Exception;

    /** The number of messages loaded, or -1 if the contender has no load. */
    int load() throws Exception {
      return -1;
    }

    void reset() {
      appendNanos.clear();
      loadNanos.clear();
      appendTrips = 0;
      loadTrips = 0;
    }
  }

  private static void compare(String dbName, String url, HikariDataSource springPool,
      JdbcChatMemoryRepositoryDialect springDialect, List<String> rows) throws Exception {
    String prefix = "bench" + UUID.randomUUID().toString().replace("-", "").substring(0, 8) + "_";
    Dialect dialect = Dialect.forSubProtocol(JdbcUrl.parse(url).subProtocol());
    try (HikariDataSource ourPool = ourPool(url, dialect);
        HikariDataSource floorPool = pool(url, 2)) {
      CountingDataSource ours = new CountingDataSource(ourPool);
      CountingDataSource floorDs = new CountingDataSource(floorPool);
      CountingDataSource springDs = new CountingDataSource(springPool);
      StorageBackend backend = JdbcBackendBuilder.dataSource(ours).tablePrefix(prefix).build();
      String floorTable = prefix + "floor";
      exec(floorPool, "CREATE TABLE " + floorTable + " (id BIGINT NOT NULL PRIMARY KEY, content "
          + dialect.bytesType + " NOT NULL)" + dialect.tableOptions);
      // Shaped like our records table: what an unconditional INSERT of a record costs.
      String keyedTable = prefix + "floorkeyed";
      exec(floorPool, "CREATE TABLE " + keyedTable + " (log_id BIGINT NOT NULL, seq BIGINT NOT NULL,"
          + " content " + dialect.bytesType + " NOT NULL, PRIMARY KEY (log_id, seq))"
          + dialect.tableOptions);
      JdbcChatMemoryRepository repo = JdbcChatMemoryRepository.builder().dataSource(springDs)
          .dialect(springDialect).build();
      try (Connection autoCommitConn = floorDs.getConnection();
          Connection txConn = floorDs.getConnection()) {
        txConn.setAutoCommit(false);
        long[] floorId = {0};
        List<Contender> floors = List.of(
            floor("floor: INSERT (auto-commit)", floorDs, autoCommitConn, floorTable, floorId),
            floor("floor: INSERT + COMMIT", floorDs, txConn, floorTable, floorId),
            keyedFloor(floorDs, autoCommitConn, keyedTable));
        List<Contender> ourGroup = new ArrayList<>(floors);
        ourGroup.add(session(backend, ours));
        ourGroup.add(spi(backend, ours));
        List<Contender> springGroup = new ArrayList<>(floors);
        springGroup.add(spring("Spring AI, window 20", repo, springDs, 20));
        springGroup.add(spring("Spring AI, whole conversation", repo, springDs, Integer.MAX_VALUE));
        List<Contender> all = new ArrayList<>(ourGroup);
        all.addAll(springGroup.subList(floors.size(), springGroup.size()));
        for (Contender c : all) {
          c.fill(10);
          // Spring AI's add is slow and the whole-conversation store grows by one message per
          // add: fewer warm-up adds there.
          int n = c.name.contains("whole") ? SPRING_JIT_WARMUP / 10
              : c.name.startsWith("Spring") ? SPRING_JIT_WARMUP : JIT_WARMUP;
          for (int i = 0; i < n; i++) {
            c.appendOne(i);
          }
        }
        for (int length : LENGTHS) {
          for (Contender c : all) {
            c.reset();
            c.fill(length);
          }
          measure(ourGroup);
          report(dbName, length, ourGroup, ourGroup, rows);
          // Spring AI's add rewrites up to the whole conversation inside this JVM (on H2, the
          // database too): run in the same rounds as ours, it left the caches cold for whoever
          // came next. It is timed in rounds of its own, against the floors timed beside it.
          for (Contender c : floors) {
            c.reset();
          }
          measure(springGroup);
          report(dbName, length, springGroup, springGroup.subList(floors.size(),
              springGroup.size()), rows);
        }
      } finally {
        for (String t : List.of("log_records", "logs", "blobs", "schema", "floor", "floorkeyed")) {
          exec(ourPool, "DROP TABLE IF EXISTS " + prefix + t);
        }
        backend.close();
      }
    }
  }

  private static void measure(List<Contender> all) throws Exception {
    // A new order every round: a heavy operation leaves work behind (garbage, background
    // writes of the database), and a fixed order would hand it to the same neighbour each time.
    Random random = new Random(42);
    List<Contender> order = new ArrayList<>(all);
    for (int round = 0; round < WARMUP + ROUNDS; round++) {
      Collections.shuffle(order, random);
      for (Contender c : order) {
        c.counter.reset();
        long t0 = System.nanoTime();
        c.appendOne(round);
        long t = System.nanoTime() - t0;
        if (round >= WARMUP) {
          c.appendNanos.add(t);
          c.appendTrips += c.counter.roundTrips();
        }
      }
    }
    for (int round = 0; round < LOADS; round++) {
      Collections.shuffle(order, random);
      for (Contender c : order) {
        c.counter.reset();
        long t0 = System.nanoTime();
        int loaded = c.load();
        long t = System.nanoTime() - t0;
        if (loaded >= 0) {
          c.loadNanos.add(t);
          c.loadTrips += c.counter.roundTrips();
        }
      }
    }
  }

  private static Contender floor(String name, CountingDataSource ds, Connection c, String table,
      long[] nextId) {
    return new Contender(name, ds) {
      @Override
      void fill(int length) throws SQLException {
        // As many rows as a store of this length holds, so the tables are alike in size.
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO " + table + " (id, content) VALUES (?, ?)")) {
          for (int i = 0; i < length; i++) {
            p.setLong(1, ++nextId[0]);
            p.setBytes(2, record(i));
            p.addBatch();
          }
          p.executeBatch();
        }
        if (!c.getAutoCommit()) {
          c.commit();
        }
      }

      @Override
      void appendOne(int i) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO " + table + " (id, content) VALUES (?, ?)")) {
          p.setLong(1, ++nextId[0]);
          p.setBytes(2, record(i));
          p.executeUpdate();
        }
        if (!c.getAutoCommit()) {
          c.commit();
        }
      }
    };
  }

  private static Contender keyedFloor(CountingDataSource ds, Connection c, String table) {
    return new Contender("floor: INSERT (auto-commit) into a (log_id, seq) table", ds) {
      long logId;
      long next;

      @Override
      void fill(int length) throws SQLException {
        logId++;
        next = 1;
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO " + table + " (log_id, seq, content) VALUES (?, ?, ?)")) {
          for (int i = 0; i < length; i++) {
            p.setLong(1, logId);
            p.setLong(2, next++);
            p.setBytes(3, record(i));
            p.addBatch();
          }
          p.executeBatch();
        }
      }

      @Override
      void appendOne(int i) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
            "INSERT INTO " + table + " (log_id, seq, content) VALUES (?, ?, ?)")) {
          p.setLong(1, logId);
          p.setLong(2, next++);
          p.setBytes(3, record(i));
          p.executeUpdate();
        }
      }
    };
  }

  private static Contender session(StorageBackend backend, CountingDataSource ds) {
    return new Contender("sessionstore Session.append", ds) {
      Session session;
      String id;
      int expected;

      @Override
      void fill(int length) {
        id = "bench-" + UUID.randomUUID();
        session = SessionStore.builder().backend(backend).build().session(id);
        List<Message> batch = new ArrayList<>();
        for (int i = 0; i < length; i++) {
          batch.add(i % 2 == 0 ? Message.user(TEXT + i) : Message.assistant(TEXT + i));
          if (batch.size() == 500 || i == length - 1) {
            session.append(batch);
            batch = new ArrayList<>();
          }
        }
        expected = length;
      }

      @Override
      void appendOne(int i) {
        session.append(Message.user(TEXT + "new " + i));
        expected++;
      }

      @Override
      int load() {
        // A fresh store has no cache: this is what a new process pays to resume the session.
        int n = SessionStore.builder().backend(backend).build().session(id).messages().size();
        check(n == expected, n, expected);
        return n;
      }
    };
  }

  private static Contender spi(StorageBackend backend, CountingDataSource ds) {
    return new Contender("sessionstore SPI append", ds) {
      String log;
      long next;

      @Override
      void fill(int length) {
        log = "bench/" + UUID.randomUUID() + "/log";
        next = 1;
        List<byte[]> batch = new ArrayList<>();
        for (int i = 0; i < length; i++) {
          batch.add(record(i));
          if (batch.size() == 500 || i == length - 1) {
            backend.append(log, next, batch);
            next += batch.size();
            batch = new ArrayList<>();
          }
        }
      }

      @Override
      void appendOne(int i) {
        backend.append(log, next++, List.of(record(i)));
      }
    };
  }

  private static Contender spring(String name, JdbcChatMemoryRepository repo,
      CountingDataSource ds, int window) {
    ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repo)
        .maxMessages(window).build();
    return new Contender(name, ds) {
      String id;
      int expected;

      @Override
      void fill(int length) {
        id = UUID.randomUUID().toString();
        List<org.springframework.ai.chat.messages.Message> conversation = new ArrayList<>();
        for (int i = Math.max(0, length - window); i < length; i++) {
          conversation.add(i % 2 == 0 ? new UserMessage(TEXT + i) : new AssistantMessage(TEXT + i));
        }
        repo.saveAll(id, conversation); // what the memory holds after `length` messages
        expected = conversation.size();
      }

      @Override
      void appendOne(int i) {
        memory.add(id, new UserMessage(TEXT + "new " + i)); // reads, deletes, inserts the window
        expected = Math.min(window, expected + 1);
      }

      @Override
      int load() {
        int n = memory.get(id).size();
        check(n == expected, n, expected);
        return n;
      }
    };
  }

  /** Rows for {@code shown}, with ratios to the floors timed in {@code group}'s rounds. */
  private static void report(String db, int length, List<Contender> group, List<Contender> shown,
      List<String> rows) {
    double floor1 = p(group.get(0).appendNanos, 50);
    double floor2 = p(group.get(1).appendNanos, 50);
    for (Contender c : shown) {
      double p50 = p(c.appendNanos, 50);
      String load = c.loadNanos.isEmpty() ? "" : String.format(Locale.ROOT, "%.2f",
          p(c.loadNanos, 50) / 1e6);
      String loadTrips = c.loadNanos.isEmpty() ? ""
          : String.format(Locale.ROOT, "%.0f", (double) c.loadTrips / c.loadNanos.size());
      String line = String.format(Locale.ROOT,
          "| %s | %,d | %s | %.2f | %.2f | %.2f | %.2f | %.1f | %s | %s |", db, length, c.name,
          p50 / 1e6, p(c.appendNanos, 90) / 1e6, p50 / floor1, p50 / floor2,
          (double) c.appendTrips / c.appendNanos.size(), load, loadTrips);
      System.out.println(line);
      rows.add(line);
      SUMMARY.computeIfAbsent(db + " | " + c.name, k -> new LinkedHashMap<>()).put(length,
          new double[] {p50 / 1e6, p50 / floor2, (double) c.appendTrips / c.appendNanos.size(),
              c.loadNanos.isEmpty() ? Double.NaN : p(c.loadNanos, 50) / 1e6,
              c.loadNanos.isEmpty() ? Double.NaN : (double) c.loadTrips / c.loadNanos.size()});
    }
  }

  private static double p(List<Long> nanos, int percentile) {
    long[] a = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    return a[Math.min(a.length - 1, a.length * percentile / 100)];
  }

  /**
   * A record as core writes it for {@code Message.user(TEXT + "new " + i)} (about 300 bytes):
   * the floors and the SPI append insert records of the size {@code Session.append} inserts.
   */
  private static byte[] record(int i) {
    return ("{\"seq\":" + (i + 1) + ",\"id\":\"" + Message.newId() + "\",\"role\":\"user\","
        + "\"parts\":[{\"type\":\"text\",\"text\":\"" + TEXT + "new " + i + "\"}],"
        + "\"created_at\":\"" + Instant.now() + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  private static void check(boolean ok, int n, int expected) {
    if (!ok) {
      throw new IllegalStateException("loaded " + n + " messages, expected " + expected);
    }
  }

  /** A pool set up as {@link JdbcBackendBuilder} sets up its own. */
  private static HikariDataSource ourPool(String url, Dialect dialect) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setMaximumPoolSize(JdbcBackendBuilder.DEFAULT_POOL_SIZE);
    c.setMinimumIdle(1);
    c.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    JdbcBackendBuilder.tuneDriver(c, dialect, url);
    return new HikariDataSource(c);
  }

  /**
   * A pool for the floor and Spring AI, with the driver settings ours gets, so that every
   * store talks to the database the same way (on MariaDB: server-side prepared statements).
   */
  private static HikariDataSource pool(String url, int size) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setMaximumPoolSize(size);
    JdbcBackendBuilder.tuneDriver(c, Dialect.forSubProtocol(JdbcUrl.parse(url).subProtocol()),
        url);
    return new HikariDataSource(c);
  }

  private static String resource(String name) throws java.io.IOException {
    try (var in = JdbcChatMemoryRepository.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void exec(DataSource ds, String script) {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String sql : script.split(";")) {
        if (!sql.isBlank()) {
          s.execute(sql);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
