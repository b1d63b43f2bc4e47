package dev.sessionstore;

import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageProvider;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Finds the backend for a store URI with {@link ServiceLoader}, by exact scheme. Fails fast:
 * no match names the scheme and what is installed; two providers for one scheme name both.
 */
final class Backends {
  private Backends() {}

  static StorageBackend open(String uri) {
    String scheme = schemeOf(uri);
    Map<String, StorageProvider> providers = installed();
    StorageProvider p = providers.get(scheme);
    if (p == null) {
      throw new BackendDiscoveryException(
          "no sessionstore backend for scheme '" + scheme + "'; installed schemes: "
              + providers.keySet()
              + ". Add the backend's jar to the class path (sessionstore-backend-localfs for"
              + " file:, sessionstore-backend-s3 for s3:, sessionstore-backend-jdbc for jdbc:).");
    }
    return p.open(uri);
  }

  /** Scheme of a store URI: the part before the first ':', or for JDBC {@code jdbc:<sub>}. */
  static String schemeOf(String uri) {
    if (uri == null) {
      throw new IllegalArgumentException("store URI must not be null");
    }
    int colon = uri.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(
          "store URI has no scheme (expected for example file:///path, mem:, s3://bucket,"
              + " jdbc:h2:...)");
    }
    String scheme = uri.substring(0, colon).toLowerCase(Locale.ROOT);
    if (scheme.equals("jdbc")) {
      int next = uri.indexOf(':', colon + 1);
      if (next < 0) {
        throw new IllegalArgumentException("JDBC URL without sub-protocol (expected jdbc:h2:...)");
      }
      scheme = "jdbc:" + uri.substring(colon + 1, next).toLowerCase(Locale.ROOT);
    }
    return scheme;
  }

  /** Scheme to provider, sorted by scheme. */
  static Map<String, StorageProvider> installed() {
    Map<String, StorageProvider> byScheme = new TreeMap<>();
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    ServiceLoader<StorageProvider> loader = ServiceLoader.load(
        StorageProvider.class, cl != null ? cl : Backends.class.getClassLoader());
    for (StorageProvider p : loader) {
      for (String s : p.schemes()) {
        String scheme = s.toLowerCase(Locale.ROOT);
        StorageProvider other = byScheme.putIfAbsent(scheme, p);
        if (other != null && other.getClass() != p.getClass()) {
          throw new BackendDiscoveryException(
              "two sessionstore backends claim scheme '" + scheme + "': "
                  + other.getClass().getName() + " and " + p.getClass().getName()
                  + "; remove one of them from the class path");
        }
      }
    }
    return byScheme;
  }
}
