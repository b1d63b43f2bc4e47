package dev.sessionstore.cli;

import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.HealReport;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import java.util.ArrayList;
import java.util.List;

/** Human-readable lines for messages, archives and heal reports. */
final class Render {
  private static final int TEXT_WIDTH = 72;

  private Render() {}

  static String message(Message m) {
    return String.format("seq %-4d %-9s %s", m.seq(), m.role(), clip(content(m)));
  }

  /**
   * A message indented by {@code indent}: cut to one line, or with {@code full} the whole text
   * with its line breaks, continuation lines aligned under the first.
   */
  static String message(Message m, boolean full, int indent) {
    String pad = " ".repeat(indent);
    if (!full) {
      return pad + message(m);
    }
    String head = String.format("seq %-4d %-9s ", m.seq(), m.role());
    String cont = "\n" + pad + " ".repeat(head.length());
    return pad + head + content(m).strip().replace("\r\n", "\n").replace("\n", cont);
  }

  /** The text parts, or the part types when a message has no text. */
  static String content(Message m) {
    String text = m.text();
    if (!text.isBlank()) {
      return text;
    }
    List<String> types = new ArrayList<>();
    for (Part p : m.parts()) {
      types.add("[" + p.type() + "]");
    }
    return String.join(" ", types);
  }

  static String archive(ArchiveInfo a) {
    return archive(a, false);
  }

  /** An archive's line; with {@code full} its summary is not cut. */
  static String archive(ArchiveInfo a, boolean full) {
    String range = a.firstSeq() > 0 ? "seq " + a.firstSeq() + "-" + a.lastSeq() : "no seqs";
    return String.format("archive_%03d  %s  %d message%s%s%s", a.number(), range,
        a.messageCount(), a.messageCount() == 1 ? "" : "s",
        a.createdAt() == null ? "" : "  committed " + a.createdAt(),
        a.summary() == null ? "" : "  summary: \"" + (full ? a.summary() : clip(a.summary())) + "\"");
  }

  /** What a heal report found, as short clauses; empty for a clean report. */
  static List<String> problems(HealReport r) {
    List<String> out = new ArrayList<>();
    if (!r.staleMessageIds().isEmpty()) {
      int n = r.staleMessageIds().size();
      out.add(n + " stale live entr" + (n == 1 ? "y" : "ies") + " already archived (through seq "
          + r.staleThroughSeq() + ", " + r.rule() + " rule)");
    }
    if (!r.rolledForwardArchives().isEmpty()) {
      out.add("incomplete archive" + plural(r.rolledForwardArchives()) + " "
          + r.rolledForwardArchives() + " to complete (marker missing)");
    }
    if (!r.rolledBackArchives().isEmpty()) {
      out.add("incomplete archive" + plural(r.rolledBackArchives()) + " "
          + r.rolledBackArchives() + " to remove (not part of the archive chain)");
    }
    if (r.metaRewritten()) {
      out.add("meta disagrees with archives and log (counters to rewrite)");
    }
    out.addAll(r.problems());
    return out;
  }

  private static String plural(List<?> l) {
    return l.size() == 1 ? "" : "s";
  }

  static String clip(String s) {
    String one = Main.oneLine(s);
    return one.length() <= TEXT_WIDTH ? one : one.substring(0, TEXT_WIDTH - 3) + "...";
  }
}
