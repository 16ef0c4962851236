package io.agentwire.http.boundary;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The container's error page (web.xml), for errors no resource answered itself: an unknown path, a
 * method a servlet does not serve, a request the container refused, an exception that escaped a
 * servlet or filter. The answer is the JSON body of PROTOCOL section 2 with the same status, and a
 * 5xx is an incident. Reached directly, it is a 404 like any unknown path.
 */
@WebServlet(urlPatterns = ErrorPage.PATH)
public class ErrorPage extends HttpServlet {

  static final String PATH = "/_error";

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    Object thrown = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
    if (response.isCommitted() || thrown instanceof IOException) {
      // The answer is on its way, or the client is gone (an I/O failure of its connection, such
      // as a reset in the middle of an upgrade): nothing can be written, and it is no defect.
      return;
    }
    Object status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    int code = status instanceof Integer s ? s : 404;
    if (code < 400) {
      code = thrown == null ? 404 : 500; // an exception reaches the error page with status 0
    }
    String body;
    if (code >= 500) {
      Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
      body =
          HttpErrors.incident(
              request.getMethod() + " " + uri,
              thrown instanceof Throwable t ? t : new IllegalStateException("HTTP " + code));
    } else {
      body = HttpErrors.body(HttpErrors.code(code), HttpErrors.message(code));
    }
    HttpErrors.write(response, code, body);
  }
}
