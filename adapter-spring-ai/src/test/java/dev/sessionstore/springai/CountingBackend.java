package dev.sessionstore.springai;

import dev.sessionstore.conformance.ForwardingBackend;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A backend that counts its calls by operation, for the cost tests. */
final class CountingBackend extends ForwardingBackend {
  enum Op { GET, PUT, APPEND, READ, TRIM, DELETE, LIST }

  private final Map<Op, Long> counts = new EnumMap<>(Op.class);

  CountingBackend(StorageBackend delegate) {
    super(delegate);
  }

  /** The calls so far, by operation. */
  synchronized Map<Op, Long> counts() {
    Map<Op, Long> copy = new EnumMap<>(Op.class);
    for (Op op : Op.values()) {
      copy.put(op, counts.getOrDefault(op, 0L));
    }
    return copy;
  }

  private synchronized void count(Op op) {
    counts.merge(op, 1L, Long::sum);
  }

  @Override
  public Optional<Blob> get(String key) {
    count(Op.GET);
    return super.get(key);
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    count(Op.PUT);
    return super.put(key, value, precondition);
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    count(Op.APPEND);
    super.append(log, firstSeq, records);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    count(Op.READ);
    return super.read(log, fromSeq);
  }

  @Override
  public void trim(String log, long throughSeq) {
    count(Op.TRIM);
    super.trim(log, throughSeq);
  }

  @Override
  public boolean delete(String key) {
    count(Op.DELETE);
    return super.delete(key);
  }

  @Override
  public List<String> list(String prefix) {
    count(Op.LIST);
    return super.list(prefix);
  }
}
