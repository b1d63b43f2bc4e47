package dev.sessionstore.s3;

import dev.sessionstore.s3.Formats.Segment;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Records of segment objects this instance wrote or read, keyed by object key and
 * ETag. An object never changes under one ETag, so an entry is never stale; it only saves a GET.
 * (A server that answers with one object's ETag and another's bytes can still put a wrong entry
 * here; the log read that notices drops it.)
 * Least recently used entries go first once the bytes held pass the budget.
 */
final class RecordCache {
  private final long budget;
  private final LinkedHashMap<String, Segment> entries = new LinkedHashMap<>(64, 0.75f, true);
  private long bytes;

  RecordCache(long budget) {
    this.budget = budget;
  }

  synchronized @Nullable Segment get(String key, String etag) {
    return entries.get(id(key, etag));
  }

  synchronized void put(String key, String etag, Segment segment) {
    long size = size(segment);
    if (size > budget / 4) {
      return; // one huge object would flush everything else
    }
    Segment old = entries.put(id(key, etag), segment);
    bytes += size - (old == null ? 0 : size(old));
    Iterator<Map.Entry<String, Segment>> it = entries.entrySet().iterator();
    while (bytes > budget && it.hasNext()) {
      bytes -= size(it.next().getValue());
      it.remove();
    }
  }

  /** Drops an entry whose bytes turned out not to be the object's (a torn answer). */
  synchronized void remove(String key, String etag) {
    Segment old = entries.remove(id(key, etag));
    if (old != null) {
      bytes -= size(old);
    }
  }

  private static String id(String key, String etag) {
    return key + "|" + Formats.strip(etag);
  }

  private static long size(Segment b) {
    long n = 64;
    for (byte[] r : b.records()) {
      n += r.length + 16;
    }
    return n;
  }
}
