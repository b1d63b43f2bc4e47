package dev.sessionstore.s3;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Answers the next GET of a chosen object with another body under the object's own ETag: what
 * s3proxy's {@code filesystem} store sends when the object is replaced between its reading of
 * the ETag and its reading of the bytes. Once only; later GETs get the server's answer.
 */
final class TornGet implements ExecutionInterceptor {
  private record Swap(String keySuffix, byte[] body) {}

  private final AtomicReference<Swap> next = new AtomicReference<>();
  private final ThreadLocal<Swap> current = new ThreadLocal<>();

  /** The next GET of an object whose key ends with {@code keySuffix} gets {@code body}. */
  void next(String keySuffix, byte[] body) {
    next.set(new Swap(keySuffix, body.clone()));
  }

  /** Whether the swap set by {@link #next} has happened. */
  boolean happened() {
    return next.get() == null;
  }

  @Override
  public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context,
      ExecutionAttributes attributes) {
    Swap s = next.get();
    current.remove();
    if (s == null || !"GetObject".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))
        || !context.request().getValueForField("Key", String.class).orElse("")
            .endsWith(s.keySuffix()) || !next.compareAndSet(s, null)) {
      return context.httpResponse();
    }
    current.set(s);
    return context.httpResponse().toBuilder()
        .putHeader("Content-Length", Integer.toString(s.body().length)).build();
  }

  @Override
  public Optional<InputStream> modifyHttpResponseContent(
      Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    Swap s = current.get();
    if (s == null) {
      return context.responseBody();
    }
    current.remove();
    context.responseBody().ifPresent(TornGet::closeQuietly); // the connection is not reused
    return Optional.of(new ByteArrayInputStream(s.body()));
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (java.io.IOException e) {
      // the real body is thrown away either way
    }
  }
}
