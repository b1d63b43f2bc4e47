package dev.sessionstore.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.spi.CorruptStorageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
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
   * One object the manifest names as holding live records: a segment, or a batch object that
   * straddled a trim.
   *
   * @param name the object's name inside the log's directory
   */
  record Part(String name, long first, long last, String etag) {}

  /**
   * The log's manifest, object {@code trim} (the "trim point"): the one object that trims and
   * compactions replace with a conditional PUT. Its fields only ever grow.
   *
   * @param through every seq at or below this is trimmed
   * @param base the records {@code through+1..base} are in {@code parts}; batch objects whose
   *     first seq is at or below {@code base} are consumed and may be deleted, but only after a
   *     manifest saying so is durable
   * @param lastSeq the log's high-water mark as its writer saw it ({@code >= base})
   * @param parts contiguous objects covering {@code through+1..base} (the first may start lower)
   * @param recentFrom every batch consumed (base raised past it) whose first seq is at or above
   *     this is listed in {@code recent}
   * @param recent the last batches consumed, oldest first
   * @param version 0 when there is no manifest object, then 1, 2, ... per write
   * @param incarnation a random id chosen when the log's first manifest is written and kept by
   *     every later one: a log deleted and started again gets a new one ("" when none)
   * @param etag the manifest object's own ETag (null when there is none)
   */
  record Manifest(
      long through,
      long base,
      long lastSeq,
      List<Part> parts,
      long recentFrom,
      List<BatchRef> recent,
      long version,
      String incarnation,
      @Nullable String etag) {
    static final Manifest NONE = new Manifest(0, 0, 0, List.of(), 1, List.of(), 0, "", null);

    boolean exists() {
      return etag != null;
    }

    /** Whether this manifest names batch {@code first} with this ETag as consumed or a part. */
    boolean records(long first, String batchEtag) {
      for (BatchRef r : recent) {
        if (r.is(first, batchEtag)) {
          return true;
        }
      }
      String name = batchName(first);
      for (Part p : parts) {
        if (p.name().equals(name) && sameEtag(p.etag(), batchEtag)) {
          return true;
        }
      }
      return false;
    }

    @Nullable Part partCovering(long seq) {
      for (Part p : parts) {
        if (p.first() <= seq && seq <= p.last()) {
          return p;
        }
      }
      return null;
    }

    boolean references(String name) {
      for (Part p : parts) {
        if (p.name().equals(name)) {
          return true;
        }
      }
      return false;
    }
  }

  static final int SEQ_WIDTH = 19;
  static final String SEGMENT_PREFIX = "seg-";

  /** A batch object's name: its first seq in 19 digits, so lexical order is numeric order. */
  static String batchName(long first) {
    String digits = Long.toString(first);
    return "0".repeat(SEQ_WIDTH - digits.length()) + digits;
  }

  /** The first seq a batch object name stands for, or -1 if the name is not a batch's. */
  static long batchFirst(String name) {
    if (name.length() != SEQ_WIDTH) {
      return -1;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
    }
    return Long.parseLong(name);
  }

  /** A fresh segment name: its seq range, then a random tag so that no two writes share one. */
  static String segmentName(long first, long last) {
    return SEGMENT_PREFIX + batchName(first) + "-" + batchName(last) + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A parsed batch object. */
  record Batch(long first, long last, List<byte[]> records) {}

  static boolean sameEtag(@Nullable String a, @Nullable String b) {
    return a != null && b != null && strip(a).equals(strip(b));
  }

  static String strip(String etag) {
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

  static byte[] encodeManifest(Manifest m) {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", m.version());
    n.put("incarnation", m.incarnation());
    n.put("through", m.through());
    n.put("base", m.base());
    n.put("lastSeq", m.lastSeq());
    ArrayNode parts = n.putArray("parts");
    for (Part p : m.parts()) {
      parts.addObject().put("name", p.name()).put("first", p.first()).put("last", p.last())
          .put("etag", strip(p.etag()));
    }
    n.put("recentFrom", m.recentFrom());
    ArrayNode recent = n.putArray("recent");
    for (BatchRef r : m.recent()) {
      recent.addArray().add(r.first()).add(strip(r.etag()));
    }
    n.put("id", UUID.randomUUID().toString()); // unique content, so a unique ETag
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Manifest decodeManifest(String objectKey, byte[] body, String etag) {
    try {
      JsonNode n = JSON.readTree(body);
      long version = n.get("version").asLong(-1);
      long through = n.get("through").asLong(-1);
      long base = n.get("base").asLong(-1);
      long lastSeq = n.get("lastSeq").asLong(-1);
      long recentFrom = n.get("recentFrom").asLong(-1);
      if (version < 1 || through < 0 || base < through || lastSeq < base || recentFrom < 1) {
        throw new IllegalArgumentException("version " + version + ", through " + through
            + ", base " + base + ", lastSeq " + lastSeq + ", recentFrom " + recentFrom);
      }
      List<Part> parts = new ArrayList<>();
      long next = through + 1;
      for (JsonNode p : n.get("parts")) {
        Part part = new Part(p.get("name").asText(), p.get("first").asLong(),
            p.get("last").asLong(), p.get("etag").asText());
        boolean fits = parts.isEmpty()
            ? part.first() <= next && next <= part.last()
            : part.first() == next;
        if (!fits || part.last() > base) {
          throw new IllegalArgumentException("part " + part + " does not continue at " + next);
        }
        parts.add(part);
        next = part.last() + 1;
      }
      if (next != base + 1 && !(parts.isEmpty() && base == through)) {
        throw new IllegalArgumentException("parts end at " + (next - 1) + ", base is " + base);
      }
      List<BatchRef> recent = new ArrayList<>();
      for (JsonNode r : n.get("recent")) {
        recent.add(new BatchRef(r.get(0).asLong(), r.get(1).asText()));
      }
      String incarnation = n.get("incarnation").asText("");
      if (incarnation.isEmpty()) {
        throw new IllegalArgumentException("no incarnation");
      }
      return new Manifest(through, base, lastSeq, List.copyOf(parts), recentFrom,
          List.copyOf(recent), version, incarnation, etag);
    } catch (IOException | RuntimeException e) {
      throw new CorruptStorageException(
          "log manifest object '" + objectKey + "' is unreadable (written by an older"
              + " sessionstore, or damaged): " + e.getMessage(), e);
    }
  }
}
