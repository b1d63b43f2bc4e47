package dev.sessionstore.s3;

import dev.sessionstore.spi.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.SdkPlugin;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.retries.DefaultRetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The S3 calls the backend makes, each with its status codes mapped the one way we use them. */
final class S3Requests {
  private static final Logger LOG = LoggerFactory.getLogger(S3Requests.class);
  /** DeleteObjects takes at most this many keys a request. */
  static final int DELETE_BATCH = 1000;
  /** A request-level override: this request is sent once, never retried by the SDK. */
  private static final SdkPlugin SEND_ONCE = config -> config.overrideConfiguration(
      c -> c.retryStrategy(DefaultRetryStrategy.doNotRetry()));

  final S3Client s3;
  final String bucket;
  final String where;

  S3Requests(S3Client s3, String bucket, String where) {
    this.s3 = s3;
    this.bucket = bucket;
    this.where = where;
  }

  /** The object, or empty on 404. */
  Optional<ResponseBytes<GetObjectResponse>> get(String key, String what) {
    return get(key, null, what);
  }

  /**
   * The object if its ETag is {@code ifMatch} (any, if null); empty on 404 or when it has
   * another ETag (412).
   */
  Optional<ResponseBytes<GetObjectResponse>> get(String key, @Nullable String ifMatch,
      String what) {
    try {
      return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).ifMatch(ifMatch)));
    } catch (S3Exception e) {
      if (e.statusCode() == 404 || (ifMatch != null && e.statusCode() == 412)) {
        return Optional.empty();
      }
      throw failure(what, e);
    } catch (SdkException e) {
      throw failure(what, e);
    }
  }

  /** What a GET with {@code If-None-Match} found. */
  record Fresh(boolean unchanged, Optional<ResponseBytes<GetObjectResponse>> object) {}

  /**
   * The object unless its ETag is still {@code ifNoneMatch} (a 304 answers {@code unchanged});
   * empty on 404.
   */
  Fresh getIfChanged(String key, @Nullable String ifNoneMatch, String what) {
    try {
      return new Fresh(false, Optional.of(
          s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).ifNoneMatch(ifNoneMatch))));
    } catch (S3Exception e) {
      if (e.statusCode() == 304 && ifNoneMatch != null) {
        return new Fresh(true, Optional.empty());
      }
      if (e.statusCode() == 404) {
        return new Fresh(false, Optional.empty());
      }
      throw failure(what, e);
    } catch (SdkException e) {
      throw failure(what, e);
    }
  }

  Optional<HeadObjectResponse> head(String key, String what) {
    try {
      return Optional.of(s3.headObject(b -> b.bucket(bucket).key(key)));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failure(what, e);
    } catch (SdkException e) {
      throw failure(what, e);
    }
  }

  /**
   * A conditional PUT: {@code If-None-Match: *} when {@code ifMatch} is null, else {@code
   * If-Match}. Returns the new ETag, or null when the precondition failed (412, 409, or 404 for
   * an If-Match on a missing object). With {@code once}, the SDK does not retry the request:
   * a retry of a write that landed but whose answer was lost would fail its own precondition,
   * so only a request sent once makes a refusal mean "not written".
   */
  @Nullable String putConditional(String key, byte[] body, @Nullable String contentType,
      @Nullable String ifMatch, boolean once, String what) {
    PutObjectRequest.Builder b = PutObjectRequest.builder()
        .bucket(bucket)
        .key(key);
    if (contentType != null) {
      b.contentType(contentType);
    }
    if (ifMatch == null) {
      b.ifNoneMatch("*");
    } else {
      b.ifMatch(ifMatch);
    }
    if (once) {
      b.overrideConfiguration(o -> o.addPlugin(SEND_ONCE));
    }
    try {
      return s3.putObject(b.build(), RequestBody.fromBytes(body)).eTag();
    } catch (S3Exception e) {
      int status = e.statusCode();
      if (status == 412 || status == 409 || (ifMatch != null && status == 404)) {
        return null;
      }
      throw failure(what, e);
    } catch (SdkException e) {
      throw failure(what, e);
    }
  }

  void list(String prefix, boolean delimited, Consumer<ListObjectsV2Response> pages,
      String what) {
    String token = null;
    try {
      do {
        ListObjectsV2Request.Builder b = ListObjectsV2Request.builder().bucket(bucket);
        if (!prefix.isEmpty()) {
          b.prefix(prefix);
        }
        if (delimited) {
          b.delimiter("/");
        }
        if (token != null) {
          b.continuationToken(token);
        }
        ListObjectsV2Response page = s3.listObjectsV2(b.build());
        pages.accept(page);
        token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
      } while (token != null);
    } catch (SdkException e) {
      throw failure(what, e);
    }
  }

  /**
   * Deletes objects with DeleteObjects, {@value #DELETE_BATCH} keys a request; a key that is
   * already gone is not an error.
   */
  void deleteAll(List<String> keys, String what) {
    for (int i = 0; i < keys.size(); i += DELETE_BATCH) {
      List<ObjectIdentifier> ids = new ArrayList<>();
      for (String k : keys.subList(i, Math.min(keys.size(), i + DELETE_BATCH))) {
        ids.add(ObjectIdentifier.builder().key(k).build());
      }
      Delete delete = Delete.builder().objects(ids).quiet(true).build();
      DeleteObjectsResponse r;
      try {
        r = s3.deleteObjects(b -> b.bucket(bucket).delete(delete));
      } catch (SdkException e) {
        throw failure(what, e);
      }
      for (S3Error err : r.errors()) {
        if (!"NoSuchKey".equals(err.code())) {
          throw new StorageException(what + " on " + where + " failed: cannot delete '"
              + err.key() + "': " + err.code() + " " + err.message());
        }
      }
    }
  }

  /** Like {@link #deleteAll} for garbage collection: a failure is logged, not thrown. */
  void deleteQuietly(List<String> keys, String what) {
    if (keys.isEmpty()) {
      return;
    }
    try {
      deleteAll(keys, what);
    } catch (RuntimeException e) {
      LOG.warn("{}: {} object(s) left behind, a later trim deletes them: {}", what, keys.size(),
          e.getMessage());
    }
  }

  StorageException failure(String what, SdkException e) {
    String detail = e.getMessage();
    if (e instanceof S3Exception s && s.statusCode() == 403) {
      detail = "access denied (check the credentials and the bucket policy): " + detail;
    }
    return new StorageException(what + " on " + where + " failed: " + detail, e);
  }
}
