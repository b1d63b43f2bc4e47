package dev.sessionstore.spi;

import dev.sessionstore.SessionStoreException;

/** A write required an existing blob (a matches-version precondition) and there was none. */
public class NotFoundException extends SessionStoreException {
  private static final long serialVersionUID = 1L;

  /** @param message what was missing, naming the key */
  public NotFoundException(String message) {
    super(message);
  }
}
