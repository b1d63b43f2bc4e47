package dev.sessionstore.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A DataSource that counts the SQL round trips made through it: statement executions (a JDBC
 * batch counts once, as the drivers send it in one go), commits, rollbacks, and auto-commit
 * changes (MariaDB's driver sends {@code set autocommit} for each). It also records every
 * statement that failed, so tests can check that an operation makes no failing call.
 */
final class CountingDataSource implements DataSource {
  private final DataSource delegate;
  private final AtomicInteger statements = new AtomicInteger();
  private final AtomicInteger commits = new AtomicInteger();
  private final AtomicInteger rollbacks = new AtomicInteger();
  private final AtomicInteger autoCommitChanges = new AtomicInteger();
  private final List<String> failures = new ArrayList<>();

  CountingDataSource(DataSource delegate) {
    this.delegate = delegate;
  }

  int statements() {
    return statements.get();
  }

  int commits() {
    return commits.get();
  }

  int autoCommitChanges() {
    return autoCommitChanges.get();
  }

  /** Everything that crosses the wire: statements, commits, rollbacks, auto-commit changes. */
  int roundTrips() {
    return statements.get() + commits.get() + rollbacks.get() + autoCommitChanges.get();
  }

  synchronized List<String> failures() {
    return List.copyOf(failures);
  }

  synchronized void reset() {
    statements.set(0);
    commits.set(0);
    rollbacks.set(0);
    autoCommitChanges.set(0);
    failures.clear();
  }

  @Override
  public Connection getConnection() throws SQLException {
    return wrap(delegate.getConnection());
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    return wrap(delegate.getConnection(user, password));
  }

  private Connection wrap(Connection c) {
    InvocationHandler h = (proxy, m, args) -> {
      switch (m.getName()) {
        case "commit" -> commits.incrementAndGet();
        case "rollback" -> rollbacks.incrementAndGet();
        case "setAutoCommit" -> {
          if (c.getAutoCommit() != (Boolean) args[0]) {
            autoCommitChanges.incrementAndGet();
          }
        }
        default -> { }
      }
      Object result = invoke(c, m, args, null);
      if (result instanceof CallableStatement s) {
        return wrapStatement(s, CallableStatement.class, sqlOf(args));
      }
      if (result instanceof PreparedStatement s) {
        return wrapStatement(s, PreparedStatement.class, sqlOf(args));
      }
      if (result instanceof Statement s) {
        return wrapStatement(s, Statement.class, null);
      }
      return result;
    };
    return (Connection) Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
  }

  private static String sqlOf(Object[] args) {
    return args != null && args.length > 0 && args[0] instanceof String s ? s : null;
  }

  private <T extends Statement> T wrapStatement(T s, Class<T> type, String preparedSql) {
    InvocationHandler h = (proxy, m, args) -> {
      boolean executes = m.getName().startsWith("execute");
      if (executes) {
        statements.incrementAndGet();
      }
      String sql = preparedSql != null ? preparedSql : sqlOf(args);
      return invoke(s, m, args, executes ? sql : null);
    };
    return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h));
  }

  /** Calls through, unwrapping the reflection exception; records a failed execution. */
  private Object invoke(Object target, Method m, Object[] args, String executedSql)
      throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      if (executedSql != null && e.getCause() instanceof SQLException x) {
        synchronized (this) {
          failures.add(executedSql + " -> " + x);
        }
      }
      throw e.getCause();
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return delegate.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return delegate.isWrapperFor(iface);
  }
}
