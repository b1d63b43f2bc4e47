package dev.sessionstore.jdbc;

import dev.sessionstore.spi.StorageException;

/**
 * A write needs a number beyond what the tables can hold: on H2, whose records are keyed by one
 * packed {@code BIGINT}, a seq above 134,217,727 or a log id above 2^36 - 1 (see the module
 * README). Nothing was written.
 */
public final class StorageLimitException extends StorageException {
  private static final long serialVersionUID = 1L;

  /** The highest value the tables can hold. */
  private final long limit;

  StorageLimitException(String message, long limit) {
    super(message);
    this.limit = limit;
  }

  /**
   * The highest value the tables can hold.
   *
   * @return the limit that the write would have exceeded
   */
  public long limit() {
    return limit;
  }
}
