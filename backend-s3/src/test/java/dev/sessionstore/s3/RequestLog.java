package dev.sessionstore.s3;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Records every request a client sends (operation, object key, thread), and can hold one chosen
 * request before it is sent until the test releases it: a pause inside the backend, for forcing
 * interleavings without sleeps.
 */
final class RequestLog implements ExecutionInterceptor {
  /** One request: e.g. {@code PutObject} of {@code p/sessions/s/messages.jsonl!log/trim}. */
  record Call(String operation, String key, String thread) {
    @Override
    public String toString() {
      return operation + " " + key.substring(key.lastIndexOf('/') + 1);
    }
  }

  /** A request to hold: reached counts down when it arrives; it goes on after release. */
  static final class Pause {
    final Predicate<Call> when;
    final CountDownLatch reached = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    Pause(Predicate<Call> when) {
      this.when = when;
    }

    void awaitReached() throws InterruptedException {
      if (!reached.await(30, TimeUnit.SECONDS)) {
        throw new AssertionError("the paused request never came");
      }
    }
  }

  private final List<Call> calls = new ArrayList<>();
  private volatile Pause pause;

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    String key = context.request().getValueForField("Key", String.class)
        .or(() -> context.request().getValueForField("Prefix", String.class))
        .orElse("");
    Call call = new Call(op, key, Thread.currentThread().getName());
    synchronized (this) {
      calls.add(call);
    }
    Pause p = pause;
    if (p != null && p.when.test(call)) {
      pause = null;
      p.reached.countDown();
      try {
        if (!p.release.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("paused request never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Holds the next request that matches until {@code release} is counted down. */
  Pause pauseAt(Predicate<Call> when) {
    Pause p = new Pause(when);
    pause = p;
    return p;
  }

  synchronized int size() {
    return calls.size();
  }

  /** The requests since {@code mark} (a {@link #size()}), sent from the current thread. */
  synchronized List<Call> since(int mark) {
    String me = Thread.currentThread().getName();
    List<Call> out = new ArrayList<>();
    for (Call c : calls.subList(mark, calls.size())) {
      if (c.thread().equals(me)) {
        out.add(c);
      }
    }
    return out;
  }

  /** All requests since {@code mark}, from any thread. */
  synchronized List<Call> allSince(int mark) {
    return new ArrayList<>(calls.subList(mark, calls.size()));
  }

  static Predicate<Call> is(String operation, String keySuffix) {
    return c -> c.operation().equals(operation) && c.key().endsWith(keySuffix);
  }
}
