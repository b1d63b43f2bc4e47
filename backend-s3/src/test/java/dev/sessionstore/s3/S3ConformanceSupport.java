package dev.sessionstore.s3;

import dev.sessionstore.conformance.LocationConformanceKit;
import dev.sessionstore.spi.StorageBackend;
import java.util.UUID;

/**
 * Runs the conformance kit against an S3 server: each backend is a fresh random prefix in one
 * bucket, opened through its URI; the second instance opens the same URI (its own client).
 */
abstract class S3ConformanceSupport extends LocationConformanceKit<String> {
  /** The URI of a store under {@code prefix} on the server under test. */
  abstract String uri(String prefix);

  @Override
  protected String newLocation() {
    return uri("kit-" + UUID.randomUUID());
  }

  @Override
  protected StorageBackend openLocation(String uri) {
    return new S3StorageProvider().open(uri);
  }
}
