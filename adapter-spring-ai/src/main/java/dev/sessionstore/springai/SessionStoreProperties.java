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

  /** Properties with no URI and {@code delete-on-clear} false; Spring binds the rest. */
  public SessionStoreProperties() {}

  /** {@return the store's URI; setting it turns the auto-configuration on} */
  public @Nullable String getUri() {
    return uri;
  }

  /**
   * Sets the store's URI.
   *
   * @param uri for example {@code file:///var/lib/app/sessions}
   */
  public void setUri(@Nullable String uri) {
    this.uri = uri;
  }

  /**
   * {@return whether clearing a conversation deletes its session instead of archiving the window}
   */
  public boolean isDeleteOnClear() {
    return deleteOnClear;
  }

  /**
   * Sets whether clearing a conversation deletes its session.
   *
   * @param deleteOnClear true to delete, false (the default) to archive the window
   */
  public void setDeleteOnClear(boolean deleteOnClear) {
    this.deleteOnClear = deleteOnClear;
  }
}
