package dev.sessionstore.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Builds a JDBC storage backend, either from a URL (the backend then owns a HikariCP pool) or
 * over an application's own {@link DataSource} (which the backend uses but never closes).
 *
 * <pre>{@code
 * StorageBackend b = JdbcBackendBuilder.url("jdbc:postgresql://db/app?user=app")
 *     .tablePrefix("chat_")
 *     .build();
 * StorageBackend b2 = JdbcBackendBuilder.dataSource(myPool).build();
 * SessionStore store = SessionStore.builder().backend(b).build();
 * }</pre>
 *
 * <p>Tables are created on first use (see the module README for the schema). The table prefix
 * must match {@code [a-z][a-z0-9_]{0,39}}; the default is {@value #DEFAULT_TABLE_PREFIX}.
 */
public final class JdbcBackendBuilder {
  /** The table prefix used unless another one is set. */
  public static final String DEFAULT_TABLE_PREFIX = "sessionstore_";
  /** Connections in a pool the backend creates, unless set otherwise. */
  public static final int DEFAULT_POOL_SIZE = 8;

  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,39}");

  private final String url;
  private final DataSource dataSource;
  private String tablePrefix = DEFAULT_TABLE_PREFIX;
  private int maximumPoolSize = DEFAULT_POOL_SIZE;

  private JdbcBackendBuilder(String url, DataSource dataSource) {
    this.url = url;
    this.dataSource = dataSource;
  }

  /**
   * A backend over its own connection pool to {@code jdbcUrl} ({@code jdbc:h2:},
   * {@code jdbc:postgresql:} or {@code jdbc:mariadb:}). The URL may carry this library's
   * options as parameters named {@code sessionstore.tablePrefix} and {@code
   * sessionstore.maximumPoolSize} ({@code ?...&sessionstore.tablePrefix=x} for PostgreSQL and
   * MariaDB, {@code ;sessionstore.tablePrefix=x} for H2); they are removed before the URL
   * reaches the driver, and methods called on the builder afterwards override them.
   *
   * @param jdbcUrl the JDBC URL, with or without this library's options
   * @return the builder
   * @throws IllegalArgumentException if the URL is not a supported JDBC URL or an option is
   *     unknown or invalid
   */
  public static JdbcBackendBuilder url(String jdbcUrl) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    JdbcUrl parsed = JdbcUrl.parse(jdbcUrl);
    Dialect.forSubProtocol(parsed.subProtocol());
    JdbcBackendBuilder b = new JdbcBackendBuilder(parsed.driverUrl(), null);
    String prefix = parsed.options().get(JdbcUrl.TABLE_PREFIX);
    if (prefix != null) {
      b.tablePrefix(prefix);
    }
    String pool = parsed.options().get(JdbcUrl.POOL_SIZE);
    if (pool != null) {
      try {
        b.maximumPoolSize(Integer.parseInt(pool));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "sessionstore.maximumPoolSize must be a number, was '" + pool + "'");
      }
    }
    return b;
  }

  /**
   * A backend over {@code dataSource}, for applications that already pool their connections.
   * The database (H2, PostgreSQL or MariaDB) is detected from the connection's metadata. The
   * backend's {@link StorageBackend#close()} does not close the data source.
   *
   * @param dataSource the application's data source
   * @return the builder
   */
  public static JdbcBackendBuilder dataSource(DataSource dataSource) {
    return new JdbcBackendBuilder(null, Objects.requireNonNull(dataSource, "dataSource"));
  }

  /**
   * Sets the prefix of the table names: lower-case ASCII letters, digits and {@code _},
   * starting with a letter, at most 40 characters.
   *
   * @param prefix the prefix, for example {@code sessionstore_}
   * @return this builder
   * @throws IllegalArgumentException if the prefix breaks that rule
   */
  public JdbcBackendBuilder tablePrefix(String prefix) {
    if (prefix == null || !PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("table prefix must match [a-z][a-z0-9_]{0,39}, was '"
          + prefix + "'");
    }
    this.tablePrefix = prefix;
    return this;
  }

  /**
   * Sets the size of the pool the backend creates for a URL (1 to 200).
   *
   * @param size the number of pooled connections
   * @return this builder
   * @throws IllegalArgumentException if out of range, or if the backend is built over a
   *     data source
   */
  public JdbcBackendBuilder maximumPoolSize(int size) {
    if (dataSource != null) {
      throw new IllegalArgumentException("the pool size of a supplied DataSource is its own");
    }
    if (size < 1 || size > 200) {
      throw new IllegalArgumentException("maximumPoolSize must be 1..200, was " + size);
    }
    this.maximumPoolSize = size;
    return this;
  }

  /**
   * Connects, creates or upgrades the tables, and returns the backend.
   *
   * @return the backend
   * @throws StorageException if the database cannot be reached or the schema not created
   */
  public StorageBackend build() {
    return dataSource != null ? buildOver(dataSource) : buildPooled();
  }

  private StorageBackend buildOver(DataSource ds) {
    Dialect dialect;
    boolean persistent;
    try (Connection c = ds.getConnection()) {
      dialect = Dialect.forProductName(c.getMetaData().getDatabaseProductName());
      String u = c.getMetaData().getURL();
      persistent = !(dialect == Dialect.H2 && u != null
          && u.toLowerCase(Locale.ROOT).startsWith("jdbc:h2:mem:"));
    } catch (SQLException e) {
      throw new StorageException("cannot connect through the supplied DataSource: " + e, e);
    }
    Schema.ensure(ds, dialect, tablePrefix);
    return new JdbcBackend(ds, dialect, tablePrefix, capabilities(persistent), () -> {});
  }

  private StorageBackend buildPooled() {
    JdbcUrl parsed = JdbcUrl.parse(url);
    Dialect dialect = Dialect.forSubProtocol(parsed.subProtocol());
    requireDriver(dialect, JdbcBackendBuilder.class.getClassLoader(),
        Thread.currentThread().getContextClassLoader());
    String driverUrl = parsed.driverUrl();
    boolean h2Mem = false;
    if (dialect == Dialect.H2) {
      String lower = driverUrl.toLowerCase(Locale.ROOT);
      h2Mem = lower.startsWith("jdbc:h2:mem:");
      if (h2Mem && (lower.equals("jdbc:h2:mem:") || lower.startsWith("jdbc:h2:mem:;"))) {
        // An unnamed in-memory database is private to one connection; a pool needs one name.
        driverUrl = "jdbc:h2:mem:sessionstore-" + UUID.randomUUID()
            + driverUrl.substring("jdbc:h2:mem:".length());
      }
      boolean remote = lower.startsWith("jdbc:h2:tcp:") || lower.startsWith("jdbc:h2:ssl:");
      if (!h2Mem && !remote && !lower.contains("write_delay")) {
        // H2 otherwise writes committed transactions to the file up to 500 ms later; the SPI
        // promises a returned write survives a process crash.
        driverUrl = driverUrl + ";WRITE_DELAY=0";
      }
    }
    List<AutoCloseable> owned = new ArrayList<>();
    try {
      if (h2Mem) {
        // H2 drops an in-memory database when its last connection closes; the pool may close
        // all of its connections, so one connection outside the pool keeps the data alive for
        // as long as this backend is open.
        owned.add(DriverManager.getConnection(driverUrl));
      }
      HikariConfig config = new HikariConfig();
      config.setDriverClassName(dialect.driverClass);
      config.setJdbcUrl(driverUrl);
      config.setMaximumPoolSize(maximumPoolSize);
      config.setMinimumIdle(1);
      config.setPoolName("sessionstore-" + tablePrefix + "-" + Integer.toHexString(
          System.identityHashCode(config)));
      config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
      tuneDriver(config, dialect, driverUrl);
      HikariDataSource pool = new HikariDataSource(config);
      owned.add(0, pool);
      Schema.ensure(pool, dialect, tablePrefix);
      List<AutoCloseable> toClose = List.copyOf(owned);
      return new JdbcBackend(pool, dialect, tablePrefix, capabilities(!h2Mem),
          () -> closeAll(toClose));
    } catch (SQLException | RuntimeException e) {
      closeAll(owned);
      if (e instanceof StorageException s) {
        throw s;
      }
      throw new StorageException("cannot open " + redact(driverUrl) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Driver settings of a pool the backend creates, unless the URL sets them itself.
   * PostgreSQL: one multi-row INSERT per append batch instead of one statement per record.
   * MariaDB: statements are prepared on the server, once per connection, and then executed by
   * id, so the server does not parse the append's {@code INSERT ... SELECT} again on every
   * append (the PostgreSQL driver does this by itself from a statement's fifth execution).
   */
  static void tuneDriver(HikariConfig config, Dialect dialect, String driverUrl) {
    String option = switch (dialect) {
      case POSTGRESQL -> "reWriteBatchedInserts";
      case MARIADB -> "useServerPrepStmts";
      case H2 -> null;
    };
    if (option != null && !driverUrl.toLowerCase(Locale.ROOT).contains(
        option.toLowerCase(Locale.ROOT))) {
      config.addDataSourceProperty(option, "true");
    }
  }

  /**
   * Fails with the Maven coordinates of the driver when it is not on the class path: this
   * artifact brings no driver, so that an application carries only the one it uses.
   */
  static void requireDriver(Dialect dialect, ClassLoader... loaders) {
    for (ClassLoader loader : loaders) {
      if (loader == null) {
        continue;
      }
      try {
        Class.forName(dialect.driverClass, false, loader);
        return;
      } catch (ClassNotFoundException | LinkageError e) {
        // try the next class loader
      }
    }
    throw new StorageException("the " + dialect.product + " JDBC driver (" + dialect.driverClass
        + ") is not on the class path: add the dependency " + dialect.driverArtifact
        + " to the application (sessionstore-backend-jdbc does not bring database drivers)");
  }

  private static Set<Capability> capabilities(boolean persistent) {
    EnumSet<Capability> caps = EnumSet.of(Capability.SHARED_STORAGE, Capability.READ_AFTER_WRITE);
    if (persistent) {
      caps.add(Capability.PERSISTENT);
    }
    return caps;
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        // Closing on a failure path or at shutdown: nothing useful to do.
      }
    }
  }

  /** The URL without anything that looks like a password. */
  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
