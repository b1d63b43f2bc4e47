package dev.sessionstore;

/** Told about every heal the store performs; register with {@link SessionStore.Builder}. */
@FunctionalInterface
public interface HealListener {
  /**
   * Called after a session was found inconsistent and repaired. Must not throw.
   *
   * @param report what was repaired
   */
  void onHeal(HealReport report);
}
