package dev.sessionstore;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sessionstore.ExportException.Reason;
import dev.sessionstore.SessionLayout.MarkerFields;
import dev.sessionstore.SessionLayout.MetaFields;
import dev.sessionstore.mem.MemoryStorageProvider;
import dev.sessionstore.spi.Blob;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The one-way export of a session into OpenViking's on-disk format; see {@link
 * SessionStore#exportSession}. The files go into a temporary sibling of the target, are read
 * back through the importer (the same parser and OpenViking rule an import applies) and
 * compared with the session, and only then renamed into place: a crash or a failed check never
 * leaves a half export at the target.
 */
final class SessionExporter {
  // Fields of OpenViking's archive marker that only OpenViking reads: with them its loader sees
  // a completed archive that covers itself and whose overview exists exactly when one is set.
  private static final String WORKING_MEMORY_ENABLED = "working_memory_enabled";
  private static final String COVERAGE_START = "coverage_start_archive";
  private static final String COVERAGE_END = "coverage_end_archive";
  private static final String COVERED_FAILED = "covered_failed_archives";
  private static final String COMPLETED_STEPS = "completed_memory_steps";
  private static final String LOG = "messages.jsonl";
  private static final String OVERVIEW = ".overview.md";

  private final SessionStore store;
  private final String id;
  private final Path target;

  /** A completed archive as read, with its messages. */
  private record Archive(ArchiveInfo info, List<Message> messages) {}

  /** The session as read at one moment: no commit happened between its reads. */
  private record Source(SessionMeta meta, List<Message> live, List<Archive> archives) {
    long archivedMessages() {
      return archives.stream().mapToLong(a -> a.messages.size()).sum();
    }

    int summaries() {
      return (int) archives.stream().filter(a -> summaryOf(a.info) != null).count();
    }
  }

  SessionExporter(SessionStore store, String id, Path target) {
    this.store = store;
    this.id = id;
    this.target = target.toAbsolutePath().normalize();
  }

  ExportReport run() {
    Path parent = requireUsableTarget();
    Source source = read();
    requireRepresentable(source);
    Path temp = parent.resolve("." + target.getFileName() + ".export-"
        + UUID.randomUUID().toString().substring(0, 8));
    try {
      write(temp, source);
      verify(temp, source);
      publish(temp, parent);
    } catch (RuntimeException e) {
      deleteQuietly(temp);
      throw e;
    }
    return new ExportReport(id, target, source.live.size(), source.archives.size(),
        source.archivedMessages(), source.summaries());
  }

  /** The target's parent; throws if the target is taken or cannot be created. */
  private Path requireUsableTarget() {
    Path parent = target.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new ExportException(Reason.TARGET_UNUSABLE, "cannot export session '" + id + "' to "
          + target + ": its parent directory does not exist; create it first");
    }
    if (!targetFree()) {
      throw new ExportException(Reason.TARGET_NOT_EMPTY, "cannot export session '" + id
          + "' to " + target + ": it exists and is not an empty directory; an export never"
          + " overwrites anything, choose a new directory");
    }
    return parent;
  }

  /** Whether the target is absent or an empty directory (not a link to one). */
  private boolean targetFree() {
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return true;
    }
    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
      return !entries.iterator().hasNext();
    } catch (IOException e) {
      return false;
    }
  }

  private Source read() {
    Session session = store.existingSession(id);
    requireThisLibrarysFormat();
    for (int attempt = 0; attempt <= store.maxRetries; attempt++) {
      List<ArchiveInfo> before = session.archives();
      List<Message> live = session.messages();
      SessionMeta meta = session.meta();
      // archives never change once complete, so equal lists around the live read mean that
      // no commit moved messages between the two: live and archives are one moment's
      if (before.equals(session.archives())) {
        List<Archive> archives = new ArrayList<>();
        for (ArchiveInfo info : before) {
          archives.add(new Archive(info, checkedMessages(session, info)));
        }
        return new Source(meta, live, archives);
      }
    }
    throw new ContentionException("session '" + id + "' was committed to during every one of "
        + store.maxRetries + " attempts to read it whole; export it again later");
  }

  /** A session still in OpenViking's format has its summaries outside its markers. */
  private void requireThisLibrarysFormat() {
    SnapshotReader reader = new SnapshotReader(store.backend, store.codec);
    Meta meta = store.backend.get(SessionLayout.meta(id))
        .map(b -> new Meta(store.codec.readObject(b.value(), SessionLayout.meta(id))))
        .orElse(null);
    List<Integer> numbers = reader.archiveNumbers(id);
    Marker newest = numbers.isEmpty() ? null
        : reader.readMarker(id, numbers.get(numbers.size() - 1)).orElse(null);
    if (Reconciler.inOpenVikingFormat(meta, false, newest)) {
      throw new ImportRequiredException("session '" + id + "' is still in OpenViking's format:"
          + " its directory needs no export; import it first to export it from here");
    }
  }

  private List<Message> checkedMessages(Session session, ArchiveInfo info) {
    List<Message> messages = session.archiveMessages(info.number());
    if (messages.isEmpty() || messages.size() != info.messageCount()
        || !messages.get(0).id().equals(info.startingMessageId())
        || !messages.get(messages.size() - 1).id().equals(info.endingMessageId())) {
      throw new CorruptSessionException("archive " + info.number() + " of session '" + id
          + "' holds " + messages.size() + " message(s) that its marker does not describe ("
          + info.messageCount() + " from " + info.startingMessageId() + " to "
          + info.endingMessageId() + "); run check before exporting");
    }
    return messages;
  }

  /** OpenViking reads an overview whose first line is {@code ---} as front matter. */
  private void requireRepresentable(Source source) {
    for (Archive a : source.archives) {
      String summary = summaryOf(a.info);
      if (summary != null && firstLine(summary).equals("---")) {
        throw new ExportException(Reason.NOT_REPRESENTABLE, "archive " + a.info.number()
            + " of session '" + id + "' has a summary whose first line is '---', which"
            + " OpenViking would read as the start of front matter; nothing was written");
      }
    }
  }

  private static String firstLine(String text) {
    int end = 0;
    while (end < text.length() && text.charAt(end) != '\n' && text.charAt(end) != '\r') {
      end++;
    }
    return text.substring(0, end);
  }

  /**
   * The summary as OpenViking and the importer read it back from {@code .overview.md}: both
   * strip surrounding whitespace, and a blank one is none.
   */
  static @Nullable String summaryOf(ArchiveInfo info) {
    String s = info.summary();
    return s == null || s.isBlank() ? null : s.strip();
  }

  private void write(Path dir, Source source) {
    try {
      Files.createDirectory(dir);
      writeFile(dir.resolve(LOG), store.codec.encodeJsonl(source.live, false));
      writeFile(dir.resolve(".meta.json"), store.codec.write(meta(source)));
      if (!source.archives.isEmpty()) {
        Path history = Files.createDirectory(dir.resolve("history"));
        for (Archive a : source.archives) {
          String name = SessionLayout.archiveName(a.info.number());
          Path archive = Files.createDirectory(history.resolve(name));
          writeFile(archive.resolve(LOG), store.codec.encodeJsonl(a.messages, false));
          String summary = summaryOf(a.info);
          if (summary != null) {
            writeFile(archive.resolve(OVERVIEW), (summary + "\n").getBytes(StandardCharsets.UTF_8));
          }
          writeFile(archive.resolve(".done"), store.codec.write(marker(a, name)));
          syncDirectory(archive);
        }
        syncDirectory(history);
      }
      syncDirectory(dir);
    } catch (IOException e) {
      throw new ExportException(Reason.WRITE_FAILED, "writing the export of session '" + id
          + "' next to " + target + " failed; nothing was left at the target", e);
    }
  }

  /** OpenViking's counters: its loader keeps {@code message_count} live lines. */
  private ObjectNode meta(Source source) {
    String now = Instant.now(store.clock).toString();
    ObjectNode m = store.codec.mapper().createObjectNode();
    m.put(MetaFields.SESSION_ID, id);
    m.put(MetaFields.CREATED_AT, Objects.requireNonNullElse(source.meta.createdAt(), now));
    m.put(MetaFields.UPDATED_AT, Objects.requireNonNullElse(source.meta.updatedAt(), now));
    m.put(MetaFields.MESSAGE_COUNT, source.live.size());
    m.put(MetaFields.TOTAL_MESSAGE_COUNT, source.live.size() + source.archivedMessages());
    // OpenViking numbers its next archive one past commit_count
    m.put(MetaFields.COMMIT_COUNT, source.archives.isEmpty() ? 0
        : source.archives.get(source.archives.size() - 1).info.number());
    if (source.meta.lastCommitAt() != null) {
      m.put(MetaFields.LAST_COMMIT_AT, source.meta.lastCommitAt());
    }
    return m;
  }

  private ObjectNode marker(Archive a, String name) {
    ObjectNode d = store.codec.mapper().createObjectNode();
    d.put(MarkerFields.STARTING_MESSAGE_ID, a.messages.get(0).id());
    d.put(MarkerFields.ENDING_MESSAGE_ID, a.messages.get(a.messages.size() - 1).id());
    if (a.info.createdAt() != null) {
      d.put(MarkerFields.CREATED_AT, a.info.createdAt());
    }
    // true demands an overview, false says there is none on purpose
    d.put(WORKING_MEMORY_ENABLED, summaryOf(a.info) != null);
    d.put(COVERAGE_START, name);
    d.put(COVERAGE_END, name);
    d.putArray(COVERED_FAILED);
    d.putObject(COMPLETED_STEPS);
    return d;
  }

  private static void writeFile(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }

  /** Makes a directory's entries durable, so that a rename cannot publish missing files. */
  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Reads the written files back into a private in-memory store exactly as they are on disk,
   * imports them there, and compares what the import gives with the session.
   */
  private void verify(Path dir, Source source) {
    StorageBackend mem = MemoryStorageProvider.newBackend();
    String root = SessionLayout.root(id);
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String key = root + dir.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
        byte[] bytes = Files.readAllBytes(f);
        if (key.equals(SessionLayout.log(id))) {
          List<byte[]> lines = new ArrayList<>();
          for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
              lines.add(line.getBytes(StandardCharsets.UTF_8));
            }
          }
          if (!lines.isEmpty()) {
            mem.append(key, 1, lines);
          }
        } else {
          mem.put(key, bytes, Precondition.absent());
        }
      }
    } catch (IOException e) {
      throw new ExportException(Reason.WRITE_FAILED, "reading back the export of session '" + id
          + "' failed; nothing was left at the target", e);
    }
    List<String> differences = new ArrayList<>();
    // the widest limits: the files were just written from messages this store accepted
    try (SessionStore check = SessionStore.builder().backend(mem)
        .maxMessageBytes(Codec.HARD_MAX_MESSAGE_BYTES).maxJsonDepth(Codec.HARD_MAX_DEPTH)
        .build()) {
      requireCountsKeepEveryLine(mem, source, differences);
      compare(check, source, differences);
    } catch (SessionStoreException e) {
      differences.add("importing it failed: " + e.getMessage());
    }
    if (!differences.isEmpty()) {
      throw new ExportException(Reason.VERIFICATION_FAILED, "the export of session '" + id
          + "', read back, differs from the session: "
          + String.join("; ", differences.subList(0, Math.min(5, differences.size())))
          + (differences.size() > 5 ? "; and " + (differences.size() - 5) + " more" : "")
          + "; nothing was left at the target");
    }
  }

  /**
   * OpenViking's count rule (PR 2604), which the importer applies only to markers without ids,
   * drops the oldest live lines beyond {@code message_count}: it must count every line.
   */
  private void requireCountsKeepEveryLine(StorageBackend mem, Source source,
      List<String> differences) {
    String key = SessionLayout.meta(id);
    Optional<Blob> blob = mem.get(key);
    if (blob.isEmpty()) {
      differences.add(".meta.json is missing");
      return;
    }
    Meta meta = new Meta(store.codec.readObject(blob.get().value(), key));
    int lines = mem.read(SessionLayout.log(id), 1).records().size();
    if (meta.messageCount().orElse(-1) != lines || lines != source.live.size()
        || !meta.legacy()) {
      String says = meta.messageCount().isPresent()
          ? String.valueOf(meta.messageCount().getAsInt()) : "no count of";
      differences.add(".meta.json says " + says + " live message(s) for " + lines
          + " line(s)" + (meta.legacy() ? "" : " and carries this library's format field"));
    }
  }

  private void compare(SessionStore check, Source source, List<String> differences) {
    ImportReport r = check.importSession(id);
    if (r.alreadyImported() || r.staleDropped() != 0) {
      differences.add("the import saw it " + (r.alreadyImported() ? "in this library's format"
          : "drop " + r.staleDropped() + " live message(s) as already archived"));
    }
    Session back = check.existingSession(id);
    compareMessages("live messages", source.live, back.messages(), differences);
    List<ArchiveInfo> archives = back.archives();
    if (archives.size() != source.archives.size()) {
      differences.add(archives.size() + " archive(s) instead of " + source.archives.size());
      return;
    }
    for (int i = 0; i < archives.size(); i++) {
      ArchiveInfo got = archives.get(i);
      ArchiveInfo want = source.archives.get(i).info;
      String what = "archive " + want.number();
      if (got.number() != want.number() || got.messageCount() != want.messageCount()
          || !got.startingMessageId().equals(want.startingMessageId())
          || !got.endingMessageId().equals(want.endingMessageId())
          || !Objects.equals(got.createdAt(), want.createdAt())) {
        differences.add(what + " reads back as " + got + " instead of " + want);
      }
      if (!Objects.equals(got.summary(), summaryOf(want))) {
        differences.add(what + "'s summary reads back as " + quoted(got.summary()));
      }
      if (got.number() == want.number()) {
        compareMessages(what, source.archives.get(i).messages, back.archiveMessages(got.number()),
            differences);
      }
    }
  }

  private static void compareMessages(String what, List<Message> want, List<Message> got,
      List<String> differences) {
    if (want.size() != got.size()) {
      differences.add(what + ": " + got.size() + " message(s) instead of " + want.size());
      return;
    }
    for (int i = 0; i < want.size(); i++) {
      if (!want.get(i).sameContent(got.get(i))) {
        differences.add(what + ": message " + want.get(i).id() + " reads back as "
            + got.get(i).id() + " with other content");
      }
    }
  }

  private static String quoted(@Nullable String s) {
    return s == null ? "none" : "'" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
  }

  /**
   * Renames the verified export into place. The rename replaces an empty directory and nothing
   * else, so a target that filled up meanwhile is refused here too.
   */
  private void publish(Path temp, Path parent) {
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileSystemException e) {
      if (!targetFree()) {
        throw new ExportException(Reason.TARGET_NOT_EMPTY, "cannot export session '" + id
            + "' to " + target + ": something was written there during the export; nothing"
            + " was overwritten", e);
      }
      throw new ExportException(Reason.WRITE_FAILED, "moving the export of session '" + id
          + "' to " + target + " failed: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ExportException(Reason.WRITE_FAILED, "moving the export of session '" + id
          + "' to " + target + " failed: " + e.getMessage(), e);
    }
    try {
      syncDirectory(parent);
    } catch (IOException e) {
      throw new ExportException(Reason.WRITE_FAILED, "the export of session '" + id + "' is at "
          + target + " but making its name durable failed: " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | RuntimeException e) {
      // the temporary sibling is named as such; a leftover one never shadows the target
    }
  }
}
