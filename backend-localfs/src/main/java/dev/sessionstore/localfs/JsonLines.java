package dev.sessionstore.localfs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.sessionstore.spi.LogRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the line structure of a JSONL log: which lines are good records, what seq each has,
 * and where an unfinished tail begins. Knows nothing about files.
 */
final class JsonLines {
  /** Returned by {@link #seqOf} for a record without a top-level {@code "seq"} member. */
  static final long NO_SEQ = 0;
  /** A seq that cannot be known from the bytes at hand (a line before the scanned window). */
  static final long UNKNOWN = -1;
  /**
   * The longest record a log holds, in bytes without its newline ({@link
   * LogRecord#MAX_DATA_BYTES}). Appends refuse longer records, so a longer line was never
   * acknowledged, and no read holds more than this of one line in memory.
   */
  static final int MAX_RECORD_BYTES = LogRecord.MAX_DATA_BYTES;

  private static final JsonFactory JSON = JsonFactory.builder().build();

  private JsonLines() {}

  /**
   * The top-level {@code "seq"} of one JSON object, or {@link #NO_SEQ}.
   *
   * @throws IOException if the bytes are not exactly one JSON object, or {@code seq} is not a
   *     positive integer or appears twice
   */
  static long seqOf(byte[] b, int off, int len) throws IOException {
    try (JsonParser p = JSON.createParser(b, off, len)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("not a JSON object");
      }
      long seq = NO_SEQ;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if ("seq".equals(name)) {
          if (seq != NO_SEQ || v != JsonToken.VALUE_NUMBER_INT
              || p.getNumberType() != JsonParser.NumberType.INT
                  && p.getNumberType() != JsonParser.NumberType.LONG) {
            throw new IOException("\"seq\" must appear once, as a positive integer");
          }
          seq = p.getLongValue();
          if (seq < 1) {
            throw new IOException("\"seq\" must be positive, was " + seq);
          }
        } else {
          p.skipChildren();
        }
      }
      if (t != JsonToken.END_OBJECT) {
        throw new IOException("unterminated JSON object");
      }
      if (p.nextToken() != null) {
        throw new IOException("data after the JSON object");
      }
      return seq;
    }
  }

  static boolean isBlank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  /** {@code line} with {@code "seq":seq} inserted as the first member of its object. */
  static byte[] withSeq(byte[] b, int from, int to, long seq) {
    int brace = from;
    while (brace < to && b[brace] != '{') {
      brace++;
    }
    int next = brace + 1;
    while (next < to && (b[next] == ' ' || b[next] == '\t')) {
      next++;
    }
    boolean empty = next < to && b[next] == '}';
    byte[] member = ("\"seq\":" + seq + (empty ? "" : ",")).getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[to - from + member.length];
    int head = brace + 1 - from;
    System.arraycopy(b, from, out, 0, head);
    System.arraycopy(member, 0, out, head, member.length);
    System.arraycopy(b, brace + 1, out, head + member.length, to - brace - 1);
    return out;
  }

  /** 1-based physical line number of the byte at {@code offset}. */
  static long lineNumber(byte[] b, int offset) {
    long n = 1;
    for (int i = 0; i < offset && i < b.length; i++) {
      if (b[i] == '\n') {
        n++;
      }
    }
    return n;
  }

  /** A bad line that is not the last one: the log is corrupt, not merely torn. */
  static final class BadLine extends Exception {
    private static final long serialVersionUID = 1L;
    final int offset;

    BadLine(int offset, String reason, Throwable cause) {
      super(reason, cause);
      this.offset = offset;
    }
  }

  /**
   * The good lines of {@code b[from, to)} and where its unfinished tail starts.
   *
   * <p>A fragment after the last newline, or a last non-blank line that does not parse, is the
   * tail of an append that never completed. Any other line that does not parse, or a seq that
   * does not increase, is corruption, and so is a complete line longer than {@link
   * #MAX_RECORD_BYTES} (callers set an oversized last line aside before they scan). Lines that
   * start with {@code {"seq":N,} are taken at their word except the last one: the rest of such
   * a line is left to the reader of the record.
   *
   * @param base the seq before the first line ({@link #UNKNOWN} if {@code from} is not the
   *     start of the file); a line without {@code "seq"} takes the previous seq + 1, and lines
   *     at the head with a seq at or below {@code base} are skipped (already trimmed)
   */
  static Scan scan(byte[] b, int from, int to, long base) throws BadLine {
    Scan s = new Scan(to);
    long prev = base;
    int pos = from;
    int bad = -1;
    IOException badCause = null;
    int lastNewline = lastIndexOf(b, (byte) '\n', from, to);
    while (pos < to) {
      int nl = indexOf(b, (byte) '\n', pos, to);
      if (nl < 0) {
        if (bad >= 0) {
          throw new BadLine(bad, "unparsable line before the last one", badCause);
        }
        s.tornStart = pos;
        return s;
      }
      if (!isBlank(b, pos, nl)) {
        if (bad >= 0) {
          throw new BadLine(bad, "unparsable line in the middle of the log", badCause);
        }
        if (nl - pos > MAX_RECORD_BYTES) {
          throw new BadLine(pos, "a line of " + (nl - pos)
              + " bytes, longer than any record (" + MAX_RECORD_BYTES + " bytes)", null);
        }
        // Core writes every record as {"seq":N,...}: take N from there. Only the last line is
        // parsed in full (it is where an append that did not finish shows), and lines written
        // by others (OpenViking imports, no seq first).
        long seq = nl == lastNewline ? NO_PREFIX : seqPrefix(b, pos, nl);
        try {
          if (seq == NO_PREFIX) {
            seq = seqOf(b, pos, nl - pos);
          }
        } catch (IOException e) {
          bad = pos;
          badCause = e;
          pos = nl + 1;
          continue;
        }
        boolean explicit = seq != NO_SEQ;
        if (!explicit) {
          seq = prev == UNKNOWN ? UNKNOWN : prev + 1;
        }
        if (s.count == 0 && base != UNKNOWN && seq != UNKNOWN && seq <= base) {
          // Left by a trim that emptied the log: its high-water mark became durable, the
          // removal of the lines did not. They are trimmed; the next trim drops them.
          prev = seq;
          pos = nl + 1;
          continue;
        }
        if (explicit && prev != UNKNOWN && seq <= prev) {
          throw new BadLine(pos, "seq " + seq + " does not follow seq " + prev, null);
        }
        s.add(pos, nl, seq, explicit);
        prev = seq;
      }
      pos = nl + 1;
    }
    if (bad >= 0) {
      s.tornStart = bad;
    }
    return s;
  }

  private static final byte[] SEQ_PREFIX = "{\"seq\":".getBytes(StandardCharsets.UTF_8);
  private static final long NO_PREFIX = -2;

  /**
   * The seq of a line that starts with {@code {"seq":N,} (or {@code {"seq":N}}), as core writes
   * every record, or {@link #NO_PREFIX}.
   */
  static long seqPrefix(byte[] b, int from, int to) {
    int p = from + SEQ_PREFIX.length;
    if (p >= to || !Arrays.equals(b, from, p, SEQ_PREFIX, 0, SEQ_PREFIX.length)
        || b[p] < '1' || b[p] > '9') {
      return NO_PREFIX;
    }
    long v = 0;
    int digits = 0;
    while (p < to && b[p] >= '0' && b[p] <= '9') {
      if (++digits > 18) {
        return NO_PREFIX;
      }
      v = v * 10 + (b[p++] - '0');
    }
    return p < to && (b[p] == ',' || b[p] == '}') ? v : NO_PREFIX;
  }

  private static int lastIndexOf(byte[] b, byte x, int from, int to) {
    for (int i = to - 1; i >= from; i--) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] b, byte x, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }

  /** Result of {@link #scan}. */
  static final class Scan {
    int count;
    int[] start = new int[16];
    int[] end = new int[16];
    long[] seq = new long[16];
    boolean[] explicit = new boolean[16];
    /** Offset where the unfinished tail starts; the scanned end if there is none. */
    int tornStart;
    final int to;

    Scan(int to) {
      this.to = to;
      this.tornStart = to;
    }

    void add(int s, int e, long q, boolean x) {
      if (count == start.length) {
        int n = count * 2;
        start = Arrays.copyOf(start, n);
        end = Arrays.copyOf(end, n);
        seq = Arrays.copyOf(seq, n);
        explicit = Arrays.copyOf(explicit, n);
      }
      start[count] = s;
      end[count] = e;
      seq[count] = q;
      explicit[count] = x;
      count++;
    }

    boolean torn() {
      return tornStart < to;
    }

    long lastSeq() {
      return count == 0 ? UNKNOWN : seq[count - 1];
    }
  }
}
