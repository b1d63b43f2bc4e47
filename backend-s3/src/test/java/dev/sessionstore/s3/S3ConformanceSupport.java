package dev.sessionstore.s3;

import dev.sessionstore.conformance.ConformanceKit;
import dev.sessionstore.spi.StorageBackend;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Runs the conformance kit against an S3 server: each backend is a fresh random prefix in one
 * bucket, opened through its URI; the second instance opens the same URI (its own client).
 */
abstract class S3ConformanceSupport extends ConformanceKit {
  private final Map<StorageBackend, String> uris =
      Collections.synchronizedMap(new IdentityHashMap<>());

  /** The URI of a store under {@code prefix} on the server under test. */
  abstract String uri(String prefix);

  @Override
  protected StorageBackend createBackend() {
    String uri = uri("kit-" + UUID.randomUUID());
    StorageBackend b = new S3StorageProvider().open(uri);
    uris.put(b, uri);
    return b;
  }

  @Override
  protected Optional<StorageBackend> openSecondInstance(StorageBackend backend) {
    String uri = uris.get(backend);
    return uri == null ? Optional.empty() : Optional.of(new S3StorageProvider().open(uri));
  }
}
