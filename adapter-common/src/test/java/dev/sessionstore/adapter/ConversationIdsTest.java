package dev.sessionstore.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConversationIdsTest {
  private static final String LONG = "conversation/".repeat(20);

  @Test
  void validIdsMapToThemselves() {
    assertEquals("chat-42", ConversationIds.toSessionId("chat-42"));
    assertEquals("default", ConversationIds.toSessionId("default"));
    assertEquals(Optional.of("chat-42"), ConversationIds.decode("chat-42"));
  }

  @Test
  void otherIdsAreBase64urlEncodedAndDecodeBack() {
    String sid = ConversationIds.toSessionId("user@example.com");
    assertEquals("_b64_dXNlckBleGFtcGxlLmNvbQ", sid);
    assertEquals(Optional.of("user@example.com"), ConversationIds.decode(sid));
  }

  @Test
  void idsThatLookEncodedAreEncodedThemselves() {
    String tricky = "_b64_dXNlckBleGFtcGxlLmNvbQ";
    String sid = ConversationIds.toSessionId(tricky);
    assertTrue(sid.startsWith("_b64_") && !sid.equals(tricky));
    assertEquals(Optional.of(tricky), ConversationIds.decode(sid));
  }

  @Test
  void longIdsAreHashedAndFlaggedAsSuch() {
    String sid = ConversationIds.toSessionId(LONG);
    assertTrue(ConversationIds.isHashed(sid));
    assertEquals(128, sid.length());
    assertEquals(Optional.empty(), ConversationIds.decode(sid));
  }

  @Test
  void everyMappedIdIsAValidSessionIdAndNoTwoIdsShareOne() {
    List<String> ids = List.of("a", "A", "a b", "a/b", "../x", "é", "日本語", "x".repeat(128),
        "x".repeat(129), "_b64_", "_sha_", "_b64_YQ", "YQ", "\u0000", "1", "01", " ", LONG,
        LONG + "x", "y".repeat(92), "y".repeat(93), "ü".repeat(46), "ü".repeat(47));
    Map<String, String> seen = new HashMap<>();
    for (String id : ids) {
      String sid = ConversationIds.toSessionId(id);
      assertTrue(sid.matches("[A-Za-z0-9_-]{1,128}"), id + " -> " + sid);
      String before = seen.put(sid, id);
      assertEquals(null, before, "collision: " + before + " and " + id);
      ConversationIds.decode(sid).ifPresent(back -> assertEquals(id, back));
    }
  }

  @Test
  void emptyIdIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> ConversationIds.toSessionId(""));
  }
}
