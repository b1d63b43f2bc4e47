package dev.sessionstore.spi;

import java.util.Arrays;
import java.util.Objects;

/**
 * One record of a log.
 *
 * @param seq the record's position in its log, starting at 1
 * @param data the record's bytes: one JSON object in UTF-8 on a single line
 */
public record LogRecord(long seq, byte[] data) {
  /**
   * The longest record core ever appends, in bytes: its largest message limit (64 MiB) plus
   * room for the {@code "seq"} member. A backend may refuse longer records, and may treat a
   * longer stored one as damage no append wrote.
   */
  public static final int MAX_DATA_BYTES = (64 << 20) + 64 * 1024;

  /**
   * Checks the seq is positive and the data present.
   *
   * @param seq the record's position in its log, starting at 1
   * @param data the record's bytes: one JSON object in UTF-8 on a single line
   */
  public LogRecord {
    if (seq < 1) {
      throw new IllegalArgumentException("seq must be >= 1, was " + seq);
    }
    Objects.requireNonNull(data, "data");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogRecord r && seq == r.seq && Arrays.equals(data, r.data);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(seq) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "LogRecord[seq=" + seq + ", " + data.length + " bytes]";
  }
}
