package dev.sessionstore.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.ArchiveInfo;
import dev.sessionstore.Message;
import dev.sessionstore.Part;
import dev.sessionstore.Session;
import dev.sessionstore.SessionInfo;
import dev.sessionstore.SessionMeta;
import dev.sessionstore.SessionStore;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Prints a session: counters, archives, live messages; as text or as JSON. */
@Command(name = "show", mixinStandardHelpOptions = true,
    description = {"Prints a session: counters, archives with summaries, live messages.",
      "",
      "Opening a session reconciles it, so a session with a lost clear is healed (and",
      "says so on stderr). Messages are cut to one line unless --full or --json is given.",
      "Exit 3 if the session does not exist."})
final class ShowCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Spec CommandSpec spec;
  @Mixin StoreOption store;

  @Parameters(index = "0", paramLabel = "<session>", description = "Session id.")
  String session;

  @Option(names = "--archived", description = "Also print the messages inside each archive.")
  boolean archived;

  @Option(names = "--full", description = "Print whole messages and summaries, line breaks"
      + " included, instead of one cut line each.")
  boolean full;

  @Option(names = "--json", description = "Print the session as one JSON document: counters,"
      + " archives (with their messages if --archived) and live messages as stored.")
  boolean json;

  @Override
  public Integer call() throws JsonProcessingException {
    PrintWriter out = spec.commandLine().getOut();
    try (SessionStore s = store.open(Healed.printer(spec))) {
      Session sess = Sessions.open(spec, s, session, false);
      SessionMeta meta = sess.meta();
      List<ArchiveInfo> archives = sess.archives();
      List<Message> live = sess.messages();
      SessionInfo info = s.info(session).orElse(null);
      if (json) {
        ObjectNode doc = toJson(sess, meta, archives, live);
        if (info != null) {
          ObjectNode i = doc.putObject("info");
          ObjectNode md = i.putObject("metadata");
          new java.util.TreeMap<>(info.metadata()).forEach(md::put);
          i.put("expires_at", info.expiresAt() == null ? null : info.expiresAt().toString());
          i.put("ttl_seconds", info.timeToLive() == null ? null : info.timeToLive().getSeconds());
          i.put("extend_on_activity", info.extendOnActivity());
          i.put("version", info.version());
        }
        out.println(JSON.writeValueAsString(doc));
        return 0;
      }
      out.println("session " + session);
      out.println("  live messages: " + meta.messageCount() + ", archives: " + meta.commitCount()
          + ", messages ever: " + meta.totalMessageCount() + ", last seq: " + meta.lastSeq());
      if (meta.createdAt() != null) {
        out.println("  created " + meta.createdAt()
            + (meta.updatedAt() == null ? "" : ", updated " + meta.updatedAt()));
      }
      if (info != null) {
        out.println("  expires: " + (info.expiresAt() == null ? "never" : info.expiresAt()
            + " (time to live " + info.timeToLive()
            + (info.extendOnActivity() ? ", extended on activity)" : ")")));
        out.println("  metadata: " + (info.metadata().isEmpty() ? "none" : metadataLine(info)));
      }
      out.println("archives:" + (archives.isEmpty() ? " none" : ""));
      for (ArchiveInfo a : archives) {
        out.println("  " + Render.archive(a, full));
        if (archived) {
          sess.archiveMessages(a.number()).forEach(m -> out.println(Render.message(m, full, 4)));
        }
      }
      out.println("live:" + (live.isEmpty() ? " none" : ""));
      live.forEach(m -> out.println(Render.message(m, full, 2)));
    }
    return 0;
  }

  private ObjectNode toJson(Session sess, SessionMeta meta, List<ArchiveInfo> archives,
      List<Message> live) {
    ObjectNode root = JSON.createObjectNode();
    root.put("session", meta.sessionId());
    ObjectNode m = root.putObject("meta");
    m.put("message_count", meta.messageCount());
    m.put("total_message_count", meta.totalMessageCount());
    m.put("commit_count", meta.commitCount());
    m.put("last_seq", meta.lastSeq());
    m.put("created_at", meta.createdAt());
    m.put("updated_at", meta.updatedAt());
    m.put("last_commit_at", meta.lastCommitAt());
    ArrayNode arr = root.putArray("archives");
    for (ArchiveInfo a : archives) {
      ObjectNode o = arr.addObject();
      o.put("archive", a.number());
      o.put("first_seq", a.firstSeq());
      o.put("last_seq", a.lastSeq());
      o.put("message_count", a.messageCount());
      o.put("starting_message_id", a.startingMessageId());
      o.put("ending_message_id", a.endingMessageId());
      o.put("created_at", a.createdAt());
      o.put("summary", a.summary());
      if (archived) {
        ArrayNode msgs = o.putArray("messages");
        sess.archiveMessages(a.number()).forEach(x -> msgs.add(message(x)));
      }
    }
    ArrayNode l = root.putArray("live");
    live.forEach(x -> l.add(message(x)));
    return root;
  }

  /** Metadata as {@code key=value} pairs in key order. */
  static String metadataLine(SessionInfo info) {
    StringBuilder b = new StringBuilder();
    new java.util.TreeMap<>(info.metadata()).forEach((k, v) ->
        b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v));
    return b.toString();
  }

  /** A message as the store keeps it: seq, id, role, parts, created_at, then other fields. */
  static ObjectNode message(Message msg) {
    ObjectNode o = JSON.createObjectNode();
    o.put("seq", msg.seq());
    o.put("id", msg.id());
    o.put("role", msg.role());
    ArrayNode parts = o.putArray("parts");
    for (Part p : msg.parts()) {
      parts.add(p.toJson());
    }
    o.put("created_at", msg.createdAt());
    msg.extraFields().forEach(o::set);
    return o;
  }
}
