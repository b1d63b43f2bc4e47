package dev.sessionstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.Message;
import dev.sessionstore.SessionOptions;
import dev.sessionstore.SessionStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** list paging, show with metadata and expiry, expire. */
class LifecycleCommandsTest {
  @TempDir Path dir;

  private String uri() {
    return dir.toUri().toString();
  }

  private String run(int expectedExit, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(expectedExit, exit, out + "\n" + err);
    return out.toString();
  }

  @Test
  void listPagesShowsMetadataAndExpireDeletesExpiredSessions() {
    try (SessionStore s = SessionStore.open(uri())) {
      s.session("alice@example.com", SessionOptions.builder().metadata("owner", "alice")
          .timeToLive(Duration.ofSeconds(1)).build()).append(Message.user("hi"));
      s.session("b", SessionOptions.builder().metadata("owner", "bob")
          .timeToLive(Duration.ofDays(1)).build()).append(Message.user("hi"));
      s.session("c").append(Message.user("hi"));
    }
    String page1 = run(0, "list", "--store", uri(), "--limit", "2");
    assertTrue(page1.contains("alice@example.com") && page1.contains("owner=alice"), page1);
    assertTrue(page1.contains("2 sessions (more may follow: --after b)"), page1);
    String page2 = run(0, "list", "--store", uri(), "--limit", "2", "--after", "b");
    assertTrue(page2.contains("c ") && !page2.contains("alice"), page2);
    assertEquals("c" + System.lineSeparator(),
        run(0, "list", "--store", uri(), "-q", "--after", "b"));

    String show = run(0, "show", "--store", uri(), "alice@example.com");
    assertTrue(show.contains("metadata: owner=alice"), show);
    assertTrue(show.contains("expires: 20"), show);
    assertTrue(run(0, "show", "--store", uri(), "--json", "b").contains("\"owner\" : \"bob\""));

    String later = Instant.now().plus(Duration.ofHours(2)).toString();
    String expired = run(0, "expire", "--store", uri(), "--before", later);
    assertTrue(expired.contains("deleted alice@example.com"), expired);
    assertTrue(expired.contains("1 expired session deleted"), expired);
    assertEquals(List.of("b", "c"), List.of(run(0, "list", "--store", uri(), "-q").split("\\R")));
    run(2, "expire", "--store", uri(), "--before", "tomorrow");
  }
}
