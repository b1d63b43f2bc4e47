/**
 * The JDBC storage backend: H2 (embedded), PostgreSQL and MariaDB, opened by
 * {@code jdbc:h2:}, {@code jdbc:postgresql:} and {@code jdbc:mariadb:} URLs through {@link
 * dev.sessionstore.jdbc.JdbcStorageProvider}, or over an application's own {@link
 * javax.sql.DataSource} with {@link dev.sessionstore.jdbc.JdbcBackendBuilder}. The application
 * brings the JDBC driver of its database.
 */
@NullMarked
package dev.sessionstore.jdbc;

import org.jspecify.annotations.NullMarked;
