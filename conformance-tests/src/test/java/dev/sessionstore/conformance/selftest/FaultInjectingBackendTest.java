package dev.sessionstore.conformance.selftest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.conformance.FaultInjectingBackend;
import dev.sessionstore.conformance.FaultInjectingBackend.Operation;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.ConflictException;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each fault does exactly what its javadoc says, on the reference backend. */
class FaultInjectingBackendTest {
  private static final String LOG = "sessions/a/messages.jsonl";
  private static final String META = "sessions/a/.meta.json";

  private final StorageBackend mem = MemoryStorageProvider.newBackend();
  private final FaultInjectingBackend f = FaultInjectingBackend.wrap(mem);

  private static List<byte[]> recs(long first, int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(("{\"seq\":" + (first + i) + "}").getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void withoutFaultsEverythingPassesThrough() {
    f.put(META, bytes("m"), Precondition.absent());
    f.append(LOG, 1, recs(1, 2));
    f.trim(LOG, 1);
    assertEquals("m", new String(mem.get(META).orElseThrow().value(), StandardCharsets.UTF_8));
    assertEquals(1, mem.read(LOG, 1).records().size());
    assertEquals(3, f.operationCount());
    assertEquals(List.of("1 PUT " + META, "2 APPEND " + LOG, "3 TRIM " + LOG), f.journal());
  }

  @Test
  void loseReportsSuccessAndWritesNothing() {
    f.loseNext(Operation.PUT, ".meta.json");
    String v = f.put(META, bytes("m"), Precondition.absent());
    assertEquals(Optional.empty(), mem.get(META));
    f.put(META, bytes("m2"), Precondition.absent()); // only the next one is lost
    assertNotEquals(v, mem.get(META).orElseThrow().version());
    f.append(LOG, 1, recs(1, 3));
    f.loseNext(Operation.TRIM, "/messages.jsonl");
    f.trim(LOG, 3);
    assertEquals(3, mem.read(LOG, 1).records().size());
    assertEquals(0, f.pendingFaults());
  }

  @Test
  void tearWritesAPrefixAndThrows() {
    f.tearNextAppend("/messages.jsonl", 2);
    assertThrows(StorageException.class, () -> f.append(LOG, 1, recs(1, 3)));
    assertEquals(2, mem.read(LOG, 1).lastSeq());
    f.tearNextAppend("/messages.jsonl", 5); // never the whole batch
    assertThrows(StorageException.class, () -> f.append(LOG, 3, recs(3, 2)));
    assertEquals(3, mem.read(LOG, 1).lastSeq());
  }

  @Test
  void failBeforeOrAfterTheWrite() {
    f.failNext(Operation.PUT, ".meta.json", false);
    assertThrows(StorageException.class, () -> f.put(META, bytes("m"), Precondition.none()));
    assertEquals(Optional.empty(), mem.get(META));
    f.failNext(Operation.PUT, ".meta.json", true);
    assertThrows(StorageException.class, () -> f.put(META, bytes("m"), Precondition.none()));
    assertTrue(mem.get(META).isPresent());
    f.failOperation(2);
    f.get(META);
    assertThrows(StorageException.class, () -> f.get(META));
    f.get(META);
  }

  @Test
  void crashRefusesEverythingAfterTheKthOperationUntilRestart() {
    f.crashAfter(2);
    f.put(META, bytes("m"), Precondition.none());
    f.get(META);
    assertFalse(f.crashed());
    assertThrows(StorageException.class, () -> f.list(""));
    assertThrows(StorageException.class, () -> f.append(LOG, 1, recs(1, 1)));
    assertTrue(f.crashed());
    assertEquals(0, mem.read(LOG, 1).lastSeq(), "a refused operation never reaches storage");
    f.restart();
    assertFalse(f.crashed());
    f.append(LOG, 1, recs(1, 1));
    assertEquals(1, mem.read(LOG, 1).lastSeq());
  }

  @Test
  void crashAfterNextLetsTheMatchingOperationThrough() {
    f.crashAfterNext(Operation.APPEND, "/messages.jsonl");
    f.put(META, bytes("m"), Precondition.none());
    f.append(LOG, 1, recs(1, 1));
    assertThrows(StorageException.class, () -> f.get(META));
    assertEquals(1, mem.read(LOG, 1).lastSeq());
  }

  @Test
  void repeatPerformsTwiceAndReportsTheRetry() {
    f.repeatNext(Operation.APPEND, "/messages.jsonl");
    assertThrows(ConflictException.class, () -> f.append(LOG, 1, recs(1, 2)),
        "the retry of a conditional append conflicts with the first attempt");
    assertEquals(2, mem.read(LOG, 1).lastSeq(), "the first attempt took effect once");
    f.repeatNext(Operation.PUT, ".meta.json");
    String v = f.put(META, bytes("m"), Precondition.none());
    assertEquals(v, mem.get(META).orElseThrow().version());
  }

  @Test
  void readsCannotBeLostOrRepeated() {
    assertThrows(IllegalArgumentException.class, () -> f.loseNext(Operation.GET, ""));
    assertThrows(IllegalArgumentException.class, () -> f.repeatNext(Operation.LIST, ""));
  }
}
