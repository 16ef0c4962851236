package io.agentwire.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.agentwire.security.control.DevelopmentTokens;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mints tokens for tests, good and bad: any claims, algorithm and key, {@code alg: none}, HS256
 * keyed with the public key, and tokens signed with the development key for integration tests.
 */
public final class TestTokens {

  /** The issuer {@link #claims} puts in every token. */
  public static final String ISSUER = "https://agentwire.test/issuer";

  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  private static RSAKey rsa;
  private static RSAKey development;

  private TestTokens() {}

  /** One RSA 2048 key pair (kid {@code test-rsa}) shared by the tests of a JVM: RSA is slow. */
  public static synchronized RSAKey rsaKey() {
    if (rsa == null) {
      rsa = newRsaKey("test-rsa");
    }
    return rsa;
  }

  public static RSAKey newRsaKey(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fresh P-256 key pair for ES256. */
  public static ECKey newEcKey(String kid) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The development key pair from the class path (kid {@code agentwire-dev}). */
  public static synchronized RSAKey developmentKey() {
    if (development == null) {
      try {
        KeyFactory rsaFactory = KeyFactory.getInstance("RSA");
        RSAPublicKey pub =
            (RSAPublicKey)
                rsaFactory.generatePublic(
                    new X509EncodedKeySpec(
                        pemBody(resource(DevelopmentTokens.PUBLIC_KEY), "PUBLIC KEY")));
        RSAPrivateKey priv =
            (RSAPrivateKey)
                rsaFactory.generatePrivate(
                    new PKCS8EncodedKeySpec(
                        pemBody(resource(DevelopmentTokens.PRIVATE_KEY), "PRIVATE KEY")));
        development =
            new RSAKey.Builder(pub).privateKey(priv).keyID(DevelopmentTokens.KEY_ID).build();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    return development;
  }

  /** The public half of {@code key} as a PKCS#8 PEM {@code PUBLIC KEY} block. */
  public static String publicPem(JWK key) {
    try {
      PublicKey pub = key instanceof RSAKey r ? r.toRSAPublicKey() : ((ECKey) key).toECPublicKey();
      return "-----BEGIN PUBLIC KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(pub.getEncoded())
          + "\n-----END PUBLIC KEY-----\n";
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Valid claims from {@link #ISSUER}: sub, groups, iat now, exp in five minutes, jti. */
  public static JWTClaimsSet.Builder claims(String subject, String... groups) {
    return claims(Instant.now(), subject, groups);
  }

  /** As {@link #claims(String, String...)}, issued at {@code now}. */
  public static JWTClaimsSet.Builder claims(Instant now, String subject, String... groups) {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject(subject)
        .claim("groups", List.of(groups))
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
        .jwtID(UUID.randomUUID().toString());
  }

  /** Signed with {@code key}: RS256 for an RSA key, ES256 for an EC key; typ JWT and its kid. */
  public static String sign(JWK key, JWTClaimsSet claims) {
    return sign(key instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256, key, claims);
  }

  public static String sign(JWSAlgorithm algorithm, JWK key, JWTClaimsSet claims) {
    return sign(
        new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT).keyID(key.getKeyID()).build(),
        key,
        claims);
  }

  /** Signed with {@code key} under any header, e.g. without typ or with another kid. */
  public static String sign(JWSHeader header, JWK key, JWTClaimsSet claims) {
    try {
      JWSSigner signer =
          key instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) key);
      SignedJWT jwt = new SignedJWT(header, claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code alg: none}: header and claims, empty signature. */
  public static String unsigned(JWTClaimsSet claims) {
    return new PlainJWT(claims).serialize();
  }

  /**
   * The algorithm-confusion attack: HS256 with the verifier's public key text as the HMAC secret,
   * which a verifier that lets the token pick the algorithm would accept.
   */
  public static String hs256WithPublicKeyAsSecret(JWK key, JWTClaimsSet claims) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims);
      jwt.sign(new MACSigner(publicPem(key).getBytes(StandardCharsets.US_ASCII)));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A valid token for {@code subject} signed with {@code key}. */
  public static String valid(JWK key, String subject, String... groups) {
    return sign(key, claims(subject, groups).build());
  }

  /** A valid token signed with the development key, for a server configured with {@code issuer}. */
  public static String development(String issuer, String subject, String... groups) {
    return sign(developmentKey(), claims(subject, groups).issuer(issuer).build());
  }

  public static String wrongIssuer(JWK key) {
    return sign(key, claims("alice").issuer("https://evil.example/issuer").build());
  }

  /** Expired {@code ago}: iat an hour before, exp {@code ago} before now. */
  public static String expired(JWK key, Duration ago) {
    Instant now = Instant.now();
    return sign(
        key,
        claims(now.minus(Duration.ofHours(1)), "alice")
            .expirationTime(Date.from(now.minus(ago)))
            .build());
  }

  /** {@code nbf} {@code ahead} of now. */
  public static String notYetValid(JWK key, Duration ahead) {
    return sign(key, claims("alice").notBeforeTime(Date.from(Instant.now().plus(ahead))).build());
  }

  /** {@code token} with its payload replaced and its signature kept. */
  public static String tampered(String token, JWTClaimsSet claims) {
    String[] parts = token.split("\\.");
    return parts[0] + "." + Base64URL.encode(claims.toString()) + "." + parts[2];
  }

  /** Strings that are no JWT at all. */
  public static List<String> garbage() {
    return List.of(
        "garbage",
        "a.b.c",
        "a.b",
        "....",
        Base64URL.encode("{\"alg\":\"RS256\"").toString() + ".e30.c2ln",
        Base64URL.encode("{\"typ\":\"JWT\"}").toString() + ".e30.c2ln",
        Base64URL.encode("{\"alg\":\"RS256\",\"typ\":\"JWT\"}").toString()
            + "."
            + Base64URL.encode("[1,2]")
            + ".c2ln");
  }

  private static byte[] pemBody(String pem, String label) {
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      if (label.equals(m.group(1))) {
        return Base64.getMimeDecoder().decode(m.group(2));
      }
    }
    throw new IllegalStateException("no " + label + " block");
  }

  private static String resource(String name) {
    try (InputStream in = TestTokens.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing class-path resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
