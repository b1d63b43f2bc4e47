package dev.sessionstore.conformance;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A backend that forwards every call to another one. Extend it to write a decorator that
 * changes one operation, for example a deliberately broken backend that checks the kit catches
 * a bug, or a wrapper that loses a write.
 */
public abstract class ForwardingBackend implements StorageBackend {
  private final StorageBackend delegate;

  /**
   * Forwards to {@code delegate}.
   *
   * @param delegate the backend every call goes to
   */
  protected ForwardingBackend(StorageBackend delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** {@return the backend every call goes to} */
  public final StorageBackend delegate() {
    return delegate;
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
    delegate.close();
  }
}
