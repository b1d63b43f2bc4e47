package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sessionstore.ContentionException;
import dev.sessionstore.Message;
import dev.sessionstore.Session;
import dev.sessionstore.SessionStore;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.StorageBackend;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.List;

/**
 * A writer for the cross-process test, run in its own JVM. Prints {@code ready}, waits for a
 * line on stdin, then appends {@code n} items and exits 0.
 *
 * <pre>
 * AppendWorker spi ROOT LOG TAG N            raw SPI appends, retrying on conflict
 * AppendWorker session ROOT ID TAG N EVERY   SessionStore appends, commit(2) every EVERY
 * AppendWorker threads ROOT LOGS TAG N THREADS   THREADS threads, N SPI appends each, spread
 *                                                over LOGS logs; exit 1 on any failure
 * </pre>
 */
public final class AppendWorker {
  private AppendWorker() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[1]);
    String target = args[2];
    String tag = args[3];
    int n = Integer.parseInt(args[4]);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
    if (args[0].equals("threads")) {
      try (StorageBackend b = LocalFsStorageProvider.forDirectory(root)) {
        System.out.println("ready");
        System.out.flush();
        in.readLine();
        List<Throwable> failures = appendFromThreads(b, Integer.parseInt(target), tag, n,
            Integer.parseInt(args[5]));
        if (!failures.isEmpty()) {
          System.err.println(failures.size() + " appends failed, first: " + failures.get(0));
          System.exit(1);
        }
      }
    } else if (args[0].equals("spi")) {
      try (StorageBackend b = LocalFsStorageProvider.forDirectory(root)) {
        System.out.println("ready");
        System.out.flush();
        in.readLine();
        appendRecords(b, target, tag, n);
      }
    } else {
      int every = Integer.parseInt(args[5]);
      try (SessionStore store = SessionStore.open(root.toUri().toString())) {
        System.out.println("ready");
        System.out.flush();
        in.readLine();
        appendMessages(store.session(target), tag, n, every);
      }
    }
    System.exit(0);
  }

  /** Appends {@code {"seq":S,"w":TAG,"i":I}} for I in 0..n-1, each at the log's next seq. */
  static void appendRecords(StorageBackend b, String log, String tag, int n) {
    for (int i = 0; i < n; i++) {
      while (true) {
        long next = b.read(log, Long.MAX_VALUE).lastSeq() + 1;
        byte[] rec = ("{\"seq\":" + next + ",\"w\":\"" + tag + "\",\"i\":" + i + "}").getBytes(UTF_8);
        try {
          b.append(log, next, List.of(rec));
          break;
        } catch (ConflictException lost) {
          // another writer took that seq: read the new tail and retry
        }
      }
    }
  }

  /** The log that thread {@code t} uses for its {@code i}-th append: all threads share all logs. */
  static String threadLog(int t, int i, int logs) {
    return "sessions/s" + ((t + i) % logs) + "/messages.jsonl";
  }

  /**
   * Each of {@code threads} threads appends {@code {"w":TAG-T,"i":I}} for I in 0..n-1, the I-th to
   * {@link #threadLog}. Returns what failed (a conflict is retried, anything else is a failure).
   */
  static List<Throwable> appendFromThreads(StorageBackend b, int logs, String tag, int n,
      int threads) throws InterruptedException {
    List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    List<Thread> all = new java.util.ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        for (int i = 0; i < n; i++) {
          String log = threadLog(thread, i, logs);
          while (true) {
            try {
              long next = b.read(log, Long.MAX_VALUE).lastSeq() + 1;
              byte[] rec = ("{\"seq\":" + next + ",\"w\":\"" + tag + "-" + thread
                  + "\",\"i\":" + i + "}").getBytes(UTF_8);
              b.append(log, next, List.of(rec));
              break;
            } catch (ConflictException lost) {
              // another writer took that seq: read the new tail and retry
            } catch (RuntimeException e) {
              failures.add(e);
              break;
            }
          }
        }
      });
      th.start();
      all.add(th);
    }
    for (Thread th : all) {
      th.join();
    }
    return failures;
  }

  /** Appends messages TAG-0 .. TAG-(n-1), committing (keep 2) after every {@code every}. */
  static void appendMessages(Session s, String tag, int n, int every) {
    for (int i = 0; i < n; i++) {
      Message m = Message.user(tag + "-" + i);
      while (true) {
        try {
          s.append(m);
          break;
        } catch (ContentionException busy) {
          // every retry lost to the other writer; the message id keeps a retry idempotent
        }
      }
      if ((i + 1) % every == 0) {
        while (true) {
          try {
            s.commit(2);
            break;
          } catch (ContentionException busy) {
            // the other process committed meanwhile; commit what is left
          }
        }
      }
    }
  }
}
