package io.agentwire.security.control;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.security.KeyException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Mints RS256 tokens signed with the development key pair shipped in the WAR, which is public and
 * must never be trusted outside development (PROTOCOL section 7, {@code POST /api/dev/token}).
 */
@ApplicationScoped
public class DevelopmentTokens {

  /** Class-path resources; each file opens with a DEVELOPMENT-ONLY banner before its PEM block. */
  public static final String PRIVATE_KEY = "META-INF/agentwire-dev-keys/dev-private.pem";

  public static final String PUBLIC_KEY = "META-INF/agentwire-dev-keys/dev-public.pem";

  /** The {@code kid} of every development token: says at a glance where a token came from. */
  public static final String KEY_ID = "agentwire-dev";

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.issuer")
  Optional<String> issuer;

  // A comma list read as one string: Payara 6.2025.10's ConfigProducer.getOptionalProperty fails
  // deployment with a ClassCastException on Optional<List<String>> (seen here, issue 2 notes).
  @Inject
  @ConfigProperty(name = "mp.jwt.verify.audiences")
  Optional<String> audiences;

  /** Read on first use, so that instances that never mint never read the private key. */
  private volatile RSASSASigner signer;

  /** For CDI; issuer and audiences come from MicroProfile Config. */
  public DevelopmentTokens() {}

  /** For tests: tokens for {@code issuer} and, when {@code audiences} has one, its first. */
  public static DevelopmentTokens of(String issuer, List<String> audiences) {
    DevelopmentTokens tokens = new DevelopmentTokens();
    tokens.issuer = Optional.ofNullable(issuer);
    tokens.audiences = Optional.ofNullable(audiences).map(l -> String.join(",", l));
    return tokens;
  }

  /**
   * A token for {@code subject} (as {@code sub} and {@code upn}) in {@code groups}, valid for
   * {@code lifetime} from now.
   *
   * @throws IllegalStateException when no issuer is configured (no verifier would accept it) or the
   *     development private key cannot be read
   */
  public String mint(String subject, List<String> groups, Duration lifetime) {
    if (subject == null || subject.isBlank()) {
      throw new IllegalArgumentException("subject must not be blank");
    }
    if (lifetime == null || lifetime.isNegative() || lifetime.isZero()) {
      throw new IllegalArgumentException("lifetime must be positive");
    }
    String iss =
        issuer
            .filter(i -> !i.isBlank())
            .orElseThrow(() -> new IllegalStateException("mp.jwt.verify.issuer is not set"));
    Instant now = Instant.now();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(iss)
            .subject(subject)
            .claim("upn", subject)
            .claim("groups", groups == null ? List.of() : List.copyOf(groups))
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(lifetime)))
            .jwtID(UUID.randomUUID().toString());
    audiences
        .flatMap(
            list ->
                java.util.Arrays.stream(list.split(","))
                    .map(String::trim)
                    .filter(a -> !a.isEmpty())
                    .findFirst())
        .ifPresent(claims::audience);
    // typ JWT: Payara's own MP-JWT refuses tokens without it (PAYARA.md).
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID(KEY_ID).build();
    SignedJWT jwt = new SignedJWT(header, claims.build());
    try {
      jwt.sign(signer());
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign with the development key", e);
    }
    return jwt.serialize();
  }

  private RSASSASigner signer() {
    RSASSASigner s = signer;
    if (s == null) {
      try {
        s = new RSASSASigner(KeyMaterial.rsaPrivateKey(KeyMaterial.read(PRIVATE_KEY)));
      } catch (IOException | KeyException e) {
        throw new IllegalStateException("development private key not readable: " + PRIVATE_KEY, e);
      }
      signer = s;
    }
    return s;
  }
}
