package dev.sessionstore.localfs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class JsonLinesTest {
  static long prefix(String line) {
    byte[] b = line.getBytes(UTF_8);
    return JsonLines.seqPrefix(b, 0, b.length);
  }

  @Test
  void theSeqOfCoresRecordsIsReadFromTheirFirstMember() {
    assertEquals(7, prefix("{\"seq\":7,\"role\":\"user\"}"));
    assertEquals(123456789012L, prefix("{\"seq\":123456789012}"));
    assertEquals(-2, prefix("{\"role\":\"user\",\"seq\":7}"), "not first: parsed in full");
    assertEquals(-2, prefix("{ \"seq\":7}"));
    assertEquals(-2, prefix("{\"seq\":07,"));
    assertEquals(-2, prefix("{\"seq\":7.5}"));
    assertEquals(-2, prefix("{\"seq\":1234567890123456789}"), "too long to be sure of");
  }

  @Test
  void onlyTheLastLineIsParsedInFullWhenItCarriesThePrefix() throws Exception {
    byte[] b = "{\"seq\":1,broken\n{\"seq\":2,\"x\":1}\n{\"seq\":3,\"x\":\n".getBytes(UTF_8);
    JsonLines.Scan s = JsonLines.scan(b, 0, b.length, 0);
    assertEquals(2, s.count, "the middle line is taken at its word; the last one is torn");
    assertEquals(2, s.lastSeq());
    assertEquals(b.length - "{\"seq\":3,\"x\":\n".length(), s.tornStart);
    byte[] c = "{\"text\":1,broken\n{\"seq\":2}\n".getBytes(UTF_8);
    assertThrows(JsonLines.BadLine.class, () -> JsonLines.scan(c, 0, c.length, 0),
        "a line without the prefix is parsed wherever it is");
  }
}
