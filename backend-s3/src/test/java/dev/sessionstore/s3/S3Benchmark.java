package dev.sessionstore.s3;

import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.StorageBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.UUID;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The S3 backend against the server's floor and against the design a user would pick instead,
 * on embedded s3proxy. Not a test; run it with the command in README.md.
 *
 * <ul>
 *   <li><b>floor</b>: a bare unconditional PUT of a 256-byte object;
 *   <li><b>sessionstore</b>: {@code Session.append} of one message on a warm store (the
 *       backend's {@code PUT If-Match} of the log's head, plus a segment PUT when the tail is
 *       flushed);
 *   <li><b>one object per session</b>: the whole session in one JSONL object, an append being
 *       a GET and a PUT with {@code If-Match} of the object plus the new line.
 * </ul>
 *
 * <p>Appends run interleaved step by step, in a new random order every step, so that the load
 * of a shared machine (and the background compactions) hits all of them alike: the floor, ours,
 * the peer, the one request our append sends, without the library (a {@code PUT If-Match} of a
 * 256-byte object), and the S3 backend's append called directly (without core), with its
 * default tail and with a tail flushed by size only. Each round appends {@code perRound}
 * messages to a fresh session. Then: a cold open of a session with {@code live} messages, and a
 * commit keeping 20 at 1,000 live messages, for both designs. Every request is counted.
 *
 * <p>Arguments: {@code [filesystem|transient] [rounds] [perRound] [live]}, default {@code
 * filesystem 5 200 10000}.
 */
public final class S3Benchmark {
  private S3Benchmark() {}

  /** The appends timed side by side, in the order of the table's rows. */
  static final String[] CONTENDERS = {
    "bare PUT (floor)",
    "sessionstore (requests: on the append's path)",
    "one object per session (GET + PUT If-Match)",
    "PUT If-Match of a 256-byte object, no library (the protocol's floor)",
    "S3 backend append alone (SPI call, no core)",
    "S3 backend append alone, tail flushed by size only (32 KiB)",
  };

  public static void main(String[] args) throws Exception {
    String store = args.length > 0 ? args[0] : "filesystem";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int perRound = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int live = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
    Path dir = Files.createTempDirectory("s3bench");
    try (EmbeddedS3 server = store.equals("transient")
        ? EmbeddedS3.inMemory() : EmbeddedS3.filesystem(dir)) {
      new Run(server, server.newBucket()).all(store, rounds, perRound, live);
    }
  }

  private static final class Run {
    final EmbeddedS3 server;
    final String bucket;
    final RequestLog calls = new RequestLog();
    final Random random = new Random(42);
    final S3Client client;
    long oursBackground;

    Run(EmbeddedS3 server, String bucket) {
      this.server = server;
      this.bucket = bucket;
      this.client = EmbeddedS3.client(server.endpoint(), calls);
    }

    StorageBackend backend(String prefix) {
      return S3Storage.builder().client(client).bucket(bucket).prefix(prefix).build();
    }

    void all(String store, int rounds, int perRound, int live) throws Exception {
      System.out.printf(Locale.ROOT, "s3proxy %s store, %d cores, %d rounds x %d appends%n",
          store, Runtime.getRuntime().availableProcessors(), rounds, perRound);
      // warm-up: JIT and connections, not reported
      appendsOurs(300);
      appendsPeer(100);
      appendsFloor(300);
      List<List<long[]>> times = new ArrayList<>();
      for (int k = 0; k < CONTENDERS.length; k++) {
        times.add(new ArrayList<>());
      }
      long[] requests = new long[CONTENDERS.length];
      oursBackground = 0;
      for (int r = 0; r < rounds; r++) {
        long[][] t = interleaved(perRound, requests);
        for (int k = 0; k < CONTENDERS.length; k++) {
          times.get(k).add(t[k]);
        }
      }
      long n = (long) rounds * perRound;
      double f50 = p50(times.get(0));
      System.out.println();
      System.out.println("| append (one message) | p50 ms | p99 ms | x bare PUT | requests/op |");
      System.out.println("|---|---:|---:|---:|---:|");
      for (int k = 0; k < CONTENDERS.length; k++) {
        row(CONTENDERS[k], times.get(k), f50, requests[k], n);
      }
      System.out.printf(Locale.ROOT, "sessionstore: %.2f requests per append including the"
          + " background merges and deletes%n%n", (double) (requests[1] + oursBackground) / n);
      coldOpen(live);
      commit(1_000);
    }

    /**
     * One round: a fresh session or object for each contender, then {@code n} steps of one
     * append of each, in an order that rotates every step.
     */
    long[][] interleaved(int n, long[] requests) {
      int count = CONTENDERS.length;
      long[][] t = new long[count][n];
      byte[] body = new byte[256];
      Arrays.fill(body, (byte) 'x');
      String floorPrefix = "floor-" + UUID.randomUUID() + "/";
      // what our append replaces: one object, with If-Match on the ETag it last wrote
      String floorHead = floorPrefix + "log/head";
      String[] floorEtag = {client.putObject(b -> b.bucket(bucket).key(floorHead),
          RequestBody.fromBytes(body)).eTag()};
      OneObjectPerSession peer = new OneObjectPerSession(client, bucket,
          "peer-" + UUID.randomUUID() + "/bench.jsonl");
      String spiLog = "spi-" + UUID.randomUUID() + "/messages.jsonl";
      String oursPrefix = "ours-" + UUID.randomUUID();
      try (SessionStore s = SessionStore.builder().backend(backend(oursPrefix)).build();
          S3Backend spi = new S3Backend(client, bucket, "spi/", "bench", false, 8);
          S3Backend spiSizeOnly = new S3Backend(client, bucket, "spi/", "bench", false, 8,
              Integer.MAX_VALUE)) {
        Session session = s.session("bench");
        spi.read(spiLog, 1);
        spiSizeOnly.read(spiLog + "-nc", 1);
        int oursMark = calls.size();
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < count; k++) {
          order.add(k);
        }
        for (int i = 0; i < n; i++) {
          Message m = message(i);
          byte[] record = s3Record(m, i + 1);
          // a new random order every step: what runs just before (and the background
          // compaction it may start) falls on every contender alike
          Collections.shuffle(order, random);
          for (int which : order) {
            int mark = calls.size();
            int seq = i + 1;
            long t0 = System.nanoTime();
            switch (which) {
              case 0 -> {
                String key = floorPrefix + i;
                client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
              }
              case 1 -> session.append(m);
              case 2 -> peer.append(line(m));
              case 3 -> {
                // the protocol's one request alone: a compare-and-set of one object
                byte[] next = body.clone();
                next[seq % next.length] = (byte) ('a' + seq % 26); // new bytes, a new ETag
                floorEtag[0] = client.putObject(b -> b.bucket(bucket).key(floorHead)
                    .ifMatch(floorEtag[0]), RequestBody.fromBytes(next)).eTag();
              }
              case 4 -> spi.append(spiLog, seq, List.of(record));
              default -> spiSizeOnly.append(spiLog + "-nc", seq, List.of(record));
            }
            t[which][i] = System.nanoTime() - t0;
            requests[which] += calls.since(mark).size();
          }
        }
        ((S3Backend) s.backend()).awaitCompactions();
        spi.awaitCompactions();
        // our store's background threads: those that sent a request under its prefix (its
        // DeleteObjects carries no key, so it is counted by thread)
        List<RequestLog.Call> since = calls.allSince(oursMark);
        Set<String> background = since.stream()
            .filter(c -> c.thread().startsWith("sessionstore-s3-")
                && c.key().startsWith(oursPrefix))
            .map(RequestLog.Call::thread).collect(Collectors.toSet());
        oursBackground += since.stream().filter(c -> background.contains(c.thread())).count();
      }
      return t;
    }

    long[] appendsFloor(int n) {
      byte[] body = new byte[256];
      Arrays.fill(body, (byte) 'x');
      String prefix = "floor-" + UUID.randomUUID() + "/";
      long[] t = new long[n];
      for (int i = 0; i < n; i++) {
        String key = prefix + i;
        long t0 = System.nanoTime();
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
        t[i] = System.nanoTime() - t0;
      }
      return t;
    }

    long[] appendsOurs(int n) {
      long[] t = new long[n];
      try (SessionStore s = SessionStore.builder().backend(backend("ours-" + UUID.randomUUID()))
          .build()) {
        Session session = s.session("bench");
        int mark = calls.size();
        for (int i = 0; i < n; i++) {
          Message m = message(i);
          long t0 = System.nanoTime();
          session.append(m);
          t[i] = System.nanoTime() - t0;
        }
        ((S3Backend) s.backend()).awaitCompactions();
      }
      return t;
    }

    long[] appendsPeer(int n) {
      OneObjectPerSession peer = new OneObjectPerSession(client, bucket,
          "peer-" + UUID.randomUUID() + "/bench.jsonl");
      long[] t = new long[n];
      for (int i = 0; i < n; i++) {
        byte[] line = line(message(i));
        long t0 = System.nanoTime();
        peer.append(line);
        t[i] = System.nanoTime() - t0;
      }
      return t;
    }

    void coldOpen(int live) {
      String prefix = "cold-" + UUID.randomUUID();
      OneObjectPerSession peer = new OneObjectPerSession(client, bucket, prefix + "-peer.jsonl");
      try (SessionStore s = SessionStore.builder().backend(backend(prefix)).build()) {
        Session session = s.session("bench");
        List<byte[]> lines = new ArrayList<>();
        for (int i = 0; i < live; i++) {
          Message m = message(i);
          session.append(m);
          lines.add(line(m));
        }
        peer.fill(lines); // the same content; its appends are timed above
        ((S3Backend) s.backend()).awaitCompactions();
      }
      long best = Long.MAX_VALUE;
      int requests = 0;
      String breakdown = "";
      for (int round = 0; round < 3; round++) {
        try (SessionStore s = SessionStore.builder().backend(backend(prefix)).build()) {
          int mark = calls.size();
          long t0 = System.nanoTime();
          int n = s.session("bench").messages().size();
          best = Math.min(best, System.nanoTime() - t0);
          requests = calls.allSince(mark).size();
          breakdown = breakdown(calls.allSince(mark));
          if (n != live) {
            throw new IllegalStateException("read back " + n + " of " + live);
          }
        }
      }
      long peerBest = Long.MAX_VALUE;
      for (int round = 0; round < 3; round++) {
        long t0 = System.nanoTime();
        peer.read();
        peerBest = Math.min(peerBest, System.nanoTime() - t0);
      }
      System.out.printf(Locale.ROOT, "| cold open, %,d live messages | ms (best of 3) | requests |%n"
          + "|---|---:|---:|%n| sessionstore | %.0f | %d |%n"
          + "| one object per session | %.0f | 1 |%n%nsessionstore cold open: %s%n%n", live,
          best / 1e6, requests, peerBest / 1e6, breakdown);
    }

    void commit(int live) {
      String prefix = "commit-" + UUID.randomUUID();
      OneObjectPerSession peer = new OneObjectPerSession(client, bucket, prefix + "-peer.jsonl");
      long warmMs;
      int warmRequests;
      int background;
      String warmBreakdown;
      try (SessionStore s = SessionStore.builder().backend(backend(prefix)).build()) {
        Session session = s.session("bench");
        List<byte[]> lines = new ArrayList<>();
        for (int i = 0; i < live; i++) {
          Message m = message(i);
          session.append(m);
          lines.add(line(m));
        }
        peer.fill(lines);
        ((S3Backend) s.backend()).awaitCompactions();
        int mark = calls.size();
        long t0 = System.nanoTime();
        session.commit(20);
        warmMs = (System.nanoTime() - t0) / 1_000_000;
        warmRequests = calls.since(mark).size();
        ((S3Backend) s.backend()).awaitCompactions();
        background = calls.allSince(mark).size() - warmRequests;
        warmBreakdown = breakdown(calls.allSince(mark));
      }
      int mark = calls.size();
      long t0 = System.nanoTime();
      peer.commit(20);
      long peerMs = (System.nanoTime() - t0) / 1_000_000;
      int peerRequests = calls.allSince(mark).size();
      System.out.printf(Locale.ROOT, "| commit(keep 20) at %,d live messages | ms | requests |%n"
          + "|---|---:|---:|%n| sessionstore, warm store | %d | %d (+%d in the background) |%n"
          + "| one object per session | %d | %d |%n%nsessionstore commit: %s%n", live, warmMs,
          warmRequests, background, peerMs, peerRequests, warmBreakdown);
    }
  }

  /** The design a user would write instead: the whole session in one object, CAS on its ETag. */
  static final class OneObjectPerSession {
    private final S3Client client;
    private final String bucket;
    private final String key;

    OneObjectPerSession(S3Client client, String bucket, String key) {
      this.client = client;
      this.bucket = bucket;
      this.key = key;
    }

    void append(byte[] line) {
      while (true) {
        byte[] current = new byte[0];
        String etag = null;
        try {
          ResponseBytes<GetObjectResponse> r =
              client.getObjectAsBytes(b -> b.bucket(bucket).key(key));
          current = r.asByteArray();
          etag = r.response().eTag();
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
          // a new session
        }
        byte[] next = Arrays.copyOf(current, current.length + line.length + 1);
        System.arraycopy(line, 0, next, current.length, line.length);
        next[next.length - 1] = '\n';
        String expected = etag;
        try {
          client.putObject(b -> {
            b.bucket(bucket).key(key);
            if (expected == null) {
              b.ifNoneMatch("*");
            } else {
              b.ifMatch(expected);
            }
          }, RequestBody.fromBytes(next));
          return;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
          if (e.statusCode() != 412 && e.statusCode() != 409) {
            throw e;
          }
        }
      }
    }

    void fill(List<byte[]> lines) {
      StringBuilder sb = new StringBuilder();
      for (byte[] l : lines) {
        sb.append(new String(l, StandardCharsets.UTF_8)).append('\n');
      }
      client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(sb.toString()));
    }

    byte[] read() {
      return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    }

    /** Archives all but the newest {@code keep} lines, then rewrites the object with those. */
    void commit(int keep) {
      ResponseBytes<GetObjectResponse> r = client.getObjectAsBytes(b -> b.bucket(bucket).key(key));
      String[] lines = r.asUtf8String().split("\n");
      int cut = Math.max(0, lines.length - keep);
      String archived = String.join("\n", Arrays.copyOfRange(lines, 0, cut)) + "\n";
      String kept = String.join("\n", Arrays.copyOfRange(lines, cut, lines.length)) + "\n";
      client.putObject(b -> b.bucket(bucket).key(key + ".archive-1").ifNoneMatch("*"),
          RequestBody.fromString(archived));
      client.putObject(b -> b.bucket(bucket).key(key).ifMatch(r.response().eTag()),
          RequestBody.fromString(kept));
    }
  }

  /** E.g. {@code GetObject .meta.json!blob, ListObjectsV2 , ...} in order. */
  static String breakdown(List<RequestLog.Call> calls) {
    return calls.stream().map(RequestLog.Call::toString)
        .collect(Collectors.joining(", "));
  }

  static Message message(int i) {
    return Message.user("message number " + i + " of the benchmark session, about as long as a"
        + " short chat turn");
  }

  /** A record as core hands it to the backend: the message's JSON with its seq. */
  static byte[] s3Record(Message m, long seq) {
    return ("{\"seq\":" + seq + ",\"id\":\"" + m.id() + "\",\"role\":\"user\",\"parts\":"
        + "[{\"type\":\"text\",\"text\":\"" + m.text() + "\"}],\"created_at\":\""
        + "2026-11-30T00:00:00Z\"}").getBytes(StandardCharsets.UTF_8);
  }

  static byte[] line(Message m) {
    return ("{\"id\":\"" + m.id() + "\",\"role\":\"user\",\"text\":\"" + m.text() + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  static void row(String name, List<long[]> rounds, double floor50, long requests, long n) {
    double p50 = p50(rounds);
    long[] all = rounds.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    double p99 = pct(all, 0.99) / 1e6;
    System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f |%n", name, p50, p99,
        p50 / floor50, (double) requests / n);
  }

  /** The median over all samples of all rounds, in ms. */
  static double p50(List<long[]> rounds) {
    long[] all = rounds.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    return pct(all, 0.50) / 1e6;
  }

  static long pct(long[] sorted, double p) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, i)];
  }
}
