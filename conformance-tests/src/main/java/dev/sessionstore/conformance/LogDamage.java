package dev.sessionstore.conformance;

import dev.sessionstore.spi.StorageBackend;

/**
 * Hand-made damage to a stored log, done the way an operator or a faulty tool would: past the
 * SPI, on the files or rows themselves. The SPI cannot do it (appends are gap-free, trims only
 * cut the head), so a backend's kit class offers it through {@link KitFixture#logDamage()}, and
 * the {@code LiveLogDamage} rules then check that {@code check} reports the damage, writes
 * nothing, and that neither a plain open nor a repair drops an acknowledged message because of
 * it. For example, on a JDBC backend: {@code DELETE FROM <prefix>records WHERE log_key = ? AND
 * seq = ?}, with both values bound.
 */
@FunctionalInterface
public interface LogDamage {
  /**
   * Removes the stored record at {@code seq} from {@code log}, leaving every other record and
   * the log's high-water mark as they are.
   *
   * @param backend a backend the kit made (the hook may reach its files or rows)
   * @param log a log key of {@code backend}
   * @param seq the seq of a record the log holds
   * @throws Exception if the storage cannot be edited (the rule fails)
   */
  void deleteRecord(StorageBackend backend, String log, long seq) throws Exception;
}
