package dev.sessionstore.localfs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * The format of {@code <log>~wal}, the redo log that lets an append overwrite blocks already on
 * disk instead of growing a file. An {@code fdatasync} after a write that grows a file must
 * also write the file's new size; one after a write into blocks written before has only the
 * data to write, and costs about 0.6x as much. The log itself stays plain JSONL: its appends
 * are written without a sync, and each one is made durable by a copy in this file.
 *
 * <p>Layout: {@link #SIZE} bytes, written with zeros and fsynced when the file is made and
 * never grown.
 *
 * <ul>
 *   <li>Bytes {@code [0, HEADER)}: one JSON line padded with spaces: a random epoch, the
 *       log file it belongs to (the length and CRC32C of its first bytes, up to {@link
 *       #HEAD_BYTES}: a trim replaces the file with one that starts with another record),
 *       {@code base_size} and {@code base_seq} (the log file was fsynced through that size,
 *       whose last record has that seq) and a CRC32C of those. It is rewritten in place,
 *       within one 512-byte sector.
 *   <li>Then blocks, one after the other: a line {@code {"crc":..,"first":F,"count":k,
 *       "len":n}} and the {@code n} bytes of the {@code k} record lines (seqs {@code F..F+k-1})
 *       exactly as they were written to the log. The CRC covers the epoch, {@code F}, {@code k}
 *       and the bytes, so a block of an earlier epoch, or one torn by a power cut, does not
 *       validate. Blocks chain: the first starts at {@code base_seq + 1}, each at the seq after
 *       the one before; the first block that does not validate ends the file's contents.
 * </ul>
 *
 * <p>The invariant the backend keeps: every acknowledged record is in the log file's first
 * {@code base_size} bytes or in a valid block. So the log's bytes from {@code base_size} on
 * must equal the blocks' bytes; what follows them was never acknowledged.
 */
final class LogWal {
  static final String SUFFIX = "~wal";
  static final int SIZE = 16 * 1024;
  static final int HEADER = 256;
  /** How much of the log file's start identifies it. */
  static final int HEAD_BYTES = 4096;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private LogWal() {}

  /** The first bytes of a log file, as a WAL header names it: their length and CRC32C. */
  record Head(int length, long crc) {
    /** The head of a log file of {@code size} bytes (its first {@link #HEAD_BYTES} at most). */
    static Head of(FileIo.Handle log, long size) throws IOException {
      return of(Durable.readRange(log, 0, (int) Math.min(size, HEAD_BYTES)));
    }

    /** The head of a log file that starts with {@code b} (all of it or its first part). */
    static Head of(byte[] b) {
      CRC32C c = new CRC32C();
      int n = Math.min(b.length, HEAD_BYTES);
      c.update(b, 0, n);
      return new Head(n, c.getValue());
    }

    /** Whether {@code log} (of {@code size} bytes) starts with this head. */
    boolean matches(FileIo.Handle log, long size) throws IOException {
      return size >= length && of(Durable.readRange(log, 0, length)).equals(this);
    }
  }

  /** The header's fields. */
  record Header(long epoch, Head head, long baseSize, long baseSeq) {
    /** The header of a new epoch (a random one), so that no earlier block validates under it. */
    static Header newEpoch(Head head, long baseSize, long baseSeq) {
      return new Header(ThreadLocalRandom.current().nextLong(), head, baseSize, baseSeq);
    }
  }

  /** One valid block: its first seq, its record count and its record lines. */
  record Block(long first, int count, byte[] lines) {
    long last() {
      return first + count - 1;
    }
  }

  /**
   * What a WAL file holds: its header (null if it does not validate), its valid blocks in
   * order, and where the next block goes.
   */
  record Contents(Header header, List<Block> blocks, int cursor) {
    /** Where the log's acknowledged bytes end: {@code base_size} plus every block's bytes. */
    long coverage() {
      long c = header.baseSize();
      for (Block b : blocks) {
        c += b.lines().length;
      }
      return c;
    }

    /** The seq of the last record the blocks hold, or {@code base_seq}. */
    long lastSeq() {
      return blocks.isEmpty() ? header.baseSeq() : blocks.get(blocks.size() - 1).last();
    }

    /** The blocks' record lines, concatenated. */
    byte[] lines() {
      byte[] out = new byte[(int) (coverage() - header.baseSize())];
      int at = 0;
      for (Block b : blocks) {
        System.arraycopy(b.lines(), 0, out, at, b.lines().length);
        at += b.lines().length;
      }
      return out;
    }
  }

  /** A new WAL file's bytes: the header, then zeros up to {@link #SIZE}. */
  static byte[] fresh(Header h) {
    byte[] out = new byte[SIZE];
    byte[] head = header(h);
    System.arraycopy(head, 0, out, 0, head.length);
    return out;
  }

  /** The header's {@link #HEADER} bytes. */
  static byte[] header(Header h) {
    String line = "{\"epoch\":\"" + Long.toHexString(h.epoch()) + "\",\"head_len\":"
        + h.head().length() + ",\"head_crc\":" + h.head().crc() + ",\"base_size\":"
        + h.baseSize() + ",\"base_seq\":" + h.baseSeq() + ",\"crc\":" + headerCrc(h) + "}";
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    if (b.length > HEADER - 1) {
      throw new IllegalArgumentException("WAL header too long: " + line);
    }
    byte[] out = new byte[HEADER];
    Arrays.fill(out, (byte) ' ');
    System.arraycopy(b, 0, out, 0, b.length);
    out[HEADER - 1] = '\n';
    return out;
  }

  /** Rewrites the header of an open WAL in place (one sector) and syncs it. */
  static void writeHeader(FileIo.Handle wal, Header h) throws IOException {
    Durable.writeFully(wal, header(h), 0);
    wal.sync(false);
  }

  /** A block's bytes: its header line, then {@code lines} (whole record lines). */
  static byte[] block(long epoch, long first, int count, byte[] lines) {
    byte[] head = ("{\"crc\":" + blockCrc(epoch, first, count, lines, 0, lines.length)
        + ",\"first\":" + first + ",\"count\":" + count + ",\"len\":" + lines.length + "}\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + lines.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(lines, 0, out, head.length, lines.length);
    return out;
  }

  /** Reads and validates the whole file. */
  static Contents read(FileIo.Handle h) throws IOException {
    int size = (int) Math.min(h.size(), SIZE);
    byte[] b = Durable.readRange(h, 0, size);
    Header header = size < HEADER ? null : parseHeader(b);
    if (header == null) {
      return new Contents(null, List.of(), HEADER);
    }
    List<Block> blocks = new ArrayList<>();
    long expect = header.baseSeq() + 1;
    int pos = HEADER;
    while (pos < size && b[pos] == '{') {
      int nl = indexOf(b, (byte) '\n', pos, Math.min(size, pos + 128));
      if (nl < 0) {
        break;
      }
      JsonNode n = parse(b, pos, nl);
      if (n == null || !n.path("first").canConvertToLong() || !n.path("count").canConvertToInt()
          || !n.path("len").canConvertToInt() || !n.path("crc").canConvertToLong()) {
        break;
      }
      long first = n.get("first").asLong();
      int count = n.get("count").asInt();
      int len = n.get("len").asInt();
      int from = nl + 1;
      if (first != expect || count < 1 || len < count || len > size - from
          || n.get("crc").asLong() != blockCrc(header.epoch(), first, count, b, from, len)) {
        break;
      }
      blocks.add(new Block(first, count, Arrays.copyOfRange(b, from, from + len)));
      expect = first + count;
      pos = from + len;
    }
    return new Contents(header, blocks, pos);
  }

  private static Header parseHeader(byte[] b) {
    JsonNode n = parse(b, 0, HEADER - 1);
    if (n == null || !n.path("epoch").isTextual() || !n.path("head_len").canConvertToInt()
        || !n.path("head_crc").canConvertToLong()
        || !n.path("base_size").canConvertToLong() || !n.path("base_seq").canConvertToLong()
        || !n.path("crc").canConvertToLong()) {
      return null;
    }
    Header h;
    try {
      h = new Header(Long.parseUnsignedLong(n.get("epoch").asText(), 16),
          new Head(n.get("head_len").asInt(), n.get("head_crc").asLong()),
          n.get("base_size").asLong(), n.get("base_seq").asLong());
    } catch (NumberFormatException e) {
      return null;
    }
    return n.get("crc").asLong() == headerCrc(h) ? h : null;
  }

  private static JsonNode parse(byte[] b, int from, int to) {
    try {
      JsonNode n = MAPPER.readTree(b, from, to - from);
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static long headerCrc(Header h) {
    CRC32C c = new CRC32C();
    c.update(ByteBuffer.allocate(44).putLong(h.epoch()).putInt(h.head().length())
        .putLong(h.head().crc()).putLong(h.baseSize()).putLong(h.baseSeq()).array(), 0, 36);
    return c.getValue();
  }

  private static long blockCrc(long epoch, long first, int count, byte[] b, int from, int len) {
    CRC32C c = new CRC32C();
    c.update(ByteBuffer.allocate(20).putLong(epoch).putLong(first).putInt(count).array());
    c.update(b, from, len);
    return c.getValue();
  }

  private static int indexOf(byte[] b, byte x, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }
}
