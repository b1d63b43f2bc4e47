package dev.sessionstore;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What storage held for one session when it was read: the input of {@link Reconciler#plan}.
 *
 * @param sessionId the session
 * @param meta the parsed {@code .meta.json}, or null if absent or unparsable
 * @param metaCorrupt whether a {@code .meta.json} existed but could not be parsed
 * @param newest the newest completed archive number (0 if none)
 * @param markers completion markers that were read, by archive number (at least the newest)
 * @param incomplete the archive after the newest, if it exists without a marker and was probed
 * @param live the live log's records, in seq order
 * @param logLastSeq the log's high-water mark
 * @param bodies archived messages read to confirm that stale live entries are really archived
 * @param metaVersion the version of the stored {@code .meta.json}, or null if there is none
 */
record Snapshot(
    String sessionId,
    @Nullable Meta meta,
    boolean metaCorrupt,
    int newest,
    Map<Integer, Marker> markers,
    @Nullable Incomplete incomplete,
    List<LiveEntry> live,
    long logLastSeq,
    Map<Integer, List<Message>> bodies,
    @Nullable String metaVersion) {

  Snapshot {
    markers = Map.copyOf(markers);
    live = List.copyOf(live);
    bodies = Map.copyOf(bodies);
  }

  @Nullable Marker newestMarker() {
    return markers.get(newest);
  }

  /**
   * An archive whose messages exist but whose completion marker does not.
   *
   * @param number its number (one past the newest completed)
   * @param held its messages, or null if they could not be decoded
   * @param problem why they could not be decoded, or null
   */
  record Incomplete(int number, @Nullable List<Message> held, @Nullable String problem) {}
}
