package dev.sessionstore.s3;

import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Append latency/throughput and load time of the S3 backend against embedded s3proxy. Not a
 * test; run it with the command in README.md. Each size N gets a fresh log filled by one
 * writer with N single-record appends (as core appends one message at a time), every append
 * timed; then a cold backend instance loads the whole log (N batch objects), three times.
 *
 * <p>Arguments: {@code [filesystem|transient] [N ...]}, default {@code filesystem 10 1000 10000}.
 */
public final class S3Benchmark {
  private S3Benchmark() {}

  public static void main(String[] args) throws Exception {
    String store = args.length > 0 ? args[0] : "filesystem";
    long[] sizes = args.length > 1
        ? Arrays.stream(args, 1, args.length).mapToLong(Long::parseLong).toArray()
        : new long[] {10, 1_000, 10_000};
    Path dir = Files.createTempDirectory("s3bench");
    try (EmbeddedS3 server = store.equals("transient")
        ? EmbeddedS3.inMemory() : EmbeddedS3.filesystem(dir)) {
      String bucket = server.newBucket();
      System.out.printf(Locale.ROOT, "s3proxy %s store, %d cores%n", store,
          Runtime.getRuntime().availableProcessors());
      run(server, bucket, 300, false); // warm-up: JIT and connections, not reported
      baseline(server, bucket);
      System.out.println("| messages | append p50 ms | append p99 ms | appends/s | load ms (cold, best of 3) |");
      System.out.println("|---:|---:|---:|---:|---:|");
      for (long n : sizes) {
        run(server, bucket, n, true);
      }
    }
  }

  /** The server's own floor: plain PUTs and GETs of one small object each, same client setup. */
  private static void baseline(EmbeddedS3 server, String bucket) {
    int n = 500;
    byte[] body = new byte[256];
    Arrays.fill(body, (byte) 'x');
    long[] puts = new long[n];
    long[] gets = new long[n];
    try (S3Client c = server.client()) {
      for (int i = 0; i < n; i++) {
        String key = "baseline/" + i;
        long t0 = System.nanoTime();
        c.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
        puts[i] = System.nanoTime() - t0;
        t0 = System.nanoTime();
        c.getObjectAsBytes(b -> b.bucket(bucket).key(key));
        gets[i] = System.nanoTime() - t0;
      }
    }
    Arrays.sort(puts);
    Arrays.sort(gets);
    System.out.printf(Locale.ROOT, "baseline, %d plain 256-byte objects: PUT p50 %.1f ms,"
        + " GET p50 %.1f ms%n", n, pct(puts, 0.50) / 1e6, pct(gets, 0.50) / 1e6);
  }

  private static void run(EmbeddedS3 server, String bucket, long n, boolean report) {
    String uri = server.uri(bucket, "bench-" + n + "-" + System.nanoTime());
    String log = "sessions/bench/messages.jsonl";
    long[] nanos = new long[(int) n];
    long start = System.nanoTime();
    try (StorageBackend writer = S3Storage.open(uri)) {
      for (int i = 0; i < n; i++) {
        byte[] rec = ("{\"seq\":" + (i + 1) + ",\"id\":\"msg_" + i + "\",\"role\":\"user\","
            + "\"parts\":[{\"type\":\"text\",\"text\":\"message number " + i + " of the benchmark"
            + " session, about as long as a short chat turn\"}],\"created_at\":"
            + "\"2026-01-01T00:00:00Z\"}").getBytes(StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        writer.append(log, i + 1, List.of(rec));
        nanos[i] = System.nanoTime() - t0;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long best = Long.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      try (StorageBackend reader = S3Storage.open(uri)) {
        long t0 = System.nanoTime();
        LogSlice s = reader.read(log, 1);
        best = Math.min(best, System.nanoTime() - t0);
        if (s.records().size() != n || s.lastSeq() != n) {
          throw new IllegalStateException("read back " + s.records().size() + " of " + n);
        }
      }
    }
    if (!report) {
      return;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "| %,d | %.1f | %.1f | %.0f | %.0f |%n", n,
        pct(sorted, 0.50) / 1e6, pct(sorted, 0.99) / 1e6, n / seconds, best / 1e6);
  }

  private static long pct(long[] sorted, double p) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, i)];
  }
}
