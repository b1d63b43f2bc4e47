package dev.sessionstore;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.Retries;
import dev.sessionstore.spi.StorageBackend;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The commit protocol; each step is durable before the next:
 *
 * <ol>
 *   <li>bring the view up to date; archive the oldest live messages the {@link CommitPolicy} gives;
 *   <li>write the archive's messages under number N = newest + 1 <em>if absent</em> — the
 *       archive number is the commit lock; a loser reconciles (completing or removing what
 *       blocks it) and tries N + 1;
 *   <li>write the completion marker — the commit point. If a reader already completed the
 *       archive for us (roll forward), its marker has no summary: ours is written over it,
 *       conditionally on the version read;
 *   <li>rewrite the counters (a cache: losing this write is harmless);
 *   <li>trim the live log through the archive's last seq (losing this is the lost clear, which
 *       every reconcile heals).
 * </ol>
 */
final class Committer {
  private final SessionStore store;
  private final StorageBackend backend;
  private final String id;
  private final SessionView view;
  private final Appender appender;

  Committer(SessionStore store, String id, SessionView view, Appender appender) {
    this.store = store;
    this.backend = store.backend;
    this.id = id;
    this.view = view;
    this.appender = appender;
  }

  /** Caller holds the session's lock. */
  CommitResult commit(CommitPolicy policy, @Nullable Summarizer summarizer) {
    view.refresh();
    appender.requireWritable();
    int[] floor = {0}; // past an archive number held by something reconcile cannot resolve
    return Retry.onConflict(store.maxRetries, "commit of session '" + id + "'", attempt -> {
      if (attempt > 0) {
        view.refresh();
      }
      int size = view.live.size();
      int count = policy.archiveCount(view.live);
      if (count == 0) {
        return new CommitResult(0, 0, size, 0, 0);
      }
      if (!continuesTheChain()) {
        // The log read left a hole (a backend whose listing lagged a write): archiving now
        // would trim the missing record with the rest. Read everything again first.
        view.reconcile();
        if (!view.live.isEmpty() && !continuesTheChain()) {
          throw new CorruptSessionException("session '" + id + "': the live log does not"
              + " continue the archive chain (records missing after seq " + view.archivedThrough
              + "); nothing was committed; run check on it");
        }
        throw new ConflictException("the live log changed while it was read; trying again");
      }
      if (view.live.get(0).seq() <= view.archivedThrough) {
        throw new CorruptSessionException("session '" + id + "' has live messages at or below"
            + " seq " + view.archivedThrough + " that no archive holds; run check on it before"
            + " committing");
      }
      List<Message> archived = new ArrayList<>(view.live.subList(0, count));
      int number = Math.max(view.newest + 1, floor[0]);
      String summary = summarizer == null ? null : summarizer.summarize(List.copyOf(archived));
      try {
        backend.put(SessionLayout.archiveMessages(id, number), store.codec.encodeJsonl(archived),
            Precondition.absent());
      } catch (ConflictException e) {
        // Another committer took this number, or one crashed holding it: complete or remove
        // what is there, then try the next number.
        HealReport healed = view.reconcile();
        if (view.newest < number && !healed.problems().isEmpty()) {
          floor[0] = number + 1; // left in place as damage (check reports it): use the next
        }
        throw e;
      }
      Marker marker = completeWithSummary(Marker.of(number, archived, view.now(), summary, false));
      writeCounters(marker, size - archived.size());
      backend.trim(SessionLayout.log(id), marker.lastSeq());
      view.committed(marker, archived);
      return new CommitResult(number, archived.size(), size - archived.size(),
          marker.firstSeq(), marker.lastSeq());
    }, () -> store.observe(o -> o.conflictRetried(StoreObserver.COMMIT)));
  }

  /**
   * Whether the live view is gap-free and starts right after the newest archive (or at seq 1
   * when there is none), so that a trim through the archived range removes only what the
   * archive holds. Imported archives carry no seqs; the check then covers the gaps only.
   */
  private boolean continuesTheChain() {
    List<Message> live = view.live;
    return !SnapshotReader.hasHole(live.size(), i -> live.get(i).seq(), view.archivedThrough,
        view.newestMarker == null || view.newestMarker.hasSeqs());
  }


  /**
   * Writes our marker. If a reader completed the archive first, its marker describes the same
   * messages but lacks our summary: replace it, conditionally, so the summary survives.
   */
  private Marker completeWithSummary(Marker ours) {
    Marker stored = view.writer().putMarker(id, ours);
    if (stored == ours || !stored.rolledForward()) {
      return stored;
    }
    String key = SessionLayout.marker(id, ours.number());
    ContentionException lost = new ContentionException("could not store the summary of archive "
        + ours.number() + " of session '" + id + "': its marker kept changing");
    try {
      return Retries.run(store.maxRetries, Retry::lostARace, e -> { }, attempt -> {
        Blob current = backend.get(key).orElseThrow(() -> lost);
        Marker now = Marker.parse(ours.number(), store.codec.readObject(current.value(), key));
        if (!now.rolledForward()) {
          return now;
        }
        Marker patched = now.withSummary(ours.summary());
        backend.put(key, store.codec.write(patched.toJson(store.codec.mapper())),
            Precondition.matches(current.version()));
        return patched;
      });
    } catch (ConflictException | NotFoundException e) {
      throw lost;
    }
  }

  private void writeCounters(Marker marker, int retained) {
    String key = SessionLayout.meta(id);
    for (int attempt = 0; attempt < 3; attempt++) {
      Blob current = backend.get(key).orElse(null);
      Meta base = null;
      if (current != null) {
        try {
          base = new Meta(store.codec.readObject(current.value(), key));
        } catch (CorruptSessionException e) {
          base = null;
        }
        if (base != null && !base.legacy() && base.archivedThrough() >= marker.lastSeq()) {
          view.meta = base;
          return; // a later commit already wrote newer counters
        }
      }
      ObjectNode meta = Meta.rebuilt(store.codec.mapper(), id, base, marker.number(),
          marker.lastSeq(), retained, view.lastSeq, marker, view.now());
      meta.put(SessionLayout.MetaFields.KEEP_RECENT_COUNT, retained);
      if (view.writer().putMeta(id, current == null ? null : current.version(),
          store.codec.write(meta))) {
        view.meta = new Meta(meta);
        return;
      }
    }
    // Counters are a cache; the next reconcile rebuilds them.
  }
}
