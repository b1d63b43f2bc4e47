package dev.sessionstore;

import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.NotFoundException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.Optional;

/**
 * Applies a {@link Plan}: completes an incomplete archive (its marker is the commit point, so it
 * goes first), trims the stale live entries, removes a rolled-back archive, rewrites counters.
 * Every step is idempotent, so two processes applying the same plan at once is harmless.
 */
final class PlanWriter {
  private final StorageBackend backend;
  private final Codec codec;
  private final SnapshotReader reader;

  PlanWriter(StorageBackend backend, Codec codec, SnapshotReader reader) {
    this.backend = backend;
    this.codec = codec;
    this.reader = reader;
  }

  /** Returns the newest marker as stored (a racing committer's may have won). */
  Marker apply(String id, Snapshot snapshot, Plan plan) {
    Marker newest = plan.newestMarker();
    if (plan.rollForward() != null) {
      newest = putMarker(id, plan.rollForward());
    }
    if (plan.trimThrough() > 0) {
      backend.trim(SessionLayout.log(id), plan.trimThrough());
    }
    if (plan.rollBack() > 0) {
      backend.delete(SessionLayout.archive(id, plan.rollBack()));
    }
    if (plan.metaToWrite() != null) {
      putMeta(id, snapshot.metaVersion(), codec.write(plan.metaToWrite()));
    }
    return newest;
  }

  /**
   * Writes a completion marker if absent. An existing marker for the same messages counts as
   * success (a reader completed the archive, or the committer did); one for other messages is
   * damage. Returns the marker that is stored.
   */
  Marker putMarker(String id, Marker marker) {
    String key = SessionLayout.marker(id, marker.number());
    try {
      backend.put(key, codec.write(marker.toJson(codec.mapper())), Precondition.absent());
      return marker;
    } catch (ConflictException e) {
      Optional<Marker> existing = reader.readMarker(id, marker.number());
      if (existing.isEmpty()) {
        throw e; // deleted in between: let the caller retry
      }
      if (!existing.get().sameRange(marker)) {
        throw new CorruptSessionException("completion marker " + key + " describes other"
            + " messages than its archive (seqs " + existing.get().firstSeq() + "-"
            + existing.get().lastSeq() + " vs " + marker.firstSeq() + "-" + marker.lastSeq() + ")");
      }
      return existing.get();
    }
  }

  /** Conditional write of the counters; a lost race is fine, the winner wrote newer ones. */
  boolean putMeta(String id, String currentVersion, byte[] meta) {
    try {
      backend.put(SessionLayout.meta(id), meta, currentVersion == null
          ? Precondition.absent() : Precondition.matches(currentVersion));
      return true;
    } catch (ConflictException | NotFoundException e) {
      return false;
    }
  }
}
