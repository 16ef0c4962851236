package io.agentwire.http.boundary;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * Every exception out of a REST resource as the JSON body of PROTOCOL section 2: a {@link
 * WebApplicationException} (404, 405, 415, a body that is not JSON, ...) keeps its status; anything
 * else is a defect, a 500 with an incident id.
 */
@Provider
public class JsonExceptionMapper implements ExceptionMapper<Throwable> {

  @Context UriInfo uri;

  @Override
  public Response toResponse(Throwable thrown) {
    if (thrown instanceof WebApplicationException web && web.getResponse().getStatus() < 500) {
      Response given = web.getResponse();
      int status = given.getStatus();
      Response.ResponseBuilder answer =
          Response.fromResponse(
              HttpErrors.response(status, HttpErrors.code(status), HttpErrors.message(status)));
      // Keep what tells the client what to do next (Allow for 405, WWW-Authenticate for 401).
      for (String header : new String[] {"Allow", "WWW-Authenticate"}) {
        String value = given.getHeaderString(header);
        if (value != null) {
          answer.header(header, value);
        }
      }
      return answer.build();
    }
    String where = uri == null ? "a REST resource" : uri.getRequestUri().getPath();
    return Response.serverError()
        .type(MediaType.APPLICATION_JSON)
        .entity(HttpErrors.incident(where, thrown))
        .build();
  }
}
