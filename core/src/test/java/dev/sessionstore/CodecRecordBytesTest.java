package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.StorageBackend;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The stored format does not depend on how a record is written: the bytes the append path
 * writes (the body encoded once without its seq, the seq spliced in) are exactly what Jackson
 * writes for the message's whole JSON tree, for every kind of part, value and extra field,
 * and so are the records an append stores, one message at a time or in a batch.
 */
class CodecRecordBytesTest {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private final Codec codec = new Codec(1 << 20, 64);
  private final ObjectMapper mapper = codec.mapper();

  /** A value of every node kind, nested. */
  private static ObjectNode everyKind() {
    ObjectNode n = F.objectNode();
    n.put("text", "quote \" backslash \\ tab \t newline \n nul \u0000 é 日本 😀 \u2028");
    n.put("int", -42);
    n.put("long", 1L << 40);
    n.put("short", (short) 7);
    n.put("double", 0.1);
    n.put("double exp", 1.0e300);
    n.put("float", 2.5f);
    n.put("big integer", new BigInteger("123456789012345678901234567890"));
    n.put("big decimal", new BigDecimal("1.50E+3"));
    n.put("true", true);
    n.put("false", false);
    n.putNull("null");
    n.put("binary", new byte[] {0, 1, 2, (byte) 0xff});
    n.putPOJO("pojo", List.of(1, "two"));
    n.putObject("empty object");
    n.putArray("empty array");
    n.putArray("array").add(1).add("x").addNull().add(F.objectNode().put("k", 2.0))
        .add(F.arrayNode().add(F.arrayNode().add(true)));
    n.set("deep", F.objectNode().set("a", F.objectNode().set("b", F.arrayNode().add(
        F.objectNode().put("c", "d")))));
    return n;
  }

  static Stream<Arguments> messages() {
    ObjectNode custom = F.objectNode().put("type", "image").put("url", "https://x/y.png");
    custom.set("meta", everyKind());
    return Stream.of(
        Arguments.of("one text part", Message.user("hello")),
        Arguments.of("no parts", Message.builder().id("m").role("system").createdAt("t").build()),
        Arguments.of("empty text, odd role", Message.builder().role("tool").addPart(Part.text(""))
            .build()),
        Arguments.of("every part kind", Message.builder().id("msg_1").role("assistant")
            .addPart(Part.text("answer"))
            .addPart(Part.context("viking://m/1", "memory", "an abstract"))
            .addPart(Part.tool("call_1", "search", "completed", everyKind(), "out \"put\""))
            .addPart(Part.tool("call_2", "noop", "pending", null, null))
            .addPart(Part.of(custom))
            .createdAt("2026-11-30T07:00:00.123456Z").build()),
        Arguments.of("extra fields of every kind", Message.builder().role("user")
            .addPart(Part.text("x"))
            .extraField("peer_id", F.textNode("peer-7"))
            .extraField("n", F.numberNode(3))
            .extraField("nothing", F.nullNode())
            .extraField("flag", F.booleanNode(true))
            .extraField("list", F.arrayNode().add(1).add(F.objectNode()))
            .extraField("all", everyKind())
            .build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void theAppendPathWritesWhatTheTreeGives(String name, Message m) throws Exception {
    byte[] body = codec.encodeRecord(m, 0);
    assertEquals(text(mapper.writeValueAsBytes(codec.toJson(m, 0))), text(body));
    for (long seq : new long[] {1, 9, 10, 99, 100, 123_456_789, Long.MAX_VALUE}) {
      byte[] tree = mapper.writeValueAsBytes(codec.toJson(m, seq));
      assertEquals(text(tree), text(codec.encodeRecord(m, seq)), "seq " + seq);
      assertEquals(text(tree), text(Codec.withSeq(body, seq)), "spliced seq " + seq);
    }
  }

  @Test
  void appendsStoreWhatTheTreeGivesAloneAndInBatches() throws Exception {
    StorageBackend mem = MemoryStorageProvider.newBackend();
    List<Message> table = messages().map(a -> (Message) a.get()[1]).toList();
    try (SessionStore store = TestStores.store(mem)) {
      Session s = store.session("bytes");
      List<Message> stored = new ArrayList<>();
      for (Message m : table) {
        stored.add(s.append(m)); // one message: the single-message path
      }
      stored.addAll(s.append(table.stream().map(m -> m.toBuilder().id(m.id() + "-b").build())
          .toList())); // a batch
      List<LogRecord> records = mem.read(SessionLayout.log("bytes"), 1).records();
      assertEquals(stored.size(), records.size());
      for (int i = 0; i < stored.size(); i++) {
        Message m = stored.get(i);
        assertEquals(text(mapper.writeValueAsBytes(codec.toJson(m, m.seq()))),
            text(records.get(i).data()), m.id());
      }
    }
  }

  @Test
  void aSeqIsSplicedIntoAnEmptyObjectWithoutAComma() {
    assertEquals("{\"seq\":0}", text(Codec.withSeq("{}".getBytes(StandardCharsets.US_ASCII), 0)));
    assertEquals("{\"seq\":7,\"a\":1}",
        text(Codec.withSeq("{\"a\":1}".getBytes(StandardCharsets.US_ASCII), 7)));
  }

  @Test
  void depthIsCountedAsBeforeForFlatAndNestedValues() {
    assertEquals(0, Codec.depthOf(F.textNode("x")));
    assertEquals(1, Codec.depthOf(F.objectNode()));
    assertEquals(1, Codec.depthOf(F.objectNode().put("a", 1).put("b", "c")));
    assertEquals(2, Codec.depthOf(F.arrayNode().add(1).add(F.arrayNode())));
    ObjectNode inner = F.objectNode();
    inner.putArray("c");
    assertEquals(4, Codec.depthOf(F.objectNode().put("a", 1).set("b", F.arrayNode().add(inner))));
    assertEquals(3, Codec.depthOf(F.arrayNode().add(F.arrayNode().add(F.arrayNode().add(1)))));
    JsonNode every = everyKind();
    assertEquals(5, Codec.depthOf(every));
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
