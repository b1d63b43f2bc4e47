package dev.sessionstore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Core's constant cost per {@link Session#append(Message)} over the in-memory backend, where
 * storage costs next to nothing. Not a test (surefire does not run it); run it with the test
 * classpath:
 *
 * <pre>
 * mvn -B -o -q -pl core test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -Xms1g -Xmx1g -cp core/target/classes:core/target/test-classes:$(cat /tmp/cp.txt) \
 *     dev.sessionstore.AppendLoop [batches] [appendsPerBatch] [warmupBatches] [coldMb]
 * </pre>
 *
 * <p>Warm (coldMb 0, the default): each batch appends to a fresh session of a fresh {@code
 * mem:} store (so the live log does not grow without end) and times building the messages
 * ({@code Message.user}) and appending them separately; prints the median, min and max over
 * the measured batches, in microseconds per message. Cold (coldMb above 0): before every
 * message, writes to coldMb megabytes of other memory, as a database commit in the same JVM
 * leaves the caches, and times each build and append alone; prints their p50 and p90.
 */
final class AppendLoop {
  private static final String TEXT =
      "Could you summarise the design document and list the open questions about retention,"
          + " the commit protocol and the reconcile rule? Keep it short, please. ";

  private AppendLoop() {}

  public static void main(String[] args) {
    int batches = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int perBatch = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int coldMb = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    if (coldMb > 0) {
      cold(batches, perBatch, warmup, coldMb);
      return;
    }
    double[] build = new double[batches];
    double[] append = new double[batches];
    long sink = 0;
    for (int b = -warmup; b < batches; b++) {
      try (SessionStore store = SessionStore.open("mem:")) {
        Session s = store.session("loop");
        List<Message> msgs = new ArrayList<>(perBatch);
        long t0 = System.nanoTime();
        for (int i = 0; i < perBatch; i++) {
          msgs.add(Message.user(TEXT));
        }
        long t1 = System.nanoTime();
        for (Message m : msgs) {
          sink += s.append(m).seq();
        }
        long t2 = System.nanoTime();
        if (b >= 0) {
          build[b] = (t1 - t0) / 1e3 / perBatch;
          append[b] = (t2 - t1) / 1e3 / perBatch;
        }
      }
    }
    System.out.printf(Locale.ROOT, "%d batches of %d appends after %d warm-up batches (sink %d)%n",
        batches, perBatch, warmup, sink);
    System.out.println(line("Message.user", build));
    System.out.println(line("Session.append", append));
  }

  private static void cold(int batches, int perBatch, int warmup, int coldMb) {
    byte[] other = new byte[coldMb << 20];
    int n = batches * perBatch;
    long[] build = new long[n];
    long[] append = new long[n];
    long sink = 0;
    int i = -warmup * perBatch;
    while (i < n) {
      try (SessionStore store = SessionStore.open("mem:")) {
        Session s = store.session("loop");
        for (int k = 0; k < perBatch && i < n; k++, i++) {
          if (i >= 0) {
            for (int j = 0; j < other.length; j += 64) {
              other[j]++;
            }
          }
          long t0 = System.nanoTime();
          Message m = Message.user(TEXT);
          long t1 = System.nanoTime();
          sink += s.append(m).seq();
          long t2 = System.nanoTime();
          if (i >= 0) {
            build[i] = t1 - t0;
            append[i] = t2 - t1;
          }
        }
      }
    }
    Arrays.sort(build);
    Arrays.sort(append);
    System.out.printf(Locale.ROOT, "%d appends (sessions of %d) after %d, %d MB written before"
        + " each (sink %d)%n", n, perBatch, warmup * perBatch, coldMb, sink + other[0]);
    System.out.printf(Locale.ROOT, "%-15s us each: p50 %.2f, p90 %.2f%n", "Message.user",
        build[n / 2] / 1e3, build[n * 9 / 10] / 1e3);
    System.out.printf(Locale.ROOT, "%-15s us each: p50 %.2f, p90 %.2f%n", "Session.append",
        append[n / 2] / 1e3, append[n * 9 / 10] / 1e3);
  }

  private static String line(String what, double[] us) {
    double[] s = us.clone();
    Arrays.sort(s);
    return String.format(Locale.ROOT, "%-15s us each: median %.2f, min %.2f, max %.2f", what,
        s[s.length / 2], s[0], s[s.length - 1]);
  }
}
