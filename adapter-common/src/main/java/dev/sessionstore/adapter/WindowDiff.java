package dev.sessionstore.adapter;

import java.util.ArrayList;
import java.util.List;

/**
 * What a replace-all window update means for the stored session, as a pure function of message
 * keys (the canonical payload texts).
 *
 * <p>The stored window is {@code V = pinned ++ rest}: the pinned messages stand at the window's
 * front although the live log does not hold them there (they were archived, or appended later
 * than the messages behind them); {@code rest} is the live log without the pinned messages, in
 * log order. The new window {@code W} is read as {@code A ++ B ++ C}: {@code B} is the longest
 * run of {@code W} that is a subsequence of {@code V} (messages kept, in order), {@code A} and
 * {@code C} are new messages in front of and behind it; {@code A} may only hold messages the
 * framework pins (system messages). Of the equally long runs the one starting first wins, so new messages are read as appended at the end whenever that is
 * possible. Within {@code V}, {@code B} is matched as late as possible, so that the messages
 * left over (evicted) are the oldest ones.
 *
 * <p>Then: the new messages ({@code A} then {@code C}) are appended; the live log is archived up
 * to and including its last evicted message ({@code cut}); and the new pinned messages are
 * {@code W}'s first {@code pinnedCount} messages: {@code A}, then the kept messages that were
 * pinned or now lie in the archived part of the log. Everything behind them is live, in log
 * order, so the window is again {@code pinned ++ rest}.
 */
final class WindowDiff {

  /**
   * The plan for one update.
   *
   * @param matched for each message of W, the index in V it keeps, or -1 if it is new
   * @param newIndices indices in W of the new messages, in the order they are appended
   * @param cut how many messages from the front of the live log to archive (0: no commit)
   * @param pinnedCount how many of W's first messages are pinned after the update
   */
  record Plan(int[] matched, List<Integer> newIndices, int cut, int pinnedCount) {}

  private WindowDiff() {}

  /**
   * @param stored keys of V, in window order
   * @param livePos for each message of V, its index in the live log, or -1 if it is archived
   * @param pinned how many of V's first messages are pinned
   * @param window keys of W
   * @param pinnable for each message of W, whether it may be new in front of kept messages
   *     (frameworks insert only system messages there)
   */
  static Plan plan(List<String> stored, int[] livePos, int pinned, List<String> window,
      boolean[] pinnable) {
    int m = window.size();
    int bestStart = 0;
    int bestLength = -1;
    for (int a = 0; a < m && m - a > bestLength && (a == 0 || pinnable[a - 1]); a++) {
      int length = longestSubsequencePrefix(stored, window, a);
      if (length > bestLength) {
        bestLength = length;
        bestStart = a;
      }
    }
    if (bestLength <= 0) { // nothing kept: all new, appended in window order
      bestStart = 0;
      bestLength = 0;
    }
    int[] matched = new int[m];
    java.util.Arrays.fill(matched, -1);
    // match B = W[bestStart, bestStart + bestLength) into V as late as possible
    int j = stored.size() - 1;
    for (int i = bestStart + bestLength - 1; i >= bestStart; i--) {
      while (!stored.get(j).equals(window.get(i))) {
        j--;
      }
      matched[i] = j--;
    }
    boolean[] kept = new boolean[stored.size()];
    for (int v : matched) {
      if (v >= 0) {
        kept[v] = true;
      }
    }
    int cut = 0;
    for (int v = 0; v < stored.size(); v++) {
      if (!kept[v] && livePos[v] >= 0) {
        cut = Math.max(cut, livePos[v] + 1);
      }
    }
    List<Integer> newIndices = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      if (matched[i] < 0) {
        newIndices.add(i);
      }
    }
    int pinnedCount = bestStart;
    for (int i = bestStart; i < bestStart + bestLength; i++) {
      int v = matched[i];
      if (v < pinned || livePos[v] < cut) {
        pinnedCount++;
      } else {
        break;
      }
    }
    return new Plan(matched, newIndices, cut, pinnedCount);
  }

  /** Length of the longest prefix of {@code window[from..]} that is a subsequence of {@code stored}. */
  private static int longestSubsequencePrefix(List<String> stored, List<String> window, int from) {
    int i = from;
    for (int j = 0; j < stored.size() && i < window.size(); j++) {
      if (stored.get(j).equals(window.get(i))) {
        i++;
      }
    }
    return i - from;
  }
}
