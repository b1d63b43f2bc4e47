package dev.sessionstore.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.sqlite.SQLiteDataSource;

/**
 * What a local-disk user might pick instead: SQLite in WAL mode with synchronous=FULL, one row
 * per message (the layout OpenAI Agents' SQLiteSession uses); the context reads the newest 70.
 */
final class SqlitePeer implements Target {
  private final CountingDataSource counting;
  private final Connection c;

  SqlitePeer(Path file) throws Exception {
    SQLiteDataSource ds = new SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + file);
    counting = new CountingDataSource(ds);
    c = counting.dataSource().getConnection();
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=FULL");
      s.execute("CREATE TABLE IF NOT EXISTS messages (session TEXT NOT NULL, seq INTEGER NOT NULL,"
          + " body TEXT NOT NULL, PRIMARY KEY (session, seq))");
    }
    counting.roundTrips.set(0);
  }

  @Override
  public String name() {
    return "peer: SQLite WAL+FULL";
  }

  private long next = 0;

  private void insert(String session, String body) throws Exception {
    try (PreparedStatement p = c.prepareStatement(
        "INSERT INTO messages (session, seq, body) VALUES (?, ?, ?)")) {
      p.setString(1, session);
      p.setLong(2, ++next);
      p.setString(3, "{\"role\":\"user\",\"text\":\"" + body + "\"}");
      p.executeUpdate();
    }
  }

  @Override
  public void seed(String session, int history) throws Exception {
    for (int i = 1; i <= history; i++) {
      insert(session, i % 2 == 1 ? Texts.user(i) : Texts.answer(i));
    }
  }

  @Override
  public void turn(String session, int n) throws Exception {
    insert(session, Texts.user(n));
    try (PreparedStatement p = c.prepareStatement(
        "SELECT body FROM messages WHERE session = ? ORDER BY seq DESC LIMIT 70")) {
      p.setString(1, session);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          r.getString(1);
        }
      }
    }
    insert(session, Texts.answer(n));
  }

  @Override
  public void commit(String session) {}

  @Override
  public LongSupplier sqlRoundTrips() {
    return counting.roundTrips::get;
  }

  @Override
  public void close() throws Exception {
    c.close();
  }
}
