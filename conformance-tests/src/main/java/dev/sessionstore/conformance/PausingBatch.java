package dev.sessionstore.conformance;

import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A batch of records for {@code append} that forces the interleaving a race rule needs: the
 * first time the backend takes a record after the first one, it signals that the writer is in the
 * middle of the batch and waits (bounded) until another thread has looked at the log. A backend
 * that makes records visible one by one has made the first one visible by then, so the look sees
 * part of a batch every time, not by chance. A backend that holds a lock while it copies the
 * batch merely waits out the bound.
 */
final class PausingBatch extends AbstractList<byte[]> {
  /** How long the writer waits for the look; a backend that blocks readers pays it once. */
  static final long PAUSE_MILLIS = 400;

  private final List<byte[]> records;
  private final CountDownLatch midBatch = new CountDownLatch(1);
  private final CountDownLatch looked = new CountDownLatch(1);

  PausingBatch(List<byte[]> records) {
    this.records = List.copyOf(records);
  }

  @Override
  public byte[] get(int index) {
    if (index >= 1 && midBatch.getCount() > 0) {
      midBatch.countDown();
      try {
        looked.await(PAUSE_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return records.get(index);
  }

  @Override
  public int size() {
    return records.size();
  }

  /** For the looking thread: waits until the writer is in the middle of the batch (bounded). */
  boolean awaitMidBatch(long millis) throws InterruptedException {
    return midBatch.await(millis, TimeUnit.MILLISECONDS);
  }

  /** For the looking thread: lets the writer go on. */
  void looked() {
    looked.countDown();
  }
}
