package dev.sessionstore.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Wraps a DataSource and counts round trips: every statement execution and every explicit
 * commit or rollback (with auto-commit on, an execution is its own transaction).
 */
final class CountingDataSource {
  private static final Set<String> EXECUTIONS =
      Set.of("execute", "executeQuery", "executeUpdate", "executeBatch", "executeLargeUpdate");
  final AtomicLong roundTrips = new AtomicLong();
  private final DataSource target;

  CountingDataSource(DataSource target) {
    this.target = target;
  }

  DataSource dataSource() {
    return (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, m, args) -> {
          Object r = invoke(target, m, args);
          return r instanceof Connection c ? connection(c) : r;
        });
  }

  private Connection connection(Connection c) {
    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, m, args) -> {
          if (m.getName().equals("commit") || m.getName().equals("rollback")) {
            roundTrips.incrementAndGet();
          }
          Object r = invoke(c, m, args);
          return r instanceof Statement s ? statement(s, m.getReturnType()) : r;
        });
  }

  private Object statement(Statement s, Class<?> type) {
    InvocationHandler h = (proxy, m, args) -> {
      if (EXECUTIONS.contains(m.getName())) {
        roundTrips.incrementAndGet();
      }
      return invoke(s, m, args);
    };
    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h);
  }

  private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args)
      throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
