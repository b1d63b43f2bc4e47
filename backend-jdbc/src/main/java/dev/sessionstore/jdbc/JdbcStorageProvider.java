package dev.sessionstore.jdbc;

import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageProvider;
import java.util.Set;

/**
 * Opens the JDBC backend for {@code jdbc:h2:}, {@code jdbc:postgresql:} and {@code
 * jdbc:mariadb:} URLs, for example {@code jdbc:h2:./data/sessions}, {@code
 * jdbc:postgresql://db:5432/app?user=app&sessionstore.tablePrefix=chat_} or {@code
 * jdbc:mariadb://db:3306/app?user=app}. See {@link JdbcBackendBuilder#url(String)} for the
 * options, and use {@link JdbcBackendBuilder#dataSource} to reuse an application's pool.
 */
public final class JdbcStorageProvider implements StorageProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public JdbcStorageProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("jdbc:h2", "jdbc:postgresql", "jdbc:mariadb");
  }

  @Override
  public StorageBackend open(String uri) {
    return JdbcBackendBuilder.url(uri).build();
  }
}
