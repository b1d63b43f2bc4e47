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
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The byte formats of the objects the S3 backend writes: blobs, log heads and segments. */
final class Formats {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String SEGMENT_HEADER_FIELD = "sessionstore_segment";
  static final String HEAD_HEADER_FIELD = "sessionstore_log";
  static final int HEAD_FORMAT = 2;

  private Formats() {}

  /**
   * One segment the head names: records {@code first..last} in object {@code name}, read only
   * under {@code etag}.
   *
   * @param name the object's name inside the log's directory
   */
  record Part(String name, long first, long last, String etag) {
    boolean is(Part other) {
      return name.equals(other.name) && sameEtag(etag, other.etag);
    }
  }

  /**
   * The log's head object: its whole state, replaced only with {@code If-Match} on the ETag it
   * replaces. An append is one such replacement.
   *
   * @param incarnation random, chosen when the head is created and kept by every later one: a
   *     log deleted and started again gets a new one
   * @param version 1 for the first head, then one more per write
   * @param through every seq at or below this is trimmed
   * @param lastSeq the highest seq the log ever held (a trim never lowers or raises it)
   * @param parts segments holding the live records before the tail, contiguous, the first
   *     covering {@code through + 1} (it may start lower), the last ending at {@code tailFirst - 1}
   * @param tailFirst the seq of the first tail record ({@code lastSeq + 1} when the tail is empty)
   * @param tail the records {@code tailFirst..lastSeq}, held in the head itself
   * @param writeId unique per write: every head's bytes (so its ETag) differ, and a writer can
   *     tell its own write
   * @param etag the head object's ETag; null for a log that has no head
   */
  record Head(
      String incarnation,
      long version,
      long through,
      long lastSeq,
      List<Part> parts,
      long tailFirst,
      List<byte[]> tail,
      String writeId,
      @Nullable String etag) {
    /** A log with no head object: never written, or deleted. */
    static final Head ABSENT = new Head("", 0, 0, 0, List.of(), 1, List.of(), "", null);

    boolean exists() {
      return etag != null;
    }

    Head withEtag(String newEtag) {
      return new Head(incarnation, version, through, lastSeq, parts, tailFirst, tail, writeId,
          newEtag);
    }

    /** The next head (not yet written): a new write id, version + 1, the same incarnation. */
    Head next(long nextThrough, List<Part> nextParts, long nextTailFirst, List<byte[]> nextTail) {
      String inc = exists() ? incarnation : UUID.randomUUID().toString();
      long last = Math.max(lastSeq, nextTailFirst + nextTail.size() - 1);
      return new Head(inc, version + 1, nextThrough, last, List.copyOf(nextParts), nextTailFirst,
          List.copyOf(nextTail), UUID.randomUUID().toString(), null);
    }

    /** Whether this head is {@code written}, as stored by a write that was reported refused. */
    boolean isWriteOf(Head written) {
      return exists() && writeId.equals(written.writeId());
    }

    /** Whether this head names exactly this part (name and ETag). */
    boolean names(Part p) {
      for (Part mine : parts) {
        if (mine.is(p)) {
          return true;
        }
      }
      return false;
    }

    boolean names(String name) {
      for (Part mine : parts) {
        if (mine.name().equals(name)) {
          return true;
        }
      }
      return false;
    }
  }

  static final int SEQ_WIDTH = 19;
  static final String SEGMENT_PREFIX = "seg-";

  /** A seq in 19 digits, so that names sort by seq. */
  static String seqName(long seq) {
    String digits = Long.toString(seq);
    return "0".repeat(SEQ_WIDTH - digits.length()) + digits;
  }

  /** A fresh segment name: its seq range, then a random tag so that no two writes share one. */
  static String segmentName(long first, long last) {
    return SEGMENT_PREFIX + seqName(first) + "-" + seqName(last) + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A parsed segment object: records {@code first..last}. */
  record Segment(long first, long last, List<byte[]> records) {}

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
   * A segment object: one header line naming its seq range and a unique id (so two segments
   * with equal records still differ in content, and so in ETag), then one record per line.
   */
  static byte[] encodeSegment(long first, long last, String id, List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String header =
        "{\"" + SEGMENT_HEADER_FIELD + "\":{\"first\":" + first + ",\"last\":" + last
            + ",\"id\":\"" + id + "\"}}\n";
    out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
    writeLines(out, records);
    return out.toByteArray();
  }

  /** A segment object's records; the caller checks the range is the one the head names. */
  static Segment decodeSegment(String objectKey, byte[] body) {
    List<byte[]> lines = lines(objectKey, body);
    long first;
    long last;
    try {
      JsonNode h = JSON.readTree(lines.get(0)).get(SEGMENT_HEADER_FIELD);
      first = h.get("first").asLong(-1);
      last = h.get("last").asLong(-1);
    } catch (IOException | RuntimeException e) {
      throw new CorruptStorageException(
          "segment object '" + objectKey + "' has no valid header line", e);
    }
    if (first < 1 || last < first || last - first + 1 != lines.size() - 1) {
      throw new CorruptStorageException("segment object '" + objectKey + "' is inconsistent:"
          + " header says " + first + ".." + last + ", holds " + (lines.size() - 1) + " records");
    }
    return new Segment(first, last, List.copyOf(lines.subList(1, lines.size())));
  }

  /** The head object: one JSON header line, then the tail records, one per line. */
  static byte[] encodeHead(Head h) {
    ObjectNode n = JSON.createObjectNode();
    ObjectNode f = n.putObject(HEAD_HEADER_FIELD);
    f.put("format", HEAD_FORMAT);
    f.put("incarnation", h.incarnation());
    f.put("version", h.version());
    f.put("through", h.through());
    f.put("lastSeq", h.lastSeq());
    ArrayNode parts = f.putArray("parts");
    for (Part p : h.parts()) {
      parts.addObject().put("name", p.name()).put("first", p.first()).put("last", p.last())
          .put("etag", strip(p.etag()));
    }
    f.put("tailFirst", h.tailFirst());
    f.put("writeId", h.writeId());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      out.writeBytes(JSON.writeValueAsBytes(n));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    out.write('\n');
    writeLines(out, h.tail());
    return out.toByteArray();
  }

  static Head decodeHead(String objectKey, byte[] body, String etag) {
    List<byte[]> lines = lines(objectKey, body);
    try {
      JsonNode f = JSON.readTree(lines.get(0)).get(HEAD_HEADER_FIELD);
      if (f == null || f.get("format").asInt(-1) != HEAD_FORMAT) {
        throw new IllegalArgumentException("not a format " + HEAD_FORMAT + " head");
      }
      long version = f.get("version").asLong(-1);
      long through = f.get("through").asLong(-1);
      long lastSeq = f.get("lastSeq").asLong(-1);
      long tailFirst = f.get("tailFirst").asLong(-1);
      String incarnation = f.get("incarnation").asText("");
      String writeId = f.get("writeId").asText("");
      if (version < 1 || through < 0 || lastSeq < through || tailFirst <= through
          || tailFirst > lastSeq + 1 || incarnation.isEmpty() || writeId.isEmpty()) {
        throw new IllegalArgumentException("version " + version + ", through " + through
            + ", lastSeq " + lastSeq + ", tailFirst " + tailFirst);
      }
      List<Part> parts = new ArrayList<>();
      long next = through + 1;
      for (JsonNode p : f.get("parts")) {
        Part part = new Part(p.get("name").asText(), p.get("first").asLong(),
            p.get("last").asLong(), p.get("etag").asText());
        boolean fits = parts.isEmpty()
            ? part.first() <= next && next <= part.last()
            : part.first() == next;
        if (!fits || !part.name().startsWith(SEGMENT_PREFIX)) {
          throw new IllegalArgumentException("part " + part + " does not continue at " + next);
        }
        parts.add(part);
        next = part.last() + 1;
      }
      if (next != tailFirst) {
        throw new IllegalArgumentException("parts end at " + (next - 1) + ", tail starts at "
            + tailFirst);
      }
      if (lines.size() - 1 != lastSeq - tailFirst + 1) {
        throw new IllegalArgumentException("tail " + tailFirst + ".." + lastSeq + " but "
            + (lines.size() - 1) + " records");
      }
      return new Head(incarnation, version, through, lastSeq, List.copyOf(parts), tailFirst,
          List.copyOf(lines.subList(1, lines.size())), writeId, etag);
    } catch (IOException | RuntimeException e) {
      throw new CorruptStorageException(
          "log head object '" + objectKey + "' is unreadable (damaged, or written by another"
              + " tool): " + e.getMessage(), e);
    }
  }

  private static void writeLines(ByteArrayOutputStream out, List<byte[]> records) {
    for (byte[] r : records) {
      out.writeBytes(r);
      out.write('\n');
    }
  }

  /** The lines of an object that must end with a line break and have a header line. */
  private static List<byte[]> lines(String objectKey, byte[] body) {
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < body.length; i++) {
      if (body[i] == '\n') {
        lines.add(Arrays.copyOfRange(body, start, i));
        start = i + 1;
      }
    }
    if (start != body.length) {
      throw new CorruptStorageException(
          "log object '" + objectKey + "' does not end with a line break (torn object?)");
    }
    if (lines.isEmpty()) {
      throw new CorruptStorageException("log object '" + objectKey + "' is empty");
    }
    return lines;
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
}
