package dev.sessionstore.s3;

import dev.sessionstore.spi.Keys;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What an {@code s3://bucket/prefix?options} URI says. Parsing checks everything before any
 * network call, so a bad URI fails fast with a message naming the part that is wrong.
 */
record S3Location(
    String bucket,
    String prefix,
    @Nullable URI endpoint,
    @Nullable String region,
    boolean pathStyle,
    @Nullable String accessKeyId,
    @Nullable String secretAccessKey,
    @Nullable String sessionToken,
    int concurrency) {

  static final Set<String> OPTIONS =
      Set.of(
          "endpoint", "region", "pathStyle", "accessKeyId", "secretAccessKey", "sessionToken",
          "concurrency");
  static final int DEFAULT_CONCURRENCY = 8;
  // DNS-compatible bucket names (the rules AWS enforces for new buckets), dots allowed.
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final Pattern REGION = Pattern.compile("[a-z0-9-]{1,64}");

  /** The root under which every object lives: empty, or the prefix followed by {@code /}. */
  String root() {
    return prefix.isEmpty() ? "" : prefix + "/";
  }

  /** The URI without credentials, for messages and logs. */
  String redacted() {
    return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix)
        + (endpoint == null ? "" : " (endpoint " + endpoint + ")");
  }

  static S3Location parse(String uri) {
    if (uri == null || !uri.startsWith("s3://")) {
      throw new IllegalArgumentException(
          "not an s3: URI (expected s3://bucket/prefix?options): " + safe(uri));
    }
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("malformed s3: URI: " + e.getMessage());
    }
    if (u.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "s3: URI must not carry user info; pass credentials as accessKeyId/secretAccessKey"
              + " options or through the AWS default credentials chain");
    }
    if (u.getPort() != -1) {
      throw new IllegalArgumentException(
          "s3: URI names a bucket, not a host: use ?endpoint=http://host:port for the server");
    }
    String bucket = u.getHost();
    if (bucket == null || bucket.isEmpty()) {
      // URI leaves host null for names it does not accept as host names (e.g. with '_')
      bucket = u.getRawAuthority();
    }
    if (bucket == null || !BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
      throw new IllegalArgumentException(
          "invalid bucket name '" + safe(bucket) + "' in s3: URI: use 3-63 characters of"
              + " lower-case letters, digits, '.' and '-', starting and ending with a letter or"
              + " digit");
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath();
    if (u.getRawFragment() != null) {
      throw new IllegalArgumentException("s3: URI must not have a fragment (#...)");
    }
    String prefix = path.startsWith("/") ? path.substring(1) : path;
    if (prefix.endsWith("/")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    if (!prefix.isEmpty()) {
      try {
        Keys.requireValidKey(prefix);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "invalid prefix '" + safe(prefix) + "' in s3: URI: '/'-separated segments of"
                + " [A-Za-z0-9._-], not '.' or '..'");
      }
    }
    Map<String, String> options = query(u.getRawQuery());
    URI endpoint = null;
    String e = options.get("endpoint");
    if (e != null) {
      try {
        endpoint = new URI(e);
      } catch (URISyntaxException ex) {
        throw new IllegalArgumentException("invalid endpoint '" + e + "': " + ex.getMessage());
      }
      if (!("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))
          || endpoint.getHost() == null) {
        throw new IllegalArgumentException(
            "invalid endpoint '" + e + "': expected http://host[:port] or https://host[:port]");
      }
    }
    String region = options.get("region");
    if (region != null && !REGION.matcher(region).matches()) {
      throw new IllegalArgumentException("invalid region '" + safe(region) + "'");
    }
    boolean pathStyle = bool(options, "pathStyle", endpoint != null);
    String accessKeyId = options.get("accessKeyId");
    String secret = options.get("secretAccessKey");
    if ((accessKeyId == null) != (secret == null)) {
      throw new IllegalArgumentException(
          "accessKeyId and secretAccessKey must be given together (or neither, to use the AWS"
              + " default credentials chain)");
    }
    String token = options.get("sessionToken");
    if (token != null && accessKeyId == null) {
      throw new IllegalArgumentException("sessionToken needs accessKeyId and secretAccessKey");
    }
    int concurrency = DEFAULT_CONCURRENCY;
    String c = options.get("concurrency");
    if (c != null) {
      try {
        concurrency = Integer.parseInt(c);
      } catch (NumberFormatException ex) {
        concurrency = -1;
      }
      if (concurrency < 1 || concurrency > 256) {
        throw new IllegalArgumentException(
            "invalid concurrency '" + safe(c) + "': expected a number from 1 to 256");
      }
    }
    return new S3Location(
        bucket, prefix, endpoint, region, pathStyle, accessKeyId, secret, token, concurrency);
  }

  private static Map<String, String> query(@Nullable String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (!OPTIONS.contains(name)) {
        throw new IllegalArgumentException(
            "unknown s3: URI option '" + safe(name) + "'; known options: "
                + String.join(", ", OPTIONS.stream().sorted().toList()));
      }
      if (value.isEmpty()) {
        throw new IllegalArgumentException("s3: URI option '" + name + "' needs a value");
      }
      if (out.put(name, value) != null) {
        throw new IllegalArgumentException("s3: URI option '" + name + "' given twice");
      }
    }
    return out;
  }

  private static boolean bool(Map<String, String> options, String name, boolean dflt) {
    String v = options.get(name);
    if (v == null) {
      return dflt;
    }
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(
        "s3: URI option '" + name + "' must be true or false, was '" + safe(v) + "'");
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed %-escape in s3: URI query: " + safe(s));
    }
  }

  // Never echo credentials or control characters into messages.
  private static String safe(@Nullable String s) {
    if (s == null) {
      return "null";
    }
    String cut = s.replaceAll("(?i)(secretAccessKey|sessionToken)=[^&]*", "$1=***");
    StringBuilder b = new StringBuilder();
    cut.codePoints()
        .limit(200)
        .forEach(ch -> {
          if (ch < 0x20 || ch == 0x7f) {
            b.append(String.format("\\u%04x", ch));
          } else {
            b.appendCodePoint(ch);
          }
        });
    return b.toString();
  }
}
