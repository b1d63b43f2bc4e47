package dev.sessionstore.spi;

import java.util.Set;

/**
 * Creates backends for the URI schemes it claims. Registered in {@code
 * META-INF/services/dev.sessionstore.spi.StorageProvider} and found with {@link
 * java.util.ServiceLoader}.
 *
 * <p>A scheme is matched exactly: {@code file}, {@code mem}, {@code s3}; for JDBC URLs the
 * scheme is {@code jdbc:} plus the sub-protocol ({@code jdbc:h2}, {@code jdbc:postgresql}).
 */
public interface StorageProvider {

  /**
   * {@return the schemes this provider opens, in lower case, for example {@code Set.of("file")}}
   */
  Set<String> schemes();

  /**
   * Opens a backend for {@code uri}, whose scheme is one of {@link #schemes()}.
   *
   * @param uri a URI with one of this provider's schemes
   * @return the open backend
   * @throws IllegalArgumentException if the URI is malformed for this provider, naming what is
   *     wrong
   * @throws StorageException if the storage cannot be reached
   */
  StorageBackend open(String uri);
}
