package dev.sessionstore.s3;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The conformance kit against s3proxy over jclouds' in-memory {@code transient} store. */
class S3ProxyTransientConformanceTest extends S3ConformanceSupport {
  static EmbeddedS3 server;
  static String bucket;

  @BeforeAll
  static void start() throws Exception {
    server = EmbeddedS3.inMemory();
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
