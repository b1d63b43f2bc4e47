package dev.sessionstore.springai;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Spring Boot properties under {@code sessionstore}.
 *
 * <pre>
 * sessionstore.uri=file:///var/lib/app/sessions     # or jdbc:postgresql://..., s3://bucket/prefix
 * sessionstore.delete-on-clear=false                # true: clearing a conversation deletes it
 * </pre>
 */
@ConfigurationProperties(prefix = "sessionstore")
public class SessionStoreProperties {
  private @Nullable String uri;
  private boolean deleteOnClear;

  /** The store's URI; setting it turns the auto-configuration on. */
  public @Nullable String getUri() {
    return uri;
  }

  public void setUri(@Nullable String uri) {
    this.uri = uri;
  }

  /** Whether clearing a conversation deletes its session instead of archiving the window. */
  public boolean isDeleteOnClear() {
    return deleteOnClear;
  }

  public void setDeleteOnClear(boolean deleteOnClear) {
    this.deleteOnClear = deleteOnClear;
  }
}
