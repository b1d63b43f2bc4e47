package dev.sessionstore.s3;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The conformance kit against s3proxy over jclouds' {@code filesystem} store. */
class S3ProxyFilesystemConformanceTest extends S3ConformanceSupport {
  @TempDir static Path dir;
  static EmbeddedS3 server;
  static String bucket;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.filesystem(dir);
    bucket = server.newBucket();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Override
  String uri(String prefix) {
    return server.uri(bucket, prefix);
  }
}
