package dev.sessionstore.spi;

import java.util.Arrays;
import java.util.Objects;

/**
 * A blob's value together with the version token that identifies it.
 *
 * @param value the bytes (the caller must not modify them)
 * @param version opaque token that changes on every successful put
 */
public record Blob(byte[] value, String version) {
  /**
   * Checks both fields are present.
   *
   * @param value the bytes (the caller must not modify them)
   * @param version opaque token that changes on every successful put
   */
  public Blob {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(version, "version");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Blob b && Arrays.equals(value, b.value) && version.equals(b.version);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(value) + version.hashCode();
  }

  @Override
  public String toString() {
    return "Blob[" + value.length + " bytes, version=" + version + "]";
  }
}
