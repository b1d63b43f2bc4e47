package dev.sessionstore.s3;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The conformance kit against a real MinIO server in Docker. Skipped where there is no Docker
 * engine (as on the project's build machines); runs wherever there is one.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioConformanceTest extends S3ConformanceSupport {
  @Container
  static final MinIOContainer MINIO = new MinIOContainer("minio/minio:RELEASE.2025-04-22T22-12-26Z");
  static final String BUCKET = "sessionstore-kit";

  @BeforeAll
  static void createBucket() {
    try (S3Client c = S3Client.builder()
        .httpClientBuilder(Apache5HttpClient.builder())
        .endpointOverride(URI.create(MINIO.getS3URL()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(MINIO.getUserName(), MINIO.getPassword())))
        .build()) {
      c.createBucket(b -> b.bucket(BUCKET));
    }
  }

  @Override
  String uri(String prefix) {
    return "s3://" + BUCKET + "/" + prefix + "?endpoint=" + MINIO.getS3URL()
        + "&region=us-east-1&pathStyle=true&accessKeyId=" + enc(MINIO.getUserName())
        + "&secretAccessKey=" + enc(MINIO.getPassword());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
