package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.LogRecord;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
  void theDirectWriterWritesWhatTheGeneratorWritesForRandomMessages() throws Exception {
    SplittableRandom r = new SplittableRandom(20261130);
    int direct = 0;
    int refused = 0;
    for (int i = 0; i < 5_000; i++) {
      Message m = randomMessage(r);
      long seq = r.nextInt(4) == 0 ? 0 : r.nextLong(1, Long.MAX_VALUE);
      byte[] tree;
      try {
        tree = mapper.writeValueAsBytes(codec.toJson(m, seq));
      } catch (IOException e) {
        assertThrows(InvalidMessageException.class, () -> codec.encodeRecord(m, seq));
        refused++;
        continue;
      }
      byte[] mine = RecordWriter.write(m, seq);
      if (mine != null) {
        assertArrayEquals(tree, mine, text(tree));
        direct++;
      }
      assertArrayEquals(tree, codec.encodeRecord(m, seq), text(tree));
    }
    assertTrue(direct > 3_000, "written directly: " + direct + ", refused: " + refused);
  }

  @Test
  void theDirectWriterLeavesOtherShapesToTheGenerator() {
    assertNotNull(RecordWriter.write(Message.user("plain é 日本"), 3));
    assertNull(RecordWriter.write(Message.builder().role("user")
        .extraField("score", F.numberNode(0.5)).build(), 0));
    assertNull(RecordWriter.write(Message.user("a pair \ud83d\ude00"), 0)); // escaped there
    assertNull(RecordWriter.write(Message.user("a stray \ud83d"), 0));
    assertNull(RecordWriter.write(Message.builder().role("user")
        .addPart(Part.of(F.objectNode().put("type", "x").put("n", new BigInteger("1")))).build(),
        0));
  }

  /** For the message being built: 0 no surrogates, 1 pairs, 2 pairs and strays. */
  private static int surrogates;

  private static Message randomMessage(SplittableRandom r) {
    int dice = r.nextInt(20);
    surrogates = dice < 12 ? 0 : dice < 17 ? 1 : 2; // surrogates send it to the generator
    Message.Builder b = Message.builder().id(randomString(r)).role("r" + randomString(r))
        .createdAt(randomString(r));
    int parts = r.nextInt(4);
    for (int i = 0; i < parts; i++) {
      ObjectNode part = randomObject(r, 3);
      part.put("type", randomString(r));
      b.addPart(Part.of(part));
    }
    int extras = r.nextInt(3);
    for (int i = 0; i < extras; i++) {
      b.extraField("x" + randomString(r), randomNode(r, 3));
    }
    return b.build();
  }

  private static JsonNode randomNode(SplittableRandom r, int depth) {
    int kind = r.nextInt(depth > 0 ? 10 : 8);
    return switch (kind) {
      case 0, 1 -> F.textNode(randomString(r));
      case 2 -> F.numberNode(r.nextInt());
      case 3 -> F.numberNode(r.nextLong());
      case 4 -> F.numberNode(r.nextInt(-3, 3));
      case 5 -> F.booleanNode(r.nextBoolean());
      case 6 -> F.nullNode();
      case 7 -> r.nextInt(20) == 0 ? F.numberNode(r.nextDouble()) : F.textNode("");
      case 8 -> randomObject(r, depth - 1);
      default -> {
        ArrayNode a = F.arrayNode();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          a.add(randomNode(r, depth - 1));
        }
        yield a;
      }
    };
  }

  private static ObjectNode randomObject(SplittableRandom r, int depth) {
    ObjectNode o = F.objectNode();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      o.set(randomString(r), randomNode(r, depth));
    }
    return o;
  }

  /** Mostly ASCII, with every kind of character the escaping and UTF-8 treat apart. */
  private static String randomString(SplittableRandom r) {
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(12);
    for (int i = 0; i < n; i++) {
      int kind = r.nextInt(100);
      if (kind < 40) {
        sb.append((char) r.nextInt(0x20, 0x7f));
      } else if (kind < 55) {
        sb.append((char) (r.nextInt(8) == 0 ? 0x7f : r.nextInt(0x20)));
      } else if (kind < 65) {
        sb.append(r.nextBoolean() ? '"' : '\\');
      } else if (kind < 78) {
        sb.append((char) r.nextInt(0x80, 0x800));
      } else if (kind < 92) {
        char c;
        do {
          c = (char) r.nextInt(0x800, 0x10000);
        } while (Character.isSurrogate(c));
        sb.append(c);
      } else if (surrogates == 0) {
        sb.append('s');
      } else if (kind < 98 || surrogates == 1) {
        sb.appendCodePoint(r.nextInt(0x10000, 0x110000));
      } else {
        sb.append((char) r.nextInt(0xD800, 0xE000)); // a lone surrogate
      }
    }
    return sb.toString();
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
