package dev.sessionstore.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.spi.CorruptStorageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The byte formats of the objects the S3 backend writes for a log. */
final class Formats {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String BATCH_HEADER_FIELD = "sessionstore_batch";

  private Formats() {}

  /** Identity of one batch object: its first seq (its name) and its ETag. */
  record BatchRef(long first, String etag) {
    boolean is(long otherFirst, String otherEtag) {
      return first == otherFirst && sameEtag(etag, otherEtag);
    }
  }

  /**
   * The log's trim point object.
   *
   * @param through every seq at or below this is trimmed
   * @param lastSeq the log's high-water mark when the trim point was written (>= through)
   * @param keep the batch that straddles {@code through} (first <= through < last), kept because
   *     it still holds live records, or null
   * @param tail the log's last batch when the trim point was written, or null
   * @param etag the trim object's own ETag (null when there is no trim object)
   */
  record TrimPoint(
      long through,
      long lastSeq,
      @Nullable BatchRef keep,
      @Nullable BatchRef tail,
      @Nullable String etag) {
    static final TrimPoint NONE = new TrimPoint(0, 0, null, null, null);
  }

  /** A parsed batch object. */
  record Batch(long first, long last, List<byte[]> records) {}

  static boolean sameEtag(@Nullable String a, @Nullable String b) {
    return a != null && b != null && strip(a).equals(strip(b));
  }

  private static String strip(String etag) {
    String e = etag.startsWith("W/") ? etag.substring(2) : etag;
    return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")
        ? e.substring(1, e.length() - 1)
        : e;
  }

  /**
   * A batch object: one header line naming its seq range and a unique id (so two batches with
   * equal records still differ in content, and so in ETag), then one record per line.
   */
  static byte[] encodeBatch(long first, long last, String id, List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String header =
        "{\"" + BATCH_HEADER_FIELD + "\":{\"first\":" + first + ",\"last\":" + last
            + ",\"id\":\"" + id + "\"}}\n";
    out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
    for (byte[] r : records) {
      out.writeBytes(r);
      out.write('\n');
    }
    return out.toByteArray();
  }

  static Batch decodeBatch(String objectKey, long nameFirst, byte[] body) {
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < body.length; i++) {
      if (body[i] == '\n') {
        byte[] line = new byte[i - start];
        System.arraycopy(body, start, line, 0, line.length);
        lines.add(line);
        start = i + 1;
      }
    }
    if (start != body.length) {
      throw new CorruptStorageException(
          "batch object '" + objectKey + "' does not end with a line break (torn object?)");
    }
    if (lines.isEmpty()) {
      throw new CorruptStorageException("batch object '" + objectKey + "' is empty");
    }
    long first;
    long last;
    try {
      JsonNode h = JSON.readTree(lines.get(0)).get(BATCH_HEADER_FIELD);
      first = h.get("first").asLong(-1);
      last = h.get("last").asLong(-1);
    } catch (IOException | RuntimeException e) {
      throw new CorruptStorageException(
          "batch object '" + objectKey + "' has no valid header line", e);
    }
    if (first != nameFirst || last < first || last - first + 1 != lines.size() - 1) {
      throw new CorruptStorageException(
          "batch object '" + objectKey + "' is inconsistent: named for seq " + nameFirst
              + ", header says " + first + ".." + last + ", holds " + (lines.size() - 1)
              + " records");
    }
    return new Batch(first, last, List.copyOf(lines.subList(1, lines.size())));
  }

  /** Length of the per-write trailer of a blob object: a line break and 32 hex digits. */
  static final int BLOB_TRAILER = 33;

  /**
   * A blob object: the value, then a line break and a per-write nonce. S3 ETags are content
   * hashes, so without the nonce two puts of equal bytes would get the same version token and a
   * stale If-Match could succeed (ABA).
   */
  static byte[] encodeBlob(byte[] value, String writeId) {
    String hex = writeId.replace("-", "");
    if (hex.length() != BLOB_TRAILER - 1) {
      throw new IllegalArgumentException("write id must be a UUID");
    }
    byte[] out = new byte[value.length + BLOB_TRAILER];
    System.arraycopy(value, 0, out, 0, value.length);
    out[value.length] = '\n';
    byte[] h = hex.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(h, 0, out, value.length + 1, h.length);
    return out;
  }

  static byte[] decodeBlob(String objectKey, byte[] body) {
    int n = body.length - BLOB_TRAILER;
    if (n < 0 || body[n] != '\n') {
      throw new CorruptStorageException(
          "blob object '" + objectKey + "' lacks its write trailer (written by another tool?)");
    }
    byte[] out = new byte[n];
    System.arraycopy(body, 0, out, 0, n);
    return out;
  }

  static byte[] encodeTrim(TrimPoint t) {
    ObjectNode n = JSON.createObjectNode();
    n.put("through", t.through());
    n.put("lastSeq", t.lastSeq());
    ref(n, "keep", t.keep());
    ref(n, "tail", t.tail());
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void ref(ObjectNode n, String name, @Nullable BatchRef r) {
    if (r == null) {
      n.putNull(name);
    } else {
      n.putObject(name).put("first", r.first()).put("etag", r.etag());
    }
  }

  static TrimPoint decodeTrim(String objectKey, byte[] body, String etag) {
    try {
      JsonNode n = JSON.readTree(body);
      long through = n.get("through").asLong(-1);
      long lastSeq = n.get("lastSeq").asLong(-1);
      if (through < 0 || lastSeq < through) {
        throw new IllegalArgumentException("through " + through + ", lastSeq " + lastSeq);
      }
      return new TrimPoint(through, lastSeq, ref(n.get("keep")), ref(n.get("tail")), etag);
    } catch (IOException | RuntimeException e) {
      throw new CorruptStorageException("trim point object '" + objectKey + "' is unreadable", e);
    }
  }

  private static @Nullable BatchRef ref(@Nullable JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    return new BatchRef(n.get("first").asLong(), n.get("etag").asText());
  }
}
