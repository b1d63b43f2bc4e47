package dev.sessionstore.conformance;

import dev.sessionstore.conformance.FaultInjectingBackend.Operation;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Counts the calls made to a backend, by operation: for tests and benchmarks that assert or
 * print how much storage work an operation of core costs (calls are behaviour; times are not).
 */
public final class CountingBackend extends ForwardingBackend {
  private final Map<Operation, Long> counts = new EnumMap<>(Operation.class);

  /**
   * Counts the calls to {@code delegate}.
   *
   * @param delegate the backend every call goes to
   */
  public CountingBackend(StorageBackend delegate) {
    super(delegate);
  }

  /** {@return the calls so far, by operation (every operation present, zero if never called)} */
  public synchronized Map<Operation, Long> counts() {
    Map<Operation, Long> copy = new EnumMap<>(Operation.class);
    for (Operation op : Operation.values()) {
      copy.put(op, counts.getOrDefault(op, 0L));
    }
    return copy;
  }

  /** {@return all calls so far} */
  public synchronized long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  private synchronized void count(Operation op) {
    counts.merge(op, 1L, Long::sum);
  }

  @Override
  public Optional<Blob> get(String key) {
    count(Operation.GET);
    return super.get(key);
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    count(Operation.PUT);
    return super.put(key, value, precondition);
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    count(Operation.APPEND);
    super.append(log, firstSeq, records);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    count(Operation.READ);
    return super.read(log, fromSeq);
  }

  @Override
  public void trim(String log, long throughSeq) {
    count(Operation.TRIM);
    super.trim(log, throughSeq);
  }

  @Override
  public boolean delete(String key) {
    count(Operation.DELETE);
    return super.delete(key);
  }

  @Override
  public List<String> list(String prefix) {
    count(Operation.LIST);
    return super.list(prefix);
  }
}
