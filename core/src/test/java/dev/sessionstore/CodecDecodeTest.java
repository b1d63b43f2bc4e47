package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A record read from a log is validated in one streaming pass and its parts decoded later; the
 * result must be exactly what building the whole JSON tree gives, and a record the tree path
 * refuses must be refused at load, not when its parts are first read.
 */
class CodecDecodeTest {
  private final Codec codec = new Codec(1 << 20, 64);

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of("plain", "{\"seq\":3,\"id\":\"m1\",\"role\":\"user\",\"parts\":[{\"type\":\"text\","
            + "\"text\":\"hi\"}],\"created_at\":\"2026-01-01T00:00:00Z\"}"),
        Arguments.of("extra fields kept in order", "{\"id\":\"m1\",\"role\":\"tool\",\"z\":1,"
            + "\"parts\":[],\"a\":{\"b\":[1,2,{\"c\":null}]},\"created_at\":\"t\"}"),
        Arguments.of("no seq (written by OpenViking)", "{\"id\":\"m1\",\"role\":\"user\","
            + "\"parts\":[{\"type\":\"tool\",\"tool_input\":{\"x\":[true]}}]}"),
        Arguments.of("parts null", "{\"id\":\"m1\",\"role\":\"user\",\"parts\":null}"),
        Arguments.of("parts missing", "{\"id\":\"m1\",\"role\":\"user\"}"),
        Arguments.of("id missing", "{\"role\":\"user\",\"parts\":[]}"),
        Arguments.of("numeric id", "{\"id\":42,\"role\":\"user\",\"parts\":[]}"),
        Arguments.of("null created_at", "{\"id\":\"m\",\"role\":\"user\",\"created_at\":null}"),
        Arguments.of("float seq", "{\"seq\":2.5,\"id\":\"m\",\"role\":\"user\"}"),
        Arguments.of("text seq", "{\"seq\":\"7\",\"id\":\"m\",\"role\":\"user\"}"),
        Arguments.of("huge seq", "{\"seq\":123456789012345678901234567890,\"id\":\"m\","
            + "\"role\":\"user\"}"),
        Arguments.of("repeated id: the last wins", "{\"id\":\"a\",\"role\":\"user\",\"id\":\"b\"}"),
        Arguments.of("repeated type: the last wins",
            "{\"id\":\"m\",\"role\":\"user\",\"parts\":[{\"type\":1,\"type\":\"text\"}]}"),
        Arguments.of("escapes and non-ASCII", "{\"id\":\"m\\u00e9\",\"role\":\"us\\\"er\","
            + "\"parts\":[{\"type\":\"text\",\"text\":\"caf\u00e9 \u6f22 \\n\"}]}"),
        Arguments.of("trailing text after the object", "{\"id\":\"m\",\"role\":\"user\"} x"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void aStreamedRecordDecodesToWhatTheTreeGives(String name, String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    for (long seq : new long[] {0, 9}) {
      LiveEntry tree = codec.decodeTree(bytes, seq, "log");
      LiveEntry streamed = codec.decodeEntry(bytes.clone(), seq, "log", 0);
      assertEquals(tree.seqInRecord(), streamed.seqInRecord(), name);
      assertEquals(tree.seq(), streamed.seq(), name);
      assertEquals(tree.id(), streamed.id(), name);
      assertEquals(tree.message().role(), streamed.message().role(), name);
      assertEquals(tree.message().createdAt(), streamed.message().createdAt(), name);
      assertEquals(tree.message().parts(), streamed.message().parts(), name);
      assertEquals(tree.message().extraFields(), streamed.message().extraFields(), name);
      assertEquals(List.copyOf(tree.message().extraFields().keySet()),
          List.copyOf(streamed.message().extraFields().keySet()), name);
      assertEquals(tree.message(), streamed.message(), name);
    }
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("not an object", "[1,2]"),
        Arguments.of("no role", "{\"id\":\"m\",\"parts\":[]}"),
        Arguments.of("blank role", "{\"id\":\"m\",\"role\":\"  \"}"),
        Arguments.of("parts not an array", "{\"id\":\"m\",\"role\":\"user\",\"parts\":{}}"),
        Arguments.of("part not an object", "{\"id\":\"m\",\"role\":\"user\",\"parts\":[\"x\"]}"),
        Arguments.of("part without type", "{\"id\":\"m\",\"role\":\"user\",\"parts\":[{}]}"),
        Arguments.of("part with a numeric type",
            "{\"id\":\"m\",\"role\":\"user\",\"parts\":[{\"type\":3}]}"),
        Arguments.of("broken syntax deep inside an extra field",
            "{\"id\":\"m\",\"role\":\"user\",\"x\":{\"y\":[1,}}"),
        Arguments.of("unterminated", "{\"id\":\"m\",\"role\":\"user\",\"parts\":[{\"type\":\"t"),
        Arguments.of("nested deeper than the limit",
            "{\"id\":\"m\",\"role\":\"user\",\"x\":" + "[".repeat(100) + "]".repeat(100) + "}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void aRecordTheTreeRefusesIsRefusedAtLoad(String name, String json) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    assertThrows(CorruptSessionException.class, () -> codec.decodeTree(bytes, 1, "log"), name);
    CorruptSessionException e = assertThrows(CorruptSessionException.class,
        () -> codec.decodeEntry(bytes, 1, "log", 0), name);
    assertTrue(e.getMessage().contains("log seq 1"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void aRecordIsWrittenAsItsTreeIs(String name, String json) throws Exception {
    Message m = codec.decodeTree(json.getBytes(StandardCharsets.UTF_8), 0, "log").message();
    for (long seq : new long[] {0, 12}) {
      assertEquals(codec.mapper().writeValueAsString(codec.toJson(m, seq)),
          new String(codec.encodeRecord(m, seq), StandardCharsets.UTF_8), name);
    }
  }

  @org.junit.jupiter.api.Test
  void invalidUtf8InsideASkippedStringIsRefusedAtLoad() {
    byte[] head = "{\"id\":\"m\",\"role\":\"user\",\"x\":\"a".getBytes(StandardCharsets.UTF_8);
    byte[] tail = "\"}".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = new byte[head.length + 2 + tail.length];
    System.arraycopy(head, 0, bytes, 0, head.length);
    bytes[head.length] = (byte) 0xC3; // a two-byte lead followed by a byte that cannot continue it
    bytes[head.length + 1] = (byte) 0x41;
    System.arraycopy(tail, 0, bytes, head.length + 2, tail.length);
    assertThrows(CorruptSessionException.class, () -> codec.decodeTree(bytes, 1, "log"));
    assertThrows(CorruptSessionException.class, () -> codec.decodeEntry(bytes, 1, "log", 0));
  }

  @org.junit.jupiter.api.Test
  void anArchiveLineIsNamedInErrorsAndBlankLinesAreSkipped() {
    byte[] body = ("{\"seq\":1,\"id\":\"a\",\"role\":\"user\"}\n\n  \n"
        + "{\"seq\":2,\"id\":\"b\"}\n").getBytes(StandardCharsets.UTF_8);
    CorruptSessionException e = assertThrows(CorruptSessionException.class,
        () -> codec.decodeJsonl(body, "archive"));
    assertTrue(e.getMessage().contains("archive line 4"), e.getMessage());
    byte[] good = ("{\"seq\":1,\"id\":\"a\",\"role\":\"user\"}\n\n"
        + "{\"seq\":2,\"id\":\"b\",\"role\":\"assistant\"}").getBytes(StandardCharsets.UTF_8);
    List<Message> read = codec.decodeJsonl(good, "archive");
    assertEquals(List.of("a", "b"), read.stream().map(Message::id).toList());
    assertEquals(List.of(1L, 2L), read.stream().map(Message::seq).toList());
  }

  @org.junit.jupiter.api.Test
  void utf8ValidityIsFoundAtItsByteOffset_acrossTheDecodersBufferBoundary() {
    String euros = "\u20ac".repeat(5000); // 15,000 bytes: more than one pass of the buffer
    byte[] valid = ("{\"id\":\"a\",\"role\":\"user\",\"x\":\"" + euros + "\"}\n")
        .getBytes(StandardCharsets.UTF_8);
    assertEquals(-1, Codec.firstInvalidUtf8(valid));
    assertEquals(-1, Codec.firstInvalidUtf8(new byte[0]));
    int at = valid.length - 3; // inside the closing quote, brace and newline
    record Case(String what, byte[] insert, int expectedOffsetFromAt) {}
    for (Case c : List.of(
        new Case("a lead byte with no continuation", new byte[] {(byte) 0xC3, 0x41}, 0),
        new Case("an overlong NUL", new byte[] {(byte) 0xC0, (byte) 0x80}, 0),
        new Case("a UTF-16 surrogate", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, 0),
        new Case("a stray continuation byte", new byte[] {(byte) 0x80}, 0))) {
      byte[] bad = new byte[valid.length + c.insert().length];
      System.arraycopy(valid, 0, bad, 0, at);
      System.arraycopy(c.insert(), 0, bad, at, c.insert().length);
      System.arraycopy(valid, at, bad, at + c.insert().length, valid.length - at);
      assertEquals(at + c.expectedOffsetFromAt(), Codec.firstInvalidUtf8(bad), c.what());
      CorruptSessionException e = assertThrows(CorruptSessionException.class,
          () -> codec.decodeJsonl(bad, "archive"), c.what());
      assertTrue(e.getMessage().contains("archive is not valid UTF-8 at byte " + at),
          e.getMessage());
    }
    byte[] truncated = Arrays.copyOf(valid, valid.length - 2); // drop the newline and the brace
    truncated[truncated.length - 1] = (byte) 0xE2; // the first byte of a three-byte sequence, last
    assertEquals(truncated.length - 1, Codec.firstInvalidUtf8(truncated));
  }
}
