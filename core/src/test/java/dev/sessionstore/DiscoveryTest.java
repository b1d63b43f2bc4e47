package dev.sessionstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscoveryTest {

  @Test
  void memSchemeIsFoundAndNamedStoresAreShared() {
    try (SessionStore a = SessionStore.open("mem:discovery-shared");
        SessionStore b = SessionStore.open("mem:discovery-shared");
        SessionStore fresh = SessionStore.open("mem:")) {
      a.session("x").append(Message.user("hi"));
      assertEquals(1, b.session("x").messages().size());
      assertEquals(List.of(), fresh.listSessions());
    }
  }

  @Test
  void unknownSchemeNamesItAndTheInstalledSchemes() {
    BackendDiscoveryException e =
        assertThrows(BackendDiscoveryException.class, () -> SessionStore.open("nosuch://bucket/x"));
    assertTrue(e.getMessage().contains("'nosuch'"), e.getMessage());
    assertTrue(e.getMessage().contains("[mem]"), e.getMessage());
  }

  @Test
  void jdbcSchemesIncludeTheSubProtocol() {
    assertEquals("jdbc:postgresql", Backends.schemeOf("jdbc:postgresql://h/db?user=u"));
    assertEquals("jdbc:h2", Backends.schemeOf("JDBC:H2:mem:x"));
    assertEquals("file", Backends.schemeOf("file:///tmp/x"));
    BackendDiscoveryException e = assertThrows(BackendDiscoveryException.class,
        () -> SessionStore.open("jdbc:nosuchdb://secret-host/db?password=hunter2"));
    assertTrue(e.getMessage().contains("'jdbc:nosuchdb'"), e.getMessage());
    assertTrue(!e.getMessage().contains("hunter2"), "the URI's secrets stay out of the message");
    assertThrows(IllegalArgumentException.class, () -> SessionStore.open("no-scheme-here"));
    assertThrows(IllegalArgumentException.class, () -> SessionStore.open("jdbc:"));
  }

  @Test
  void twoProvidersForOneSchemeAreAnErrorNamingBoth(@TempDir Path dir) throws Exception {
    Path services = dir.resolve("META-INF/services/dev.sessionstore.spi.StorageProvider");
    Files.createDirectories(services.getParent());
    Files.writeString(services, SecondMemProvider.class.getName() + "\n");
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader cl = new URLClassLoader(new URL[] {dir.toUri().toURL()}, previous)) {
      Thread.currentThread().setContextClassLoader(cl);
      BackendDiscoveryException e =
          assertThrows(BackendDiscoveryException.class, () -> SessionStore.open("mem:"));
      assertTrue(e.getMessage().contains("MemoryStorageProvider"), e.getMessage());
      assertTrue(e.getMessage().contains("SecondMemProvider"), e.getMessage());
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }
}
