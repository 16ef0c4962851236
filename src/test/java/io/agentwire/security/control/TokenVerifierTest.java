package io.agentwire.security.control;

import static io.agentwire.security.TestTokens.ISSUER;
import static io.agentwire.security.TestTokens.claims;
import static io.agentwire.security.TestTokens.publicPem;
import static io.agentwire.security.TestTokens.rsaKey;
import static io.agentwire.security.TestTokens.sign;
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
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.agentwire.security.TestTokens;
import io.agentwire.security.entity.TokenVerdict;
import io.agentwire.security.entity.TokenVerdict.Rejected;
import io.agentwire.security.entity.TokenVerdict.Verified;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenVerifierTest {

  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static TokenVerifier.Settings settings() {
    return TokenVerifier.Settings.of(publicPem(rsaKey()), ISSUER);
  }

  private static TokenVerifier verifier() {
    return TokenVerifier.of(settings(), CLOCK);
  }

  /** Valid claims as of the fixed clock. */
  private static JWTClaimsSet.Builder at(String subject, String... groups) {
    return claims(NOW, subject, groups);
  }

  private static String why(TokenVerdict verdict) {
    assertThat(verdict).isInstanceOf(Rejected.class);
    return ((Rejected) verdict).why();
  }

  private static Verified verified(TokenVerdict verdict) {
    assertThat(verdict).isInstanceOf(Verified.class);
    return (Verified) verdict;
  }

  // --- acceptance ---------------------------------------------------------------------------

  @Test
  void acceptsRs256WithSubjectGroupsAndExpiry() {
    Verified v =
        verified(verifier().verify(sign(rsaKey(), at("alice", "agentwire-admin", "x").build())));
    assertThat(v.subject()).isEqualTo("alice");
    assertThat(v.groups()).containsExactlyInAnyOrder("agentwire-admin", "x");
    assertThat(v.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
  }

  @Test
  void acceptsEs256WhenConfigured() {
    ECKey ec = TestTokens.newEcKey("ec-1");
    TokenVerifier pem =
        TokenVerifier.of(
            TokenVerifier.Settings.of(publicPem(ec), ISSUER).withAlgorithm("ES256"), CLOCK);
    TokenVerifier jwk =
        TokenVerifier.of(
            TokenVerifier.Settings.of(ec.toPublicJWK().toJSONString(), ISSUER)
                .withAlgorithm("ES256"),
            CLOCK);
    String token = sign(ec, at("bob").build());
    assertThat(verified(pem.verify(token)).subject()).isEqualTo("bob");
    assertThat(verified(jwk.verify(token)).subject()).isEqualTo("bob");
    // ES256 configured: an RS256 token is refused before any key is tried
    assertThat(why(pem.verify(sign(rsaKey(), at("bob").build())))).isEqualTo(UNSUPPORTED_ALGORITHM);
  }

  @Test
  void acceptsTokenWithoutGroupsAsNoGroups() {
    JWTClaimsSet c = new JWTClaimsSet.Builder(at("alice").build()).claim("groups", null).build();
    assertThat(verified(verifier().verify(sign(rsaKey(), c))).groups()).isEmpty();
  }

  @Test
  void fallsBackToUpnThenPreferredUsernameForTheSubject() {
    JWTClaimsSet upn =
        new JWTClaimsSet.Builder(at("x").build()).subject(null).claim("upn", "u@example").build();
    JWTClaimsSet preferred =
        new JWTClaimsSet.Builder(at("x").build())
            .subject(null)
            .claim("preferred_username", "pu")
            .build();
    assertThat(verified(verifier().verify(sign(rsaKey(), upn))).subject()).isEqualTo("u@example");
    assertThat(verified(verifier().verify(sign(rsaKey(), preferred))).subject()).isEqualTo("pu");
  }

  @Test
  void acceptsTokenWithoutTypHeader() {
    String token =
        sign(new JWSHeader.Builder(JWSAlgorithm.RS256).build(), rsaKey(), at("a").build());
    assertThat(verifier().verify(token)).isInstanceOf(Verified.class);
  }

  // --- every rejection reason -----------------------------------------------------------------

  @Test
  void rejectsMissingToken() {
    assertThat(why(verifier().verify(null))).isEqualTo(MISSING_TOKEN);
    assertThat(why(verifier().verify(""))).isEqualTo(MISSING_TOKEN);
    assertThat(why(verifier().verify("  \t"))).isEqualTo(MISSING_TOKEN);
  }

  @Test
  void rejectsGarbageAsMalformed() {
    for (String garbage : TestTokens.garbage()) {
      assertThat(why(verifier().verify(garbage))).as(garbage).isEqualTo(MALFORMED_TOKEN);
    }
  }

  @Test
  void rejectsAlgNone() {
    assertThat(why(verifier().verify(TestTokens.unsigned(at("alice").build()))))
        .isEqualTo(UNSUPPORTED_ALGORITHM);
  }

  @Test
  void rejectsHs256SignedWithThePublicKeyAsSecret() {
    String token = TestTokens.hs256WithPublicKeyAsSecret(rsaKey(), at("alice").build());
    assertThat(why(verifier().verify(token))).isEqualTo(UNSUPPORTED_ALGORITHM);
  }

  @Test
  void rejectsOtherAsymmetricAlgorithms() {
    String rs512 = sign(JWSAlgorithm.RS512, rsaKey(), at("alice").build());
    String ps256 = sign(JWSAlgorithm.PS256, rsaKey(), at("alice").build());
    assertThat(why(verifier().verify(rs512))).isEqualTo(UNSUPPORTED_ALGORITHM);
    assertThat(why(verifier().verify(ps256))).isEqualTo(UNSUPPORTED_ALGORITHM);
  }

  @Test
  void rejectsOtherTokenTypes() {
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.RS256).type(new JOSEObjectType("at+jwt")).build();
    assertThat(why(verifier().verify(sign(header, rsaKey(), at("a").build()))))
        .isEqualTo(UNSUPPORTED_TYPE);
  }

  @Test
  void rejectsBadSignature() {
    String otherKey = sign(TestTokens.newRsaKey("test-rsa"), at("alice").build());
    String tampered =
        TestTokens.tampered(
            sign(rsaKey(), at("alice").build()), at("mallory", "agentwire-admin").build());
    assertThat(why(verifier().verify(otherKey))).isEqualTo(BAD_SIGNATURE);
    assertThat(why(verifier().verify(tampered))).isEqualTo(BAD_SIGNATURE);
  }

  @Test
  void checksTheSignatureBeforeAnyClaim() {
    String expiredWrongIssuerOtherKey =
        sign(
            TestTokens.newRsaKey("x"),
            at("a").issuer("other").expirationTime(Date.from(NOW.minusSeconds(3600))).build());
    assertThat(why(verifier().verify(expiredWrongIssuerOtherKey))).isEqualTo(BAD_SIGNATURE);
  }

  @Test
  void rejectsWrongOrMissingIssuer() {
    assertThat(
            why(verifier().verify(sign(rsaKey(), at("a").issuer("https://evil.example").build()))))
        .isEqualTo(WRONG_ISSUER);
    assertThat(why(verifier().verify(sign(rsaKey(), at("a").issuer(null).build()))))
        .isEqualTo(WRONG_ISSUER);
  }

  @Test
  void checksAudiencesOnlyWhenConfigured() {
    TokenVerifier anyAudience = verifier();
    TokenVerifier checked =
        TokenVerifier.of(settings().withAudiences(List.of("agentwire", " other ")), CLOCK);
    String none = sign(rsaKey(), at("a").build());
    String wrong = sign(rsaKey(), at("a").audience("somebody-else").build());
    String right = sign(rsaKey(), at("a").audience(List.of("x", "other")).build());

    assertThat(anyAudience.verify(none)).isInstanceOf(Verified.class);
    assertThat(anyAudience.verify(wrong)).isInstanceOf(Verified.class);
    assertThat(why(checked.verify(none))).isEqualTo(WRONG_AUDIENCE);
    assertThat(why(checked.verify(wrong))).isEqualTo(WRONG_AUDIENCE);
    assertThat(checked.verify(right)).isInstanceOf(Verified.class);
  }

  @Test
  void rejectsMissingExpAndIat() {
    assertThat(why(verifier().verify(sign(rsaKey(), at("a").expirationTime(null).build()))))
        .isEqualTo(MISSING_EXPIRY);
    assertThat(why(verifier().verify(sign(rsaKey(), at("a").issueTime(null).build()))))
        .isEqualTo(MISSING_ISSUED_AT);
  }

  @Test
  void rejectsExpiredAndNotYetValid() {
    String expired =
        sign(rsaKey(), at("a").expirationTime(Date.from(NOW.minusSeconds(3600))).build());
    String early = sign(rsaKey(), at("a").notBeforeTime(Date.from(NOW.plusSeconds(3600))).build());
    assertThat(why(verifier().verify(expired))).isEqualTo(EXPIRED);
    assertThat(why(verifier().verify(early))).isEqualTo(NOT_YET_VALID);
  }

  @Test
  void toleratesTheConfiguredClockSkew() {
    TokenVerifier v = verifier(); // default skew: 60 s
    assertThat(v.verify(expiredAgo(30))).isInstanceOf(Verified.class);
    assertThat(why(v.verify(expiredAgo(90)))).isEqualTo(EXPIRED);
    assertThat(v.verify(validIn(30))).isInstanceOf(Verified.class);
    assertThat(why(v.verify(validIn(90)))).isEqualTo(NOT_YET_VALID);

    TokenVerifier strict = TokenVerifier.of(settings().withClockSkewSeconds(0), CLOCK);
    assertThat(why(strict.verify(expiredAgo(1)))).isEqualTo(EXPIRED);
    assertThat(why(strict.verify(validIn(1)))).isEqualTo(NOT_YET_VALID);
    // nimbus wants nbf strictly before now + skew, so with no skew a token valid from this very
    // second waits one second (RFC 7519 4.1.5 would take it); irrelevant with any skew.
    assertThat(strict.verify(validIn(-1))).isInstanceOf(Verified.class);
    assertThat(strict.verify(expiredAgo(-1))).isInstanceOf(Verified.class);
  }

  @Test
  void defaultsTheClockSkewToSixtySeconds() {
    assertThat(TokenVerifier.DEFAULT_CLOCK_SKEW_SECONDS).isEqualTo(60);
    assertThat(settings().clockSkewSeconds()).isEqualTo(60);
  }

  private static String expiredAgo(long seconds) {
    return sign(
        rsaKey(),
        claims(NOW.minusSeconds(600), "a")
            .expirationTime(Date.from(NOW.minusSeconds(seconds)))
            .build());
  }

  private static String validIn(long seconds) {
    return sign(rsaKey(), at("a").notBeforeTime(Date.from(NOW.plusSeconds(seconds))).build());
  }

  @Test
  void rejectsTokenWithoutAnySubjectClaim() {
    assertThat(why(verifier().verify(sign(rsaKey(), at("a").subject(null).build()))))
        .isEqualTo(MISSING_SUBJECT);
    assertThat(why(verifier().verify(sign(rsaKey(), at("a").subject(" ").build()))))
        .isEqualTo(MISSING_SUBJECT);
  }

  @Test
  void rejectsGroupsThatAreNotAListOfStrings() {
    JWTClaimsSet c =
        new JWTClaimsSet.Builder(at("a").build()).claim("groups", List.of(1, 2)).build();
    assertThat(why(verifier().verify(sign(rsaKey(), c)))).isEqualTo(MALFORMED_GROUPS);
  }

  @Test
  void rejectsTokensNoConfiguredKeyMayVerify() {
    RSAKey encryptionOnly =
        new RSAKey.Builder(rsaKey().toPublicJWK())
            .keyUse(com.nimbusds.jose.jwk.KeyUse.ENCRYPTION)
            .build();
    TokenVerifier v =
        TokenVerifier.of(
            TokenVerifier.Settings.of(new JWKSet(encryptionOnly).toString(), ISSUER), CLOCK);
    assertThat(why(v.verify(sign(rsaKey(), at("a").build())))).isEqualTo(UNKNOWN_KEY);
  }

  @Test
  void loadsNoKeyWhenTheSetHoldsNoneForTheAlgorithm() {
    RSAKey a = TestTokens.newRsaKey("a");
    TokenVerifier v =
        TokenVerifier.of(
            TokenVerifier.Settings.of(new JWKSet(List.of(a.toPublicJWK())).toString(), ISSUER)
                .withAlgorithm("ES256"),
            CLOCK);
    assertThat(v.keyLoaded()).isFalse();
    assertThat(why(v.verify(sign(a, at("x").build())))).isEqualTo(NO_KEY);
  }

  // --- keys and where they come from ----------------------------------------------------------

  @Test
  void usesKidAsAHintInAKeySet() {
    RSAKey a = TestTokens.newRsaKey("a");
    RSAKey b = TestTokens.newRsaKey("b");
    String jwks = new JWKSet(List.of(a.toPublicJWK(), b.toPublicJWK())).toString();
    TokenVerifier v = TokenVerifier.of(TokenVerifier.Settings.of(jwks, ISSUER), CLOCK);
    JWSHeader unknownKid = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("c").build();

    assertThat(verified(v.verify(sign(b, at("by-b").build()))).subject()).isEqualTo("by-b");
    assertThat(v.verify(sign(unknownKid, b, at("x").build()))).isInstanceOf(Verified.class);
    // kid names a, the signature is b's: only a is tried
    JWSHeader kidA = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("a").build();
    assertThat(why(v.verify(sign(kidA, b, at("x").build())))).isEqualTo(BAD_SIGNATURE);
  }

  @Test
  void acceptsAnyKidWithAPemKey() {
    JWSHeader kid = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("whatever").build();
    assertThat(verifier().verify(sign(kid, rsaKey(), at("a").build())))
        .isInstanceOf(Verified.class);
  }

  @Test
  void readsJwkJwksAndTheirBase64UrlForms() {
    String jwk = rsaKey().toPublicJWK().toJSONString();
    String jwks = new JWKSet(rsaKey().toPublicJWK()).toString();
    String token = sign(rsaKey(), at("a").build());
    for (String key :
        List.of(jwk, jwks, Base64URL.encode(jwk).toString(), Base64URL.encode(jwks).toString())) {
      TokenVerifier v = TokenVerifier.of(TokenVerifier.Settings.of(key, ISSUER), CLOCK);
      assertThat(v.keyLoaded()).as(key).isTrue();
      assertThat(v.verify(token)).as(key).isInstanceOf(Verified.class);
    }
  }

  @Test
  void ignoresBannerTextAroundPem() {
    String pem =
        "# a comment line\nsome banner text\n" + publicPem(rsaKey()) + "\ntrailing words\n";
    TokenVerifier v = TokenVerifier.of(TokenVerifier.Settings.of(pem, ISSUER), CLOCK);
    assertThat(v.verify(sign(rsaKey(), at("a").build()))).isInstanceOf(Verified.class);
  }

  @Test
  void loadsFromFilePathFileUrlAndClassPath(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("public.pem");
    Files.writeString(file, publicPem(rsaKey()), StandardCharsets.UTF_8);
    String token = sign(rsaKey(), at("a").build());
    for (String location : List.of(file.toString(), file.toUri().toString())) {
      TokenVerifier v = TokenVerifier.of(settings().withLocation(location), CLOCK);
      assertThat(v.keyLoaded()).as(location).isTrue();
      assertThat(v.verify(token)).as(location).isInstanceOf(Verified.class);
    }
    String dev = sign(TestTokens.developmentKey(), at("dev").build());
    for (String location :
        List.of(
            DevelopmentTokens.PUBLIC_KEY,
            "/" + DevelopmentTokens.PUBLIC_KEY,
            "classpath:" + DevelopmentTokens.PUBLIC_KEY)) {
      TokenVerifier v = TokenVerifier.of(settings().withLocation(location), CLOCK);
      assertThat(v.keyLoaded()).as(location).isTrue();
      assertThat(v.verify(dev)).as(location).isInstanceOf(Verified.class);
    }
  }

  @Test
  void startsWithoutAKeyAndRejectsEverythingWhenTheKeyIsMissingOrUnusable(@TempDir Path dir)
      throws Exception {
    String privatePem;
    try (var in =
        TestTokens.class.getClassLoader().getResourceAsStream(DevelopmentTokens.PRIVATE_KEY)) {
      privatePem = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Path privateKey = Files.writeString(dir.resolve("private.pem"), privatePem);
    Map<String, TokenVerifier.Settings> broken = new LinkedHashMap<>();
    broken.put("no key at all", new TokenVerifier.Settings(null, null, ISSUER, null, 60, null));
    broken.put("missing file", settings().withLocation(dir.resolve("absent.pem").toString()));
    broken.put("missing resource", settings().withLocation("META-INF/absent.pem"));
    broken.put("not a key", TokenVerifier.Settings.of("hello", ISSUER));
    broken.put(
        "truncated pem", TokenVerifier.Settings.of("-----BEGIN PUBLIC KEY-----\nMIIB", ISSUER));
    broken.put("private key text", TokenVerifier.Settings.of(privatePem, ISSUER));
    broken.put("private key file", settings().withLocation(privateKey.toString()));
    broken.put("private jwk", TokenVerifier.Settings.of(rsaKey().toJSONString(), ISSUER));
    broken.put(
        "both key and location",
        new TokenVerifier.Settings(
            publicPem(rsaKey()), DevelopmentTokens.PUBLIC_KEY, ISSUER, null, 60, null));
    broken.put("unsupported algorithm", settings().withAlgorithm("HS256"));
    broken.put("rsa key for ES256", settings().withAlgorithm("ES256"));
    String token = sign(rsaKey(), at("a").build());
    for (var e : broken.entrySet()) {
      TokenVerifier v = TokenVerifier.of(e.getValue(), CLOCK);
      assertThat(v.keyLoaded()).as(e.getKey()).isFalse();
      assertThat(v.problem()).as(e.getKey()).contains(NO_KEY);
      assertThat(why(v.verify(token))).as(e.getKey()).isEqualTo(NO_KEY);
      assertThat(why(v.verify(null))).as(e.getKey()).isEqualTo(MISSING_TOKEN);
    }
  }

  @Test
  void configuresItselfFromTheInjectedMicroProfileConfigValues() {
    TokenVerifier v = new TokenVerifier();
    v.publicKey = Optional.empty();
    v.publicKeyLocation = Optional.of(DevelopmentTokens.PUBLIC_KEY);
    v.issuer = Optional.of(ISSUER);
    v.audiences = Optional.of("agentwire");
    v.clockSkewSeconds = TokenVerifier.DEFAULT_CLOCK_SKEW_SECONDS;
    v.algorithm = "RS256";
    v.configure();

    assertThat(v.keyLoaded()).isTrue();
    assertThat(v.usesDevelopmentKey()).isTrue();
    assertThat(v.problem()).isEmpty();
    String token =
        DevelopmentTokens.of(ISSUER, List.of("agentwire"))
            .mint("eve", List.of(), Duration.ofMinutes(1));
    assertThat(verified(v.verify(token)).subject()).isEqualTo("eve");
    String noAudience =
        DevelopmentTokens.of(ISSUER, null).mint("eve", List.of(), Duration.ofMinutes(1));
    assertThat(why(v.verify(noAudience))).isEqualTo(WRONG_AUDIENCE);
  }

  @Test
  void rejectsEveryTokenWithoutAConfiguredIssuer() {
    TokenVerifier v = TokenVerifier.of(TokenVerifier.Settings.of(publicPem(rsaKey()), " "), CLOCK);
    assertThat(v.keyLoaded()).isTrue();
    assertThat(v.problem()).contains(NO_ISSUER);
    assertThat(why(v.verify(sign(rsaKey(), at("a").build())))).isEqualTo(NO_ISSUER);
  }

  // --- the development key --------------------------------------------------------------------

  @Test
  void recognisesTheDevelopmentKeyHoweverItIsGiven() {
    String devJwk = TestTokens.developmentKey().toPublicJWK().toJSONString();
    String setWithDev =
        new JWKSet(List.of(rsaKey().toPublicJWK(), TestTokens.developmentKey().toPublicJWK()))
            .toString();
    assertThat(
            TokenVerifier.of(settings().withLocation(DevelopmentTokens.PUBLIC_KEY))
                .usesDevelopmentKey())
        .isTrue();
    assertThat(TokenVerifier.of(TokenVerifier.Settings.of(devJwk, ISSUER)).usesDevelopmentKey())
        .isTrue();
    assertThat(TokenVerifier.of(TokenVerifier.Settings.of(setWithDev, ISSUER)).usesDevelopmentKey())
        .isTrue();
    assertThat(verifier().usesDevelopmentKey()).isFalse();
    assertThat(
            TokenVerifier.of(new TokenVerifier.Settings(null, null, ISSUER, null, 60, null))
                .usesDevelopmentKey())
        .isFalse();
  }

  @Test
  void developmentTokensVerifyAgainstTheDevelopmentKey() throws Exception {
    TokenVerifier v =
        TokenVerifier.of(
            settings()
                .withLocation(DevelopmentTokens.PUBLIC_KEY)
                .withAudiences(List.of("agentwire")));
    String token =
        DevelopmentTokens.of(ISSUER, List.of("agentwire", "second"))
            .mint("carol", List.of("agentwire-admin"), Duration.ofMinutes(10));

    Verified verified = verified(v.verify(token));
    assertThat(verified.subject()).isEqualTo("carol");
    assertThat(verified.groups()).containsExactly("agentwire-admin");

    SignedJWT jwt = SignedJWT.parse(token);
    JWTClaimsSet c = jwt.getJWTClaimsSet();
    assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
    assertThat(jwt.getHeader().getType()).isEqualTo(JOSEObjectType.JWT);
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(DevelopmentTokens.KEY_ID);
    assertThat(c.getIssuer()).isEqualTo(ISSUER);
    assertThat(c.getAudience()).containsExactly("agentwire");
    assertThat(c.getStringClaim("upn")).isEqualTo("carol");
    assertThat(c.getJWTID()).isNotBlank();
    assertThat(Duration.between(c.getIssueTime().toInstant(), c.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofMinutes(10));
    // not trusted by a verifier with another key
    assertThat(why(verifier().verify(token))).isEqualTo(BAD_SIGNATURE);
  }

  @Test
  void developmentTokensWithoutAudienceCarryNone() throws Exception {
    String token = DevelopmentTokens.of(ISSUER, null).mint("d", List.of(), Duration.ofMinutes(1));
    assertThat(SignedJWT.parse(token).getJWTClaimsSet().getAudience()).isEmpty();
  }

  // --- what a reason may hold ---------------------------------------------------------------

  @Test
  void noReasonHoldsAnyPartOfTheToken() throws Exception {
    Set<String> vocabulary = vocabulary();
    TokenVerifier v = TokenVerifier.of(settings().withAudiences(List.of("agentwire")), CLOCK);
    List<String> tokens = new ArrayList<>(TestTokens.garbage());
    tokens.add(TestTokens.unsigned(at("secret-subject").build()));
    tokens.add(TestTokens.hs256WithPublicKeyAsSecret(rsaKey(), at("secret-subject").build()));
    tokens.add(sign(TestTokens.newRsaKey("k"), at("secret-subject").build()));
    tokens.add(sign(rsaKey(), at("secret-subject").issuer("https://evil.example").build()));
    tokens.add(sign(rsaKey(), at("secret-subject").audience("elsewhere").build()));
    tokens.add(
        sign(
            rsaKey(),
            at("secret-subject")
                .audience("agentwire")
                .expirationTime(Date.from(NOW.minusSeconds(3600)))
                .build()));
    tokens.add(
        sign(
            rsaKey(),
            at("secret-subject")
                .audience("agentwire")
                .notBeforeTime(Date.from(NOW.plusSeconds(3600)))
                .build()));
    tokens.add(
        sign(rsaKey(), at("secret-subject").audience("agentwire").expirationTime(null).build()));
    tokens.add(
        sign(
            rsaKey(),
            new JWTClaimsSet.Builder(at("x").audience("agentwire").build())
                .subject(null)
                .claim("groups", "secret-subject")
                .build()));
    tokens.add(
        sign(
            rsaKey(),
            new JWTClaimsSet.Builder(at("x").audience("agentwire").build())
                .claim("groups", List.of(1))
                .build()));
    for (String token : tokens) {
      String why = why(v.verify(token));
      assertThat(vocabulary).as(token).contains(why);
      assertThat(why).doesNotContain("secret");
      for (int i = 0; i + 8 <= token.length(); i++) {
        assertThat(why).doesNotContain(token.substring(i, i + 8));
      }
    }
  }

  @Test
  void everyReasonFitsACloseFrame() throws Exception {
    for (String why : vocabulary()) {
      assertThat(why).isLowerCase();
      assertThat(("unauthorized: " + why).getBytes(StandardCharsets.UTF_8).length)
          .isLessThanOrEqualTo(123);
    }
  }

  private static Set<String> vocabulary() throws IllegalAccessException {
    Set<String> reasons = new java.util.HashSet<>();
    for (Field f : Rejected.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        reasons.add((String) f.get(null));
      }
    }
    assertThat(reasons).hasSizeGreaterThan(10);
    return reasons;
  }
}
