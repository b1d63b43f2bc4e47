package dev.sessionstore.bench;

import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server in this JVM (s3proxy over jclouds' in-memory {@code transient} store) and
 * clients whose HTTP requests are counted. Not the {@code filesystem} store: it can answer a GET
 * with a half-written object while the backend's background compaction replaces the manifest,
 * which real S3 never does (the backend's tests run that store behind a lock).
 */
final class S3Server implements AutoCloseable {
  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final URI endpoint;

  S3Server() throws Exception {
    context = ContextBuilder.newBuilder("transient").build(BlobStoreContext.class);
    proxy = S3Proxy.builder()
        .blobStore(context.getBlobStore())
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "bench", "bench-secret")
        // s3proxy 3.0.0 refuses the x-amz-checksum-crc32 header the SDK puts on DeleteObjects
        .ignoreUnknownHeaders(true)
        .build();
    proxy.start();
    endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  String newBucket(String name) {
    context.getBlobStore().createContainerInLocation(null, name);
    return name;
  }

  /** A client configured as the backend's own, counting every HTTP request it sends. */
  S3Client countingClient(AtomicLong requests) {
    return S3Client.builder()
        .httpClientBuilder(Apache5HttpClient.builder())
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create("bench", "bench-secret")))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(c -> c.addExecutionInterceptor(new ExecutionInterceptor() {
          @Override
          public void beforeTransmission(Context.BeforeTransmission ctx, ExecutionAttributes a) {
            requests.incrementAndGet();
          }
        }))
        .build();
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
