package dev.sessionstore.spi;

import java.util.List;
import java.util.Objects;

/**
 * What {@link StorageBackend#read} returns: the records asked for and the log's high-water mark.
 *
 * @param records the records with {@code seq >= fromSeq}, in seq order
 * @param lastSeq the highest seq the log ever held (0 for a new log); trims do not lower it, so
 *     the next append must use {@code lastSeq + 1}
 */
public record LogSlice(List<LogRecord> records, long lastSeq) {
  /**
   * Copies the list and checks the high-water mark covers every record.
   *
   * @param records the records with {@code seq >= fromSeq}, in seq order
   * @param lastSeq the highest seq the log ever held (0 for a new log); trims do not lower it, so
   *     the next append must use {@code lastSeq + 1}
   */
  public LogSlice {
    records = List.copyOf(Objects.requireNonNull(records, "records"));
    if (lastSeq < 0) {
      throw new IllegalArgumentException("lastSeq must be >= 0, was " + lastSeq);
    }
    if (!records.isEmpty() && records.get(records.size() - 1).seq() > lastSeq) {
      throw new IllegalArgumentException("lastSeq " + lastSeq + " below a record's seq");
    }
  }

  /** {@return an empty slice of a log that never held anything} */
  public static LogSlice empty() {
    return new LogSlice(List.of(), 0);
  }
}
