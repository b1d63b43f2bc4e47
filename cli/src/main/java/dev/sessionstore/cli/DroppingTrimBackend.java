package dev.sessionstore.cli;

import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.LogSlice;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A fault: a backend whose {@link #trim} reports success but does nothing, as when the write
 * that clears the live log after a commit is lost. Closing it leaves the real backend open.
 */
final class DroppingTrimBackend implements StorageBackend {
  private final StorageBackend real;
  private int dropped;

  DroppingTrimBackend(StorageBackend real) {
    this.real = real;
  }

  /** How many trims were swallowed. */
  int dropped() {
    return dropped;
  }

  @Override
  public Set<Capability> capabilities() {
    return real.capabilities();
  }

  @Override
  public Optional<Blob> get(String key) {
    return real.get(key);
  }

  @Override
  public String put(String key, byte[] value, Precondition precondition) {
    return real.put(key, value, precondition);
  }

  @Override
  public void append(String log, long firstSeq, List<byte[]> records) {
    real.append(log, firstSeq, records);
  }

  @Override
  public LogSlice read(String log, long fromSeq) {
    return real.read(log, fromSeq);
  }

  @Override
  public synchronized void trim(String log, long throughSeq) {
    dropped++; // the lost clear
  }

  @Override
  public boolean delete(String key) {
    return real.delete(key);
  }

  @Override
  public List<String> list(String prefix) {
    return real.list(prefix);
  }
}
