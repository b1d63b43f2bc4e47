package dev.sessionstore;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;

/**
 * Which live messages a commit keeps. Whatever the policy, a commit never leaves a tool result
 * first in the live view and never archives a tool call while keeping (or later receiving) its
 * results: the cut moves earlier — keeping more — until it falls between two messages that
 * belong to different exchanges.
 *
 * <p>A message is a <em>tool result</em> when its role is {@code tool} or {@code function}, or
 * when it has parts and every part is a result ({@code tool_result}, {@code tool_response},
 * {@code function_response}). A message <em>calls tools</em> when it has a part of type {@code
 * tool_use}, {@code tool_call} or {@code function_call}, a {@code tool} part without {@code
 * tool_output} (a call still pending), or a non-empty {@code tool_calls} field (the adapters
 * store Spring AI's and LangChain4j's calls there). The cut is never placed right after a
 * message that calls tools, because its results follow it (or are still to come).
 */
public final class CommitPolicy {
  private static final Set<String> RESULT_ROLES = Set.of("tool", "function");
  private static final Set<String> RESULT_PARTS =
      Set.of("tool_result", "tool_response", "function_response");
  private static final Set<String> CALL_PARTS = Set.of("tool_use", "tool_call", "function_call");

  private final boolean turns;
  private final int count;

  private CommitPolicy(boolean turns, int count) {
    if (count < 0) {
      throw new IllegalArgumentException("keep must be >= 0, was " + count);
    }
    this.turns = turns;
    this.count = count;
  }

  /**
   * Keeps the newest {@code n} messages (more if the cut would split a tool exchange).
   *
   * @param n messages to keep, 0 or more
   * @return the policy
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public static CommitPolicy keepNewest(int n) {
    return new CommitPolicy(false, n);
  }

  /**
   * Keeps the newest {@code n} turns. A turn starts at a {@code user} message (one that is not
   * only tool results) and holds every message up to the next one (assistant answers, tool
   * calls, tool results).
   * Messages before the first user message belong to no turn and are archived with the oldest
   * archived turn. With fewer than {@code n} turns nothing is archived.
   *
   * @param n turns to keep, 0 or more (0 archives everything that can be)
   * @return the policy
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public static CommitPolicy keepTurns(int n) {
    return new CommitPolicy(true, n);
  }

  /**
   * How many of the oldest {@code live} messages to archive under this policy.
   *
   * @param live the live messages, oldest first
   * @return the number to archive, from 0 to {@code live.size()}
   */
  public int archiveCount(List<Message> live) {
    int cut;
    if (!turns) {
      cut = Math.max(0, live.size() - count);
    } else if (count == 0) {
      cut = live.size();
    } else {
      cut = 0;
      int seen = 0;
      for (int i = live.size() - 1; i >= 0; i--) {
        if (startsTurn(live.get(i)) && ++seen == count) {
          cut = i;
          break;
        }
      }
    }
    // never leave a result first, never cut after a call (its results follow or are to come)
    while (cut > 0 && ((cut < live.size() && isToolResult(live.get(cut)))
        || callsTools(live.get(cut - 1)))) {
      cut--;
    }
    return cut;
  }

  /** A user message starts a turn, unless it only carries tool results (Anthropic's form). */
  static boolean startsTurn(Message m) {
    return "user".equals(m.role()) && !isToolResult(m);
  }

  static boolean isToolResult(Message m) {
    if (RESULT_ROLES.contains(m.role())) {
      return true;
    }
    if (m.parts().isEmpty()) {
      return false;
    }
    for (Part p : m.parts()) {
      if (!RESULT_PARTS.contains(p.type())) {
        return false;
      }
    }
    return true;
  }

  static boolean callsTools(Message m) {
    for (Part p : m.parts()) {
      if (CALL_PARTS.contains(p.type())
          || ("tool".equals(p.type()) && !p.node().hasNonNull("tool_output"))) {
        return true;
      }
    }
    JsonNode calls = m.extraFields().get("tool_calls");
    return calls != null && calls.isArray() && !calls.isEmpty();
  }

  @Override
  public String toString() {
    return (turns ? "keepTurns(" : "keepNewest(") + count + ")";
  }
}
