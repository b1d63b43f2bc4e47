package dev.sessionstore.bench;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * What an S3 user might write instead: the whole session in one object, appended with a
 * conditional PUT ({@code If-Match} the last ETag) and read with a GET.
 */
final class OneObjectPeer implements Target {
  private final S3Client s3;
  private final String bucket;
  private final AtomicLong requests;
  private final Map<String, StringBuilder> bodies = new HashMap<>();
  private final Map<String, String> etags = new HashMap<>();

  OneObjectPeer(S3Client s3, String bucket, AtomicLong requests) {
    this.s3 = s3;
    this.bucket = bucket;
    this.requests = requests;
  }

  @Override
  public String name() {
    return "peer: one S3 object per session";
  }

  private void append(String session, String text) {
    StringBuilder body = bodies.computeIfAbsent(session, k -> new StringBuilder());
    body.append("{\"text\":\"").append(text).append("\"}\n");
    PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(bucket).key(session + ".jsonl");
    String etag = etags.get(session);
    put = etag == null ? put.ifNoneMatch("*") : put.ifMatch(etag);
    etags.put(session, s3.putObject(put.build(),
        RequestBody.fromBytes(body.toString().getBytes(StandardCharsets.UTF_8))).eTag());
  }

  @Override
  public void seed(String session, int history) {
    for (int i = 1; i <= history; i++) {
      bodies.computeIfAbsent(session, k -> new StringBuilder())
          .append("{\"text\":\"").append(i % 2 == 1 ? Texts.user(i) : Texts.answer(i)).append("\"}\n");
    }
    append(session, "seeded");
  }

  @Override
  public void turn(String session, int n) {
    append(session, Texts.user(n));
    s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(session + ".jsonl").build())
        .asByteArray();
    append(session, Texts.answer(n));
  }

  @Override
  public void commit(String session) {}

  @Override
  public LongSupplier httpRequests() {
    return requests::get;
  }
}
