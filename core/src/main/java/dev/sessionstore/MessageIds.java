package dev.sessionstore;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.UUID;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.jspecify.annotations.Nullable;

/**
 * Fresh message ids: {@code msg_} and 32 lowercase hex digits, laid out as a random (version 4)
 * UUID without its dashes, as {@code UUID.randomUUID()} gave them before. {@code
 * UUID.randomUUID()} runs SecureRandom for every id (0.2-0.4 µs); here the
 * 122 random bits come from one L128X256MixRandom per process (128-bit LCG and 256-bit xoshiro
 * state, all of it seeded from SecureRandom), so ids of different processes are as unlikely to
 * collide as random UUIDs. One generator, not one per thread: a thread per request (virtual
 * threads) would pay for a seed per thread, and the lock is held for two {@code nextLong}s.
 * Where the algorithm is missing (a runtime image without {@code jdk.random}), ids come from
 * {@code UUID.randomUUID()} as before.
 */
final class MessageIds {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  /** Guarded by itself; null without the algorithm. */
  private static final @Nullable RandomGenerator RANDOM = seeded("L128X256MixRandom");

  private MessageIds() {}

  static String next() {
    RandomGenerator r = RANDOM;
    if (r == null) {
      return "msg_" + UUID.randomUUID().toString().replace("-", "");
    }
    long hi;
    long lo;
    synchronized (r) {
      hi = r.nextLong();
      lo = r.nextLong();
    }
    hi = (hi & ~0xF000L) | 0x4000L; // version 4
    lo = (lo & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L; // IETF variant
    byte[] b = new byte[36];
    b[0] = 'm';
    b[1] = 's';
    b[2] = 'g';
    b[3] = '_';
    for (int i = 0; i < 16; i++) {
      b[4 + i] = HEX[(int) (hi >>> (60 - 4 * i)) & 0xF];
      b[20 + i] = HEX[(int) (lo >>> (60 - 4 * i)) & 0xF];
    }
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** Whether ids come from the generator (false: from UUID.randomUUID()). */
  static boolean fast() {
    return RANDOM != null;
  }

  private static @Nullable RandomGenerator seeded(String algorithm) {
    try {
      byte[] seed = new byte[64]; // the generator's whole state
      new SecureRandom().nextBytes(seed);
      return RandomGeneratorFactory.of(algorithm).create(seed);
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      return null;
    }
  }
}
