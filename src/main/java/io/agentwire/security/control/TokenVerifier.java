package io.agentwire.security.control;

import static io.agentwire.security.entity.TokenVerdict.Rejected.BAD_SIGNATURE;
import static io.agentwire.security.entity.TokenVerdict.Rejected.EXPIRED;
import static io.agentwire.security.entity.TokenVerdict.Rejected.MALFORMED_GROUPS;
import static io.agentwire.security.entity.TokenVerdict.Rejected.MALFORMED_TOKEN;
import static io.agentwire.security.entity.TokenVerdict.Rejected.MISSING_EXPIRY;
import static io.agentwire.security.entity.TokenVerdict.Rejected.MISSING_ISSUED_AT;
import static io.agentwire.security.entity.TokenVerdict.Rejected.MISSING_SUBJECT;
import static io.agentwire.security.entity.TokenVerdict.Rejected.MISSING_TOKEN;
import static io.agentwire.security.entity.TokenVerdict.Rejected.NOT_YET_VALID;
import static io.agentwire.security.entity.TokenVerdict.Rejected.NO_ISSUER;
import static io.agentwire.security.entity.TokenVerdict.Rejected.NO_KEY;
import static io.agentwire.security.entity.TokenVerdict.Rejected.UNKNOWN_KEY;
import static io.agentwire.security.entity.TokenVerdict.Rejected.UNSUPPORTED_ALGORITHM;
import static io.agentwire.security.entity.TokenVerdict.Rejected.UNSUPPORTED_TYPE;
import static io.agentwire.security.entity.TokenVerdict.Rejected.WRONG_AUDIENCE;
import static io.agentwire.security.entity.TokenVerdict.Rejected.WRONG_ISSUER;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.agentwire.security.entity.TokenVerdict;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.Key;
import java.security.KeyException;
import java.text.ParseException;
import java.time.Clock;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Verifies the JWT of a WebSocket upgrade or an admin request against the standard MP-JWT 2.1
 * settings ({@code mp.jwt.verify.*}); never fails start-up, never logs a token.
 */
@ApplicationScoped
public class TokenVerifier {

  private static final Logger LOG = System.getLogger("agentwire.security");

  /**
   * MP-JWT 2.1 defines {@code mp.jwt.verify.clock.skew} without a default (configuration.asciidoc,
   * "verify-clock-skew"); 60 s is SmallRye JWT's default. Payara's own MP-JWT applies none.
   */
  public static final int DEFAULT_CLOCK_SKEW_SECONDS = 60;

  /**
   * The MP-JWT settings. Blank strings count as absent; {@code audiences} empty means any audience;
   * a negative skew counts as none; {@code algorithm} is RS256 or ES256, and the only one accepted.
   */
  public record Settings(
      String publicKey,
      String publicKeyLocation,
      String issuer,
      List<String> audiences,
      int clockSkewSeconds,
      String algorithm) {
    public Settings {
      publicKey = blankToNull(publicKey);
      publicKeyLocation = blankToNull(publicKeyLocation);
      issuer = blankToNull(issuer);
      audiences =
          audiences == null
              ? List.of()
              : audiences.stream().map(String::trim).filter(a -> !a.isEmpty()).toList();
      clockSkewSeconds = Math.max(0, clockSkewSeconds);
      algorithm = algorithm == null || algorithm.isBlank() ? "RS256" : algorithm.trim();
    }

    /** Key text, issuer, default skew and RS256, no audience check. */
    public static Settings of(String publicKey, String issuer) {
      return new Settings(publicKey, null, issuer, List.of(), DEFAULT_CLOCK_SKEW_SECONDS, null);
    }

    public Settings withAudiences(List<String> audiences) {
      return new Settings(
          publicKey, publicKeyLocation, issuer, audiences, clockSkewSeconds, algorithm);
    }

    public Settings withClockSkewSeconds(int seconds) {
      return new Settings(publicKey, publicKeyLocation, issuer, audiences, seconds, algorithm);
    }

    public Settings withAlgorithm(String algorithm) {
      return new Settings(
          publicKey, publicKeyLocation, issuer, audiences, clockSkewSeconds, algorithm);
    }

    /** These settings with the key read from {@code location} instead of given as text. */
    public Settings withLocation(String location) {
      return new Settings(null, location, issuer, audiences, clockSkewSeconds, algorithm);
    }

    private static String blankToNull(String s) {
      return s == null || s.isBlank() ? null : s;
    }
  }

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey")
  Optional<String> publicKey;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey.location")
  Optional<String> publicKeyLocation;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.issuer")
  Optional<String> issuer;

  // A comma list read as one string: Payara 6.2025.10's ConfigProducer.getOptionalProperty fails
  // deployment with a ClassCastException on Optional<List<String>> (seen here, issue 2 notes).
  @Inject
  @ConfigProperty(name = "mp.jwt.verify.audiences")
  Optional<String> audiences;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "" + DEFAULT_CLOCK_SKEW_SECONDS)
  int clockSkewSeconds;

  @Inject
  @ConfigProperty(name = "mp.jwt.verify.publickey.algorithm", defaultValue = "RS256")
  String algorithm;

  /** Everything verification needs, built once; {@code problem} rejects every token if set. */
  private record Trust(
      DefaultJWTProcessor<SecurityContext> processor,
      JWSAlgorithm algorithm,
      boolean keyLoaded,
      boolean developmentKey,
      String problem) {}

  private volatile Trust trust;

  /** For CDI; the settings come from MicroProfile Config in {@link #configure()}. */
  public TokenVerifier() {}

  public static TokenVerifier of(Settings settings) {
    return of(settings, Clock.systemUTC());
  }

  /** With a clock, so that tests can place {@code exp} and {@code nbf} exactly. */
  public static TokenVerifier of(Settings settings, Clock clock) {
    TokenVerifier verifier = new TokenVerifier();
    verifier.trust = trust(settings, clock);
    verifier.clockSkewSeconds = settings.clockSkewSeconds();
    return verifier;
  }

  @PostConstruct
  void configure() {
    trust =
        trust(
            new Settings(
                publicKey.orElse(null),
                publicKeyLocation.orElse(null),
                issuer.orElse(null),
                audiences.map(a -> List.of(a.split(","))).orElse(List.of()),
                clockSkewSeconds,
                algorithm),
            Clock.systemUTC());
  }

  /**
   * The tolerance for {@code exp} and {@code nbf}; an open connection's token ends at exp + this.
   */
  public java.time.Duration clockSkew() {
    return java.time.Duration.ofSeconds(Math.max(0, clockSkewSeconds));
  }

  /** Whether a verification key was loaded; without one every token is rejected. */
  public boolean keyLoaded() {
    return trust.keyLoaded();
  }

  /** Whether the development key is among the trusted keys (strict mode refuses to start then). */
  public boolean usesDevelopmentKey() {
    return trust.developmentKey();
  }

  /**
   * Why every token is rejected whatever it holds ({@code no verification key}, {@code no issuer
   * configured}); empty when tokens can be verified.
   */
  public Optional<String> problem() {
    return Optional.ofNullable(trust.problem());
  }

  public TokenVerdict verify(String token) {
    if (token == null || token.isBlank()) {
      return new TokenVerdict.Rejected(MISSING_TOKEN);
    }
    Trust t = trust;
    if (t.problem() != null) {
      return new TokenVerdict.Rejected(t.problem());
    }
    try {
      JWT parsed = JWTParser.parse(token);
      // alg none parses as PlainJWT; an encrypted token is not what MP-JWT's signed mode accepts
      if (!(parsed instanceof SignedJWT signed)) {
        return new TokenVerdict.Rejected(UNSUPPORTED_ALGORITHM);
      }
      JWSHeader header = signed.getHeader();
      // Only the configured algorithm (MP-JWT 2.1: whitelist it): HS256 keyed with the public key
      // text, or the other asymmetric algorithm, never reaches a verifier.
      if (!t.algorithm().equals(header.getAlgorithm())) {
        return new TokenVerdict.Rejected(UNSUPPORTED_ALGORITHM);
      }
      if (header.getType() != null && !JOSEObjectType.JWT.equals(header.getType())) {
        return new TokenVerdict.Rejected(UNSUPPORTED_TYPE);
      }
      signed.getJWTClaimsSet(); // a payload that is not a claims set is malformed, not unsigned
      return verified(t.processor().process(signed, null));
    } catch (ParseException e) {
      return new TokenVerdict.Rejected(MALFORMED_TOKEN);
    } catch (Rejection r) {
      return new TokenVerdict.Rejected(r.getMessage());
    } catch (BadJWSException e) {
      return new TokenVerdict.Rejected(BAD_SIGNATURE);
    } catch (BadJOSEException e) {
      // algorithm, type and payload were checked above: what is left is "no key to try"
      return new TokenVerdict.Rejected(UNKNOWN_KEY);
    } catch (JOSEException e) {
      return new TokenVerdict.Rejected(BAD_SIGNATURE);
    }
  }

  private static TokenVerdict verified(JWTClaimsSet claims) {
    String subject = firstString(claims, "sub", "upn", "preferred_username");
    if (subject == null) {
      return new TokenVerdict.Rejected(MISSING_SUBJECT);
    }
    List<String> groups;
    try {
      groups = claims.getStringListClaim("groups");
    } catch (ParseException e) {
      return new TokenVerdict.Rejected(MALFORMED_GROUPS);
    }
    return new TokenVerdict.Verified(
        subject,
        groups == null ? Set.of() : new HashSet<>(groups),
        claims.getExpirationTime().toInstant());
  }

  /** The subject is sub, else upn, else preferred_username: MP-JWT accepts any of the three. */
  private static String firstString(JWTClaimsSet claims, String... names) {
    for (String name : names) {
      try {
        String value = claims.getStringClaim(name);
        if (value != null && !value.isBlank()) {
          return value;
        }
      } catch (ParseException notAString) {
        // a non-string sub names nobody; try the next claim
      }
    }
    return null;
  }

  private static Trust trust(Settings settings, Clock clock) {
    JWSAlgorithm algorithm = JWSAlgorithm.parse(settings.algorithm());
    JWKSet keys = null;
    if (!JWSAlgorithm.RS256.equals(algorithm) && !JWSAlgorithm.ES256.equals(algorithm)) {
      LOG.log(
          Level.ERROR,
          "No token verification key: mp.jwt.verify.publickey.algorithm {0} is not RS256 or ES256",
          settings.algorithm());
    } else {
      keys = loadKeys(settings, algorithm);
    }
    boolean development = keys != null && containsDevelopmentKey(keys);
    String problem = keys == null ? NO_KEY : null;
    if (problem == null && settings.issuer() == null) {
      // MP-JWT 2.1 "Requirements for Rejecting MP-JWT Tokens" 3: only configured issuers pass.
      LOG.log(Level.ERROR, "mp.jwt.verify.issuer is not set: every token is rejected");
      problem = NO_ISSUER;
    }
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    if (problem == null) {
      processor.setJWSKeySelector(new KidHintKeySelector(algorithm, keys));
      processor.setJWTClaimsSetVerifier(
          new MpJwtClaims(
              settings.issuer(),
              Set.copyOf(settings.audiences()),
              settings.clockSkewSeconds(),
              clock));
      LOG.log(
          Level.INFO,
          "Token verification: {0} {1} key(s), issuer {2}, audiences {3}, clock skew {4} s{5}",
          keys.size(),
          algorithm,
          settings.issuer(),
          settings.audiences().isEmpty() ? "not checked" : settings.audiences(),
          settings.clockSkewSeconds(),
          development ? ", DEVELOPMENT key (public in the repository)" : "");
    }
    return new Trust(processor, algorithm, keys != null, development, problem);
  }

  /** The configured keys, or null after one log line saying why there are none. */
  private static JWKSet loadKeys(Settings settings, JWSAlgorithm algorithm) {
    if (settings.publicKey() != null && settings.publicKeyLocation() != null) {
      LOG.log(
          Level.ERROR,
          "No token verification key: both mp.jwt.verify.publickey and"
              + " mp.jwt.verify.publickey.location are set, which MP-JWT 2.1 forbids");
      return null;
    }
    if (settings.publicKey() == null && settings.publicKeyLocation() == null) {
      LOG.log(
          Level.ERROR,
          "No token verification key: set mp.jwt.verify.publickey or"
              + " mp.jwt.verify.publickey.location");
      return null;
    }
    String source =
        settings.publicKey() != null
            ? "mp.jwt.verify.publickey"
            : "mp.jwt.verify.publickey.location " + settings.publicKeyLocation();
    try {
      String text =
          settings.publicKey() != null
              ? settings.publicKey()
              : KeyMaterial.read(settings.publicKeyLocation());
      return KeyMaterial.publicKeys(text, algorithm);
    } catch (IOException | KeyException | RuntimeException e) {
      LOG.log(Level.ERROR, "No token verification key from {0}: {1}", source, e.toString());
      return null;
    }
  }

  private static boolean containsDevelopmentKey(JWKSet keys) {
    try {
      JWK development =
          KeyMaterial.publicKeys(KeyMaterial.read(DevelopmentTokens.PUBLIC_KEY), JWSAlgorithm.RS256)
              .getKeys()
              .get(0);
      for (JWK key : keys.getKeys()) {
        if (key.computeThumbprint().equals(development.computeThumbprint())) {
          return true;
        }
      }
      return false;
    } catch (IOException | KeyException | JOSEException e) {
      // Without the development key in the WAR no configured key can be it.
      LOG.log(Level.WARNING, "Development key not readable: {0}", e.toString());
      return false;
    }
  }

  /**
   * Takes the key named by {@code kid} and, when no key has that name, every key of the type:
   * MP-JWT 2.1 treats {@code kid} as a hint, and a PEM key has no name at all.
   */
  private static final class KidHintKeySelector
      extends JWSVerificationKeySelector<SecurityContext> {
    KidHintKeySelector(JWSAlgorithm algorithm, JWKSet keys) {
      super(algorithm, new ImmutableJWKSet<>(keys));
    }

    @Override
    public List<Key> selectJWSKeys(JWSHeader header, SecurityContext context)
        throws KeySourceException {
      List<Key> keys = super.selectJWSKeys(header, context);
      if (keys.isEmpty() && header.getKeyID() != null) {
        return super.selectJWSKeys(new JWSHeader.Builder(header).keyID(null).build(), context);
      }
      return keys;
    }
  }

  /**
   * The MP-JWT claim rules, each failing with its own reason; nimbus keeps the time arithmetic.
   * Runs only after the signature verified, so an unsigned token learns nothing about its claims.
   */
  private static final class MpJwtClaims extends DefaultJWTClaimsVerifier<SecurityContext> {
    private final String issuer;
    private final Set<String> audiences;
    private final Clock clock;

    MpJwtClaims(String issuer, Set<String> audiences, int clockSkewSeconds, Clock clock) {
      super(null, null, null, null);
      setMaxClockSkew(clockSkewSeconds);
      this.issuer = issuer;
      this.audiences = audiences;
      this.clock = clock;
    }

    @Override
    public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
      if (!issuer.equals(claims.getIssuer())) {
        throw new Rejection(WRONG_ISSUER);
      }
      if (!audiences.isEmpty() && Collections.disjoint(audiences, claims.getAudience())) {
        throw new Rejection(WRONG_AUDIENCE);
      }
      if (claims.getExpirationTime() == null) {
        throw new Rejection(MISSING_EXPIRY);
      }
      if (claims.getIssueTime() == null) {
        throw new Rejection(MISSING_ISSUED_AT);
      }
      try {
        super.verify(claims, context);
      } catch (ExpiredJWTException e) {
        throw new Rejection(EXPIRED);
      } catch (BadJWTException e) {
        // nothing but exp and nbf is left to the superclass, and exp was caught above
        throw new Rejection(NOT_YET_VALID);
      }
    }

    @Override
    protected Date currentTime() {
      return Date.from(clock.instant());
    }
  }

  /** A claim rule failed; the message is the reason, from {@link TokenVerdict.Rejected}. */
  private static final class Rejection extends BadJWTException {
    Rejection(String why) {
      super(why);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this; // an expected answer, not a defect: no stack to capture
    }
  }
}
