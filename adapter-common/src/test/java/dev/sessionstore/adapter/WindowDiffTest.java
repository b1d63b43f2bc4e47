package dev.sessionstore.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WindowDiffTest {

  private static int[] live(int archived, int count) {
    int[] pos = new int[archived + count];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = i < archived ? -1 : i - archived;
    }
    return pos;
  }

  /** Plans with system messages (keys starting with S) allowed in front. */
  private static WindowDiff.Plan plan(List<String> stored, int[] livePos, int pinned, List<String> window) {
    boolean[] pinnable = new boolean[window.size()];
    for (int i = 0; i < pinnable.length; i++) {
      pinnable[i] = window.get(i).startsWith("S");
    }
    return WindowDiff.plan(stored, livePos, pinned, window, pinnable);
  }

  @Test
  void appendedMessagesAreNewAndNothingIsArchived() {
    var plan = plan(List.of("a", "b"), live(0, 2), 0, List.of("a", "b", "c", "d"));
    assertEquals(List.of(2, 3), plan.newIndices());
    assertEquals(0, plan.cut());
    assertEquals(0, plan.pinnedCount());
  }

  @Test
  void sameWindowAgainChangesNothing() {
    var plan = plan(List.of("s", "a", "b"), new int[] {-1, 0, 1}, 1, List.of("s", "a", "b"));
    assertEquals(List.of(), plan.newIndices());
    assertEquals(0, plan.cut());
    assertEquals(1, plan.pinnedCount());
  }

  @Test
  void evictedOldestMessagesAreCutFromTheFrontOfTheLog() {
    var plan = plan(List.of("a", "b", "c"), live(0, 3), 0, List.of("c", "d"));
    assertEquals(List.of(1), plan.newIndices());
    assertEquals(2, plan.cut());
    assertEquals(0, plan.pinnedCount());
  }

  @Test
  void pinnedSystemMessageInFrontOfEvictedOnesIsArchivedWithThemAndStaysPinned() {
    // live log [S, u1, a1, u2], window keeps S and evicts u1, a1
    var plan = plan(List.of("S", "u1", "a1", "u2"), live(0, 4), 0,
        List.of("S", "u2", "a2"));
    assertEquals(List.of(2), plan.newIndices());
    assertEquals(3, plan.cut(), "S, u1, a1 go into the archive");
    assertEquals(1, plan.pinnedCount(), "S stays at the window's front, pinned");
  }

  @Test
  void alreadyPinnedMessageStaysPinnedWhileTheLogIsCut() {
    var plan = plan(List.of("S", "u2", "a2"), new int[] {-1, 0, 1}, 1,
        List.of("S", "a2", "u3"));
    assertEquals(1, plan.cut());
    assertEquals(1, plan.pinnedCount());
    assertArrayEquals(new int[] {0, 2, -1}, plan.matched());
  }

  @Test
  void replacedPinnedMessageLeavesThePinsWithoutACommit() {
    var plan = plan(List.of("S1", "u2", "a2"), new int[] {-1, 0, 1}, 1,
        List.of("u2", "a2", "S2"));
    assertEquals(0, plan.cut());
    assertEquals(0, plan.pinnedCount());
    assertEquals(List.of(2), plan.newIndices());
  }

  @Test
  void newMessageInsertedAtTheFrontIsPinned() {
    // a framework that keeps the system message first inserts the new one at index 0
    var plan = plan(List.of("S1", "u1", "a1"), live(0, 3), 0, List.of("S2", "u1", "a1"));
    assertEquals(List.of(0), plan.newIndices());
    assertEquals(1, plan.cut(), "S1 left the window");
    assertEquals(1, plan.pinnedCount());
  }

  @Test
  void repeatedContentIsMatchedToTheNewestCopies() {
    var plan = plan(List.of("yes", "ok", "yes", "ok"), live(0, 4), 0,
        List.of("ok", "yes", "ok", "yes", "ok"));
    assertArrayEquals(new int[] {1, 2, 3, -1, -1}, plan.matched());
    assertEquals(1, plan.cut());
  }

  @Test
  void emptyWindowArchivesEverything() {
    var plan = plan(List.of("S", "a", "b"), new int[] {-1, 0, 1}, 1, List.of());
    assertEquals(2, plan.cut());
    assertEquals(0, plan.pinnedCount());
  }

  @Test
  void unrelatedWindowArchivesTheOldAndAppendsTheNew() {
    var plan = plan(List.of("a", "b"), live(0, 2), 0, List.of("x", "y"));
    assertEquals(List.of(0, 1), plan.newIndices());
    assertEquals(2, plan.cut());
    assertEquals(0, plan.pinnedCount());
  }
}
