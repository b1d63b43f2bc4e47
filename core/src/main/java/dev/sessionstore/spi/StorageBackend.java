package dev.sessionstore.spi;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The byte-level storage interface every backend implements. All session semantics live in
 * {@code core}; a backend only stores opaque bytes under validated keys (see {@link Keys}).
 *
 * <p>Two kinds of object share one key space:
 *
 * <ul>
 *   <li><b>blobs</b>: whole values replaced atomically, each with a version token that changes
 *       on every successful {@link #put put};
 *   <li><b>logs</b>: sequences of records addressed by a {@code seq} (1, 2, 3 ...). A log
 *       remembers the highest seq it ever held, even after {@link #trim trim} removed the
 *       records, so a stale writer can never reuse a seq.
 * </ul>
 *
 * <p>Contract common to all methods:
 *
 * <ul>
 *   <li>A write that returns normally is on stable storage (fsync, committed transaction,
 *       completed PUT). A write that throws may or may not have happened, but never partly:
 *       {@link #put put} and {@link #append append} are atomic.
 *   <li>Every key is checked with {@link Keys#requireValidKey} before it reaches storage.
 *   <li>A lost precondition or a taken seq throws {@link ConflictException}; a
 *       matches-version precondition on a missing blob throws {@link NotFoundException}; any
 *       other failure of the storage itself throws {@link StorageException}.
 *   <li>Implementations are thread-safe. Backends that declare {@link Capability#SHARED_STORAGE}
 *       also keep this contract between several instances (and processes) over the same storage.
 * </ul>
 */
public interface StorageBackend extends AutoCloseable {

  /**
   * {@return what this backend guarantees beyond the required contract} Never changes after open.
   */
  Set<Capability> capabilities();

  /**
   * Reads a blob with its current version, or empty if there is no blob under {@code key}.
   *
   * @param key a valid key
   * @return the blob and its version, or empty
   */
  Optional<Blob> get(String key);

  /**
   * Replaces the whole value of a blob atomically and durably, if {@code precondition} holds.
   *
   * @param key a valid key
   * @param value the whole new value
   * @param precondition when to write
   * @return the new version token of the blob
   * @throws ConflictException if the precondition does not hold (nothing is written)
   * @throws NotFoundException if the precondition names a version and the blob does not exist
   */
  String put(String key, byte[] value, Precondition precondition);

  /**
   * Appends records to a log atomically and durably, as one unit: either all records become
   * visible or none does.
   *
   * <p>The append is conditional: {@code firstSeq} must be exactly one past the highest seq the
   * log ever held (1 for a new log), and the records take seqs {@code firstSeq, firstSeq + 1,
   * ...}. Otherwise nothing is written and {@link ConflictException} is thrown. This is what
   * makes concurrent writers safe: the loser re-reads the tail and retries.
   *
   * <p>Each record is a JSON object in UTF-8 on a single line; core also puts the record's seq
   * into the object as its top-level {@code "seq"} member, so a backend that stores records as
   * lines may read the seq back from there.
   *
   * @param log a valid key naming the log
   * @param firstSeq the seq of the first record: one past the highest the log ever held
   * @param records one JSON object per record, UTF-8, no line breaks
   * @throws IllegalArgumentException if {@code records} is empty or {@code firstSeq < 1}
   */
  void append(String log, long firstSeq, List<byte[]> records);

  /**
   * Reads the records of a log with {@code seq >= fromSeq}, in seq order. A missing log reads
   * as empty, and so does a log whose records were all trimmed.
   *
   * @param log a valid key naming the log
   * @param fromSeq the lowest seq to return
   * @return the records and the highest seq the log ever held
   */
  LogSlice read(String log, long fromSeq);

  /**
   * Removes every record with {@code seq <= throughSeq}. Idempotent: trimming again, or
   * through a seq at or below an earlier trim, changes nothing. The log's highest seq is kept,
   * so later appends still continue after it. Durable on return.
   *
   * @param log a valid key naming the log
   * @param throughSeq the highest seq to remove
   */
  void trim(String log, long throughSeq);

  /**
   * Deletes the blob or the log named {@code key}; a key ending in {@code /} deletes every blob
   * and log under that prefix. Deleting something absent is not an error.
   *
   * @param key a valid key, or a valid key followed by {@code /} for everything under it
   * @return whether anything existed
   */
  boolean delete(String key);

  /**
   * Lists the names directly under {@code prefix}, like a directory listing: for prefix {@code
   * "sessions/"} and keys {@code sessions/a/x}, {@code sessions/b}, the result is {@code [a,
   * b]}. Blobs, logs and deeper levels all count as children. The result is sorted by name (in
   * {@link String#compareTo} order) and free of duplicates.
   *
   * @return the child names, sorted
   * @param prefix empty for the top level, otherwise a valid key followed by {@code /}
   */
  List<String> list(String prefix);

  /** Releases connections, pools and file handles. Further calls may fail. */
  @Override
  default void close() {}
}
