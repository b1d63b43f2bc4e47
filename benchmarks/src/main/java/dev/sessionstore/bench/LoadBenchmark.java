package dev.sessionstore.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.localfs.LocalFsStorageProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loading a long live log on {@code file:}: a cold open plus {@code messages()} (what a resumed
 * agent does) against a plain {@code readAllBytes} and a Jackson {@code readTree} per line of
 * the same file, in interleaved rounds; and the same load followed by reading every message's
 * parts, which a load leaves undecoded until asked for.
 */
final class LoadBenchmark {
  private LoadBenchmark() {}

  static void run(boolean quick, Path root) throws Exception {
    int messages = quick ? 10_000 : 100_000;
    int rounds = quick ? 3 : 11;
    try (SessionStore store = SessionStore.open(root.toUri().toString())) {
      Session s = store.session("long");
      List<Message> batch = new ArrayList<>();
      for (int i = 1; i <= messages; i++) {
        batch.add(i % 2 == 1 ? Message.user(Texts.user(i)) : Message.assistant(Texts.answer(i)));
        if (batch.size() == 1_000) {
          s.append(batch);
          batch.clear();
        }
      }
    }
    Path log = root.resolve("sessions/long/messages.jsonl");
    long bytes = Files.size(log);
    System.out.printf(Locale.ROOT, "load: %,d live messages, %,d bytes (%d bytes a line), %d"
        + " interleaved rounds%n", messages, bytes, bytes / messages, rounds);
    ObjectMapper mapper = new ObjectMapper();
    List<Long> plain = new ArrayList<>();
    List<Long> ours = new ArrayList<>();
    List<Long> oursDecoded = new ArrayList<>();
    for (int r = 0; r < rounds + 1; r++) {
      // Each contender starts on a collected heap, so none pays for another's garbage.
      System.gc();
      long t0 = System.nanoTime();
      int parsed = plainParse(log, mapper);
      long plainNanos = System.nanoTime() - t0;
      System.gc();
      int loaded;
      t0 = System.nanoTime();
      try (SessionStore store = SessionStore.builder()
          .backend(LocalFsStorageProvider.forDirectory(root)).build()) {
        loaded = store.session("long").messages().size();
      }
      long oursNanos = System.nanoTime() - t0;
      System.gc();
      int parts = 0;
      t0 = System.nanoTime();
      try (SessionStore store = SessionStore.builder()
          .backend(LocalFsStorageProvider.forDirectory(root)).build()) {
        for (Message m : store.session("long").messages()) {
          parts += m.parts().size(); // a message's parts are decoded when first asked for
        }
      }
      long decodedNanos = System.nanoTime() - t0;
      if (parsed != messages || loaded != messages || parts != messages) {
        throw new IllegalStateException("parsed " + parsed + ", loaded " + loaded
            + ", parts " + parts);
      }
      if (r > 0) { // the first round warms the JIT
        plain.add(plainNanos);
        ours.add(oursNanos);
        oursDecoded.add(decodedNanos);
      }
    }
    double p = TurnBenchmark.percentile(plain, 50) / 1e6;
    double o = TurnBenchmark.percentile(ours, 50) / 1e6;
    System.out.printf(Locale.ROOT, "%-44s %10.1f ms%n", "plain readAllBytes + readTree per line", p);
    double d = TurnBenchmark.percentile(oursDecoded, 50) / 1e6;
    System.out.printf(Locale.ROOT, "%-44s %10.1f ms  (%.2fx)%n",
        "cold open + messages() (one reconcile)", o, o / p);
    System.out.printf(Locale.ROOT, "%-44s %10.1f ms  (%.2fx)%n",
        "the same + every message's parts()", d, d / p);
  }

  private static int plainParse(Path log, ObjectMapper mapper) throws Exception {
    byte[] all = Files.readAllBytes(log);
    int count = 0;
    int start = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] == '\n') {
        mapper.readTree(new String(all, start, i - start, StandardCharsets.UTF_8));
        count++;
        start = i + 1;
      }
    }
    return count;
  }
}
