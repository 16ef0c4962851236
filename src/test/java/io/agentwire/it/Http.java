package io.agentwire.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Plain HTTP against a deployment on loopback: probes, metrics, diagnostics, dev tokens. */
public final class Http {

  /** Status and body of one answer. */
  public record Answer(int status, String body, java.net.http.HttpHeaders headers) {
    public java.util.Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    public JsonObject json() {
      return Json.createReader(new StringReader(body)).readObject();
    }
  }

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private Http() {}

  public static URI uri(URL base, String path) {
    return URI.create("http://127.0.0.1:" + base.getPort() + path);
  }

  public static Answer get(URL base, String path, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(base, path)).timeout(Ws.WAIT).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return send(request.build());
  }

  public static Answer post(URL base, String path, String json) {
    return send(
        HttpRequest.newBuilder(uri(base, path))
            .timeout(Ws.WAIT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  /** A POST with a bearer token (or none) and an empty body. */
  public static Answer post(URL base, String path, String token, String json) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(base, path))
            .timeout(Ws.WAIT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return send(request.build());
  }

  /** A token from {@code POST /api/dev/token} (permissive deployments only). */
  public static String devToken(URL base, String subject, String... groups) {
    StringBuilder list = new StringBuilder();
    for (String g : groups) {
      list.append(list.length() == 0 ? "" : ",").append('"').append(g).append('"');
    }
    Answer a =
        post(base, "/api/dev/token", "{\"sub\":\"" + subject + "\",\"groups\":[" + list + "]}");
    if (a.status() != 200) {
      throw new AssertionError("dev token: " + a);
    }
    return a.json().getString("token");
  }

  /** The value of one Prometheus sample, 0 when absent. */
  public static double metric(URL base, String name, String label, String value) {
    String body = get(base, "/metrics", null).body();
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$").matcher(body);
    while (m.find()) {
      if (label == null || m.group(1).contains(label + "=\"" + value + "\"")) {
        return Double.parseDouble(m.group(2));
      }
    }
    return 0;
  }

  private static Answer send(HttpRequest request) {
    try {
      HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body(), r.headers());
    } catch (java.io.IOException e) {
      throw new AssertionError(request.uri() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
