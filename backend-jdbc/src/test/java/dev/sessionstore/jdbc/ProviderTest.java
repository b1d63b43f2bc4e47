package dev.sessionstore.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sessionstore.spi.Capability;
import dev.sessionstore.spi.Precondition;
import dev.sessionstore.spi.StorageBackend;
import dev.sessionstore.spi.StorageException;
import dev.sessionstore.spi.StorageProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.ServiceLoader;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProviderTest {

  @Test
  void theProviderIsRegisteredForTheThreeSchemes() {
    List<StorageProvider> providers = ServiceLoader.load(StorageProvider.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(p -> p instanceof JdbcStorageProvider)
        .toList();
    assertEquals(1, providers.size());
    assertEquals(java.util.Set.of("jdbc:h2", "jdbc:postgresql", "jdbc:mariadb"),
        providers.get(0).schemes());
  }

  @Test
  void anH2FileDatabase_isPersistentAcrossInstances(@TempDir Path dir) {
    String url = "jdbc:h2:" + dir.resolve("db").toAbsolutePath() + ";sessionstore.tablePrefix=app_";
    try (StorageBackend a = new JdbcStorageProvider().open(url)) {
      assertTrue(a.capabilities().contains(Capability.PERSISTENT));
      a.append("s/log", 1, List.of("{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
    }
    try (StorageBackend b = new JdbcStorageProvider().open(url)) {
      assertEquals(1, b.read("s/log", 1).records().size());
    }
  }

  @Test
  void firstOpenOfAnH2File_leavesNoTraceFile(@TempDir Path dir) throws Exception {
    String url = "jdbc:h2:" + dir.resolve("db").toAbsolutePath();
    try (StorageBackend a = new JdbcStorageProvider().open(url)) {
      a.append("s/log", 1, List.of("{}".getBytes(StandardCharsets.UTF_8)));
    }
    try (StorageBackend b = new JdbcStorageProvider().open(url)) {
      assertEquals(1, b.read("s/log", 1).lastSeq());
    }
    // H2 writes every failed statement to <db>.trace.db; a normal open has none.
    Path trace = dir.resolve("db.trace.db");
    assertFalse(java.nio.file.Files.exists(trace),
        () -> uncheckedRead(trace));
    assertTrue(java.nio.file.Files.exists(dir.resolve("db.mv.db")));
  }

  private static String uncheckedRead(Path p) {
    try {
      return java.nio.file.Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  @Test
  void aMissingDriver_isAStorageExceptionNamingItsMavenCoordinates() {
    ClassLoader withoutDrivers = ClassLoader.getPlatformClassLoader();
    for (Dialect d : Dialect.values()) {
      StorageException e = assertThrows(StorageException.class,
          () -> JdbcBackendBuilder.requireDriver(d, withoutDrivers, null));
      assertTrue(e.getMessage().contains(d.driverArtifact), e.getMessage());
      JdbcBackendBuilder.requireDriver(d, withoutDrivers, getClass().getClassLoader());
    }
    assertTrue(Dialect.POSTGRESQL.driverArtifact.equals("org.postgresql:postgresql"));
    assertTrue(Dialect.MARIADB.driverArtifact.equals("org.mariadb.jdbc:mariadb-java-client"));
    assertTrue(Dialect.H2.driverArtifact.equals("com.h2database:h2"));
  }

  @Test
  void anUnnamedH2MemoryDatabase_isPrivateButSharedByThePool() {
    try (StorageBackend a = new JdbcStorageProvider().open("jdbc:h2:mem:");
        StorageBackend b = new JdbcStorageProvider().open("jdbc:h2:mem:")) {
      assertFalse(a.capabilities().contains(Capability.PERSISTENT));
      a.put("k", new byte[] {1}, Precondition.none());
      for (int i = 0; i < 20; i++) {
        assertTrue(a.get("k").isPresent()); // every pooled connection sees the same database
      }
      assertTrue(b.get("k").isEmpty());
    }
  }

  @Test
  void aUsersDataSource_isUsedAndNotClosed() throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:userds;DB_CLOSE_DELAY=-1");
    try (StorageBackend b = JdbcBackendBuilder.dataSource(ds).tablePrefix("mine_").build()) {
      b.put("k", new byte[] {7}, Precondition.absent());
    }
    try (Connection c = ds.getConnection();
        var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM mine_blobs")) {
      rs.next();
      assertEquals(1, rs.getInt(1));
      c.createStatement().execute("DROP ALL OBJECTS");
    }
  }

  @Test
  void anUnreachableServer_isAStorageException() {
    StorageException e = assertThrows(StorageException.class, () -> new JdbcStorageProvider()
        .open("jdbc:postgresql://127.0.0.1:1/none?user=u&password=secret&connectTimeout=2"));
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }
}
