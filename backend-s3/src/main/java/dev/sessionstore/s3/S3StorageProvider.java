package dev.sessionstore.s3;

import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageProvider;
import java.util.Set;

/**
 * Provides the S3 backend for {@code s3://bucket/prefix?options} URIs, for example {@code
 * s3://my-bucket/agents?region=eu-west-1} on AWS or {@code
 * s3://sessions?endpoint=http://127.0.0.1:9000&region=us-east-1&pathStyle=true} on MinIO. See
 * {@link S3Storage#open(String)} for the options.
 */
public final class S3StorageProvider implements StorageProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public S3StorageProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("s3");
  }

  @Override
  public StorageBackend open(String uri) {
    return S3Storage.open(uri);
  }
}
