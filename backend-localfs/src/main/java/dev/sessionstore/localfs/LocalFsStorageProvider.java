package dev.sessionstore.localfs;

import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import dev.sessionstore.spi.StorageProvider;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * Provides the local file system backend for {@code file:} URIs, for example {@code
 * file:///var/lib/app/sessions}. The directory is created if it is missing.
 *
 * <p>A key maps to the file {@code <root>/<key>}, so the layout is readable by a person: a
 * session is {@code sessions/<id>/messages.jsonl} (one JSON record per line), {@code
 * sessions/<id>/.meta.json} and {@code sessions/<id>/history/archive_NNN/...}. The backend's own
 * files all contain {@code ~}, which no key can, and never show up in listings. Every write is
 * fsynced before it returns; several backend instances and processes may share one root.
 */
public final class LocalFsStorageProvider implements StorageProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public LocalFsStorageProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("file");
  }

  /**
   * Opens the backend rooted at the directory a {@code file:} URI names.
   *
   * @throws IllegalArgumentException if the URI is not an absolute local {@code file:} URI
   *     without query or fragment, or names something that is not a directory
   * @throws StorageException if the directory cannot be created or opened
   */
  @Override
  public StorageBackend open(String uri) {
    return forDirectory(toPath(uri));
  }

  /**
   * Opens the backend rooted at {@code root}, creating the directory if it is missing. Use this
   * with {@code SessionStore.builder().backend(...)}.
   *
   * @param root the store's directory
   * @return the backend
   * @throws IllegalArgumentException if {@code root} exists and is not a directory
   * @throws StorageException if the directory cannot be created or opened
   */
  public static StorageBackend forDirectory(Path root) {
    Objects.requireNonNull(root, "root");
    Path abs = root.toAbsolutePath().normalize();
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new IllegalArgumentException("session store root " + abs + " is not a directory");
    }
    return new LocalFsBackend(abs);
  }

  static Path toPath(String uri) {
    Objects.requireNonNull(uri, "uri");
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "malformed file: URI '" + uri + "': " + e.getMessage()
              + " (percent-encode spaces and other special characters)", e);
    }
    if (!"file".equalsIgnoreCase(u.getScheme())) {
      throw new IllegalArgumentException("not a file: URI: '" + uri + "'");
    }
    if (u.isOpaque() || u.getPath() == null || !u.getPath().startsWith("/")) {
      throw new IllegalArgumentException(
          "file: URI needs an absolute path, like file:///var/lib/app/sessions, was '" + uri
              + "'");
    }
    String authority = u.getRawAuthority();
    if (authority != null && !authority.isEmpty() && !authority.equalsIgnoreCase("localhost")) {
      throw new IllegalArgumentException(
          "file: URI names host '" + authority + "'; only local directories are supported,"
              + " like file:///var/lib/app/sessions");
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "file: URI takes no query or fragment, was '" + uri + "'");
    }
    return Path.of(u.getPath());
  }
}
