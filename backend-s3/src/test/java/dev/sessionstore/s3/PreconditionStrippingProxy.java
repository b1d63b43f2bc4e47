package dev.sessionstore.s3;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An HTTP forwarder on 127.0.0.1 that drops {@code If-Match} and {@code If-None-Match} from
 * every request: in front of a real S3 server it makes a server that ignores preconditions, as
 * some S3-compatible stores do. (The server behind it must not check signatures, since the
 * dropped headers were signed.) {@link #withoutResponseEtags} instead forwards requests whole
 * and drops the {@code ETag} of every response.
 */
final class PreconditionStrippingProxy implements AutoCloseable {
  private static final Set<String> DROPPED = Set.of(
      "if-match", "if-none-match", "host", "connection", "content-length", "expect", "upgrade",
      "transfer-encoding");
  private static final Set<String> HOP_BY_HOP = Set.of(
      "host", "connection", "content-length", "expect", "upgrade", "transfer-encoding");
  private final HttpServer server;
  private final HttpClient client = HttpClient.newHttpClient();

  PreconditionStrippingProxy(URI target) throws IOException {
    this(target, DROPPED, DROPPED);
  }

  /** A server whose responses carry no ETag, as a broken S3-compatible store might. */
  static PreconditionStrippingProxy withoutResponseEtags(URI target) throws IOException {
    Set<String> response = new java.util.HashSet<>(HOP_BY_HOP);
    response.add("etag");
    return new PreconditionStrippingProxy(target, HOP_BY_HOP, Set.copyOf(response));
  }

  private PreconditionStrippingProxy(URI target, Set<String> droppedRequest,
      Set<String> droppedResponse) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      try (exchange) {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
          body = in.readAllBytes();
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(
            target.resolve(exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null
                    ? "" : "?" + exchange.getRequestURI().getRawQuery())))
            .method(exchange.getRequestMethod(), body.length == 0
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
          if (!droppedRequest.contains(h.getKey().toLowerCase())) {
            for (String v : h.getValue()) {
              req.header(h.getKey(), v);
            }
          }
        }
        HttpResponse<byte[]> resp;
        try {
          resp = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
        resp.headers().map().forEach((k, vs) -> {
          if (!droppedResponse.contains(k.toLowerCase()) && !k.startsWith(":")) {
            exchange.getResponseHeaders().put(k, vs);
          }
        });
        boolean noBody = exchange.getRequestMethod().equals("HEAD") || resp.body().length == 0;
        exchange.sendResponseHeaders(resp.statusCode(), noBody ? -1 : resp.body().length);
        if (!noBody) {
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(resp.body());
          }
        }
      }
    });
    server.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
