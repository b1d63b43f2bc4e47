package dev.sessionstore.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class JdbcUrlTest {

  @Test
  void optionsAreStrippedFromQueryParameters() {
    assertEquals(new JdbcUrl("jdbc:postgresql://h:5432/db?user=u&ssl=false",
            Map.of("tablePrefix", "app_")),
        JdbcUrl.parse("jdbc:postgresql://h:5432/db?user=u&sessionstore.tablePrefix=app_&ssl=false"));
    assertEquals(new JdbcUrl("jdbc:mariadb://h/db?user=root", Map.of("tablePrefix", "x")),
        JdbcUrl.parse("jdbc:mariadb://h/db?sessionstore.tablePrefix=x&user=root"));
    assertEquals(new JdbcUrl("jdbc:mariadb://h/db",
            Map.of("tablePrefix", "x", "maximumPoolSize", "3")),
        JdbcUrl.parse("jdbc:mariadb://h/db?sessionstore.tablePrefix=x&sessionstore.maximumPoolSize=3"));
    assertEquals(new JdbcUrl("jdbc:postgresql://h/db?user=u", Map.of()),
        JdbcUrl.parse("jdbc:postgresql://h/db?user=u"));
  }

  @Test
  void optionsAreStrippedFromH2Settings() {
    assertEquals(new JdbcUrl("jdbc:h2:mem:x;DB_CLOSE_DELAY=-1", Map.of("tablePrefix", "p_")),
        JdbcUrl.parse("jdbc:h2:mem:x;sessionstore.tablePrefix=p_;DB_CLOSE_DELAY=-1"));
    assertEquals(new JdbcUrl("jdbc:h2:./data/s", Map.of("tablePrefix", "p_")),
        JdbcUrl.parse("jdbc:h2:./data/s;sessionstore.tablePrefix=p_"));
    assertEquals("h2", JdbcUrl.parse("jdbc:H2:mem:").subProtocol());
  }

  @Test
  void unknownOrMalformedOptionsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JdbcUrl.parse("jdbc:h2:mem:x;sessionstore.tablePrefx=a"));
    assertTrue(e.getMessage().contains("sessionstore.tablePrefix"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> JdbcUrl.parse("jdbc:h2:mem:x;sessionstore.tablePrefix"));
    assertThrows(IllegalArgumentException.class,
        () -> JdbcUrl.parse("jdbc:h2:mem:x;sessionstore.tablePrefix=a;sessionstore.tablePrefix=b"));
    assertThrows(IllegalArgumentException.class, () -> JdbcUrl.parse("postgresql://h/db"));
  }

  @Test
  void theBuilderValidatesBeforeConnecting() {
    assertThrows(IllegalArgumentException.class,
        () -> JdbcBackendBuilder.url("jdbc:h2:mem:x;sessionstore.tablePrefix=Bad-Prefix"));
    assertThrows(IllegalArgumentException.class,
        () -> JdbcBackendBuilder.url("jdbc:h2:mem:x;sessionstore.tablePrefix=x'y"));
    assertThrows(IllegalArgumentException.class,
        () -> JdbcBackendBuilder.url("jdbc:h2:mem:x;sessionstore.maximumPoolSize=0"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JdbcBackendBuilder.url("jdbc:sqlite:x.db"));
    assertTrue(e.getMessage().contains("postgresql"), e.getMessage());
  }

  @Test
  void passwordsAreRedactedInMessages() {
    assertEquals("jdbc:postgresql://h/db?user=u&password=***&ssl=true",
        JdbcBackendBuilder.redact("jdbc:postgresql://h/db?user=u&password=s3cret&ssl=true"));
  }
}
