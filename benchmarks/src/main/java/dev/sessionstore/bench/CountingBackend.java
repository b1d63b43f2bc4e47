package dev.sessionstore.bench;

import dev.sessionstore.conformance.ForwardingBackend;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Counts the storage calls core makes (every SPI method but capabilities and close). */
final class CountingBackend extends ForwardingBackend {
  final AtomicLong calls = new AtomicLong();

  CountingBackend(StorageBackend delegate) {
    super(delegate);
  }

  @Override
  public Optional<Blob> get(String key) {
    calls.incrementAndGet();
    return super.get(key);
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    calls.incrementAndGet();
    return super.put(key, value, precondition);
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    calls.incrementAndGet();
    super.append(log, firstSeq, records);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    calls.incrementAndGet();
    return super.read(log, fromSeq);
  }

  @Override
  public void trim(String log, long throughSeq) {
    calls.incrementAndGet();
    super.trim(log, throughSeq);
  }

  @Override
  public boolean delete(String key) {
    calls.incrementAndGet();
    return super.delete(key);
  }

  @Override
  public List<String> list(String prefix) {
    calls.incrementAndGet();
    return super.list(prefix);
  }
}
