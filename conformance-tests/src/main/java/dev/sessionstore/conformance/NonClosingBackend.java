package dev.sessionstore.conformance;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A view of a backend whose close() does nothing: a SessionStore closes its backend, but the kit
 * opens several stores over one backend (a reopen after a crash) and closes it once itself.
 */
final class NonClosingBackend implements StorageBackend {
  private final StorageBackend delegate;

  NonClosingBackend(StorageBackend delegate) {
    this.delegate = delegate;
  }

  @Override
  public Set<Capability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public Optional<Blob> get(String key) {
    return delegate.get(key);
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    return delegate.put(key, value, precondition);
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    delegate.append(log, firstSeq, records);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    return delegate.read(log, fromSeq);
  }

  @Override
  public void trim(String log, long throughSeq) {
    delegate.trim(log, throughSeq);
  }

  @Override
  public boolean delete(String key) {
    return delegate.delete(key);
  }

  @Override
  public List<String> list(String prefix) {
    return delegate.list(prefix);
  }

  @Override
  public void close() {
    // the kit closes the real backend after the test
  }
}
