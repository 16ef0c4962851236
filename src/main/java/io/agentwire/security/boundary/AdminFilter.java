package io.agentwire.security.boundary;

import io.agentwire.http.boundary.HttpErrors;
import io.agentwire.security.control.TokenVerifier;
import io.agentwire.security.entity.TokenVerdict;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

/**
 * Lets {@link AdminOnly} resources through only with a valid bearer token of the {@code
 * agentwire-admin} group: 401 without a valid token, 403 without the group.
 */
@Provider
@AdminOnly
@Priority(Priorities.AUTHENTICATION)
public class AdminFilter implements ContainerRequestFilter {

  public static final String ADMIN_GROUP = "agentwire-admin";

  @Inject TokenVerifier verifier;

  @Override
  public void filter(ContainerRequestContext request) {
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    String token =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).trim()
            : null;
    TokenVerdict verdict = verifier.verify(token);
    if (verdict instanceof TokenVerdict.Rejected rejected) {
      // RFC 6750 section 3: a 401 names the scheme; error="invalid_token" only when one was sent.
      request.abortWith(
          Response.fromResponse(refusal(401, "unauthorized", rejected.why()))
              .header(
                  HttpHeaders.WWW_AUTHENTICATE,
                  token == null || token.isEmpty()
                      ? "Bearer realm=\"agentwire\""
                      : "Bearer realm=\"agentwire\", error=\"invalid_token\"")
              .build());
    } else if (!((TokenVerdict.Verified) verdict).groups().contains(ADMIN_GROUP)) {
      request.abortWith(refusal(403, "forbidden", "needs group " + ADMIN_GROUP));
    }
  }

  private static Response refusal(int status, String code, String message) {
    return HttpErrors.response(status, code, message);
  }
}
