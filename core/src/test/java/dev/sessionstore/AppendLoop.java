package dev.sessionstore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Core's constant cost per {@link Session#append(Message)}: a warm loop over the in-memory
 * backend, where storage costs next to nothing. Not a test (surefire does not run it); run it
 * with the test classpath:
 *
 * <pre>
 * java -cp core/target/classes:core/target/test-classes:$(cat cp.txt) \
 *     dev.sessionstore.AppendLoop [batches] [appendsPerBatch] [warmupBatches]
 * </pre>
 *
 * <p>Each batch appends to a fresh session of a fresh {@code mem:} store (so the live log does
 * not grow without end) and times building the messages ({@code Message.user}) and appending
 * them separately. Prints the median, min and max over the measured batches, in microseconds.
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

  private static String line(String what, double[] us) {
    double[] s = us.clone();
    Arrays.sort(s);
    return String.format(Locale.ROOT, "%-15s us each: median %.2f, min %.2f, max %.2f", what,
        s[s.length / 2], s[0], s[s.length - 1]);
  }
}
