package dev.sessionstore;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.UUID;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import org.jspecify.annotations.Nullable;

/**
 * Fresh message ids: {@code msg_} and 32 lowercase hex digits, laid out as a random (version 4)
 * UUID without its dashes, as {@code UUID.randomUUID()} gave them before and as OpenViking
 * writes them. {@code UUID.randomUUID()} asks the shared SecureRandom for every id (0.2-0.4 µs,
 * under its lock); here each thread draws the 122 random bits from its own L128X256MixRandom
 * (128-bit LCG and 256-bit xoshiro state, the whole state seeded from SecureRandom), so ids of
 * different threads and processes are as unlikely to collide as random UUIDs. Where that
 * algorithm is missing (a runtime image without {@code jdk.random}), ids come from
 * {@code UUID.randomUUID()} as before.
 */
final class MessageIds {
  private static final String ALGORITHM = "L128X256MixRandom";
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom SEEDS = new SecureRandom();
  private static final @Nullable RandomGeneratorFactory<RandomGenerator> FACTORY = factory();
  private static final ThreadLocal<RandomGenerator> RANDOM =
      ThreadLocal.withInitial(MessageIds::seeded);

  private MessageIds() {}

  static String next() {
    if (FACTORY == null) {
      return "msg_" + UUID.randomUUID().toString().replace("-", "");
    }
    RandomGenerator r = RANDOM.get();
    long hi = (r.nextLong() & ~0xF000L) | 0x4000L; // version 4
    long lo = (r.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L; // IETF variant
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

  /** Whether ids come from the per-thread generator (false: from UUID.randomUUID()). */
  static boolean fast() {
    return FACTORY != null;
  }

  private static @Nullable RandomGeneratorFactory<RandomGenerator> factory() {
    try {
      RandomGeneratorFactory<RandomGenerator> f = RandomGeneratorFactory.of(ALGORITHM);
      f.create(new byte[64]); // fails here, not on the first id, if byte seeds are unsupported
      return f;
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      return null;
    }
  }

  private static RandomGenerator seeded() {
    byte[] seed = new byte[64];
    SEEDS.nextBytes(seed);
    return FACTORY.create(seed);
  }
}
