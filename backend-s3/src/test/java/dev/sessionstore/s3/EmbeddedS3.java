package dev.sessionstore.s3;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server in the test JVM: s3proxy on 127.0.0.1, a free port, over jclouds' {@code
 * filesystem} store (in a directory) or its in-memory {@code transient} store.
 */
final class EmbeddedS3 implements AutoCloseable {
  static final String ACCESS_KEY = "test-access";
  static final String SECRET_KEY = "test-secret";

  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final URI endpoint;

  private EmbeddedS3(String provider, Properties overrides) throws Exception {
    this(provider, overrides, AuthenticationType.AWS_V2_OR_V4);
  }

  private EmbeddedS3(String provider, Properties overrides, AuthenticationType auth)
      throws Exception {
    context = ContextBuilder.newBuilder(provider).overrides(overrides)
        .build(BlobStoreContext.class);
    proxy = S3Proxy.builder()
        .blobStore(new AtomicPreconditionsBlobStore(context.getBlobStore()))
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(auth, ACCESS_KEY, SECRET_KEY)
        // s3proxy 3.0.0 refuses the x-amz-checksum-crc32 header the SDK puts on DeleteObjects
        .ignoreUnknownHeaders(true)
        .build();
    proxy.start(); // Jetty's start() returns once the connector is bound
    if (!"STARTED".equals(proxy.getState())) {
      throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
    }
    endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** s3proxy over jclouds' filesystem store rooted at {@code dir}. */
  static EmbeddedS3 filesystem(Path dir) throws Exception {
    Properties p = new Properties();
    p.setProperty("jclouds.filesystem.basedir", dir.toString());
    return new EmbeddedS3("filesystem", p);
  }

  /** s3proxy over jclouds' in-memory transient store. */
  static EmbeddedS3 inMemory() throws Exception {
    return new EmbeddedS3("transient", new Properties());
  }

  /** In-memory s3proxy that does not check request signatures. */
  static EmbeddedS3 unauthenticated() throws Exception {
    return new EmbeddedS3("transient", new Properties(), AuthenticationType.NONE);
  }

  URI endpoint() {
    return endpoint;
  }

  /** Creates a fresh bucket with a random name and returns the name. */
  String newBucket() {
    String name = "b" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    context.getBlobStore().createContainerInLocation(null, name);
    return name;
  }

  /** The URI of a store in {@code bucket} under {@code prefix} (may be empty). */
  String uri(String bucket, String prefix) {
    return uri(endpoint, bucket, prefix);
  }

  /** The URI of a store in {@code bucket} under {@code prefix} on the server at {@code endpoint}. */
  static String uri(URI endpoint, String bucket, String prefix) {
    return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix) + "?endpoint=" + endpoint
        + "&region=us-east-1&pathStyle=true&accessKeyId=" + ACCESS_KEY + "&secretAccessKey="
        + SECRET_KEY;
  }

  /** A client configured as the backend's own is, for tests that look at raw objects. */
  S3Client client() {
    return client(endpoint);
  }

  static S3Client client(URI endpoint, ExecutionInterceptor... interceptors) {
    return S3Client.builder()
        .httpClientBuilder(Apache5HttpClient.builder())
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .serviceConfiguration(c -> c.expectContinueEnabled(false))
        .overrideConfiguration(o -> List.of(interceptors).forEach(o::addExecutionInterceptor))
        .build();
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping s3proxy failed", e);
    } finally {
      context.close();
    }
  }
}
