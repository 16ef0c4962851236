package io.agentwire.security.control;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.X509CertUtils;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads key text from an MP-JWT location and turns it into keys: public keys as PEM, JWK or JWKS
 * (MP-JWT 2.1 "Supported Public Key Formats"), the development private key as PKCS#8 PEM.
 */
final class KeyMaterial {

  /** A scheme of two or more letters, so that {@code C:\keys\k.pem} stays a file path. */
  private static final Pattern URL_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:");

  /** Text before, between and after blocks is ignored (RFC 7468 section 2): banners live there. */
  private static final Pattern PEM_BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  private static final int TIMEOUT_MILLIS = 10_000;

  private KeyMaterial() {}

  /**
   * The text at an {@code mp.jwt.verify.publickey.location}: a URL (file:, http:, ...), else a file
   * path, else a class-path resource, in the order MP-JWT 2.1 gives for relative paths.
   */
  static String read(String location) throws IOException {
    if (location.startsWith("classpath:")) {
      return resource(location.substring("classpath:".length()));
    }
    if (URL_SCHEME.matcher(location).lookingAt()) {
      URLConnection connection = new URL(location).openConnection();
      // Read once at start-up: a hanging key server must not hang the deployment.
      connection.setConnectTimeout(TIMEOUT_MILLIS);
      connection.setReadTimeout(TIMEOUT_MILLIS);
      try (InputStream in = connection.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    try {
      Path file = Path.of(location);
      if (Files.isRegularFile(file)) {
        return Files.readString(file, StandardCharsets.UTF_8);
      }
    } catch (InvalidPathException notAPath) {
      // not a file name on this system; it may still name a class-path resource
    }
    return resource(location);
  }

  private static String resource(String name) throws IOException {
    // ClassLoader names never start with '/'; MP-JWT's own example does (/META-INF/orange.pem).
    String path = name.startsWith("/") ? name.substring(1) : name;
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    URL url = context == null ? null : context.getResource(path);
    if (url == null) {
      url = KeyMaterial.class.getClassLoader().getResource(path);
    }
    if (url == null) {
      throw new FileNotFoundException("neither a file nor a class-path resource: " + name);
    }
    try (InputStream in = url.openStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * The public keys in {@code text} usable with {@code algorithm}: PEM public keys or certificates,
   * a JWK, a JWKS, either JSON form Base64URL-encoded, or bare Base64 of a public key.
   */
  static JWKSet publicKeys(String text, JWSAlgorithm algorithm) throws KeyException {
    String trimmed = text.trim();
    List<JWK> keys = new ArrayList<>();
    try {
      if (trimmed.contains("-----BEGIN ")) {
        keys.addAll(pemPublicKeys(trimmed, algorithm));
      } else if (trimmed.startsWith("{")) {
        keys.addAll(jwks(trimmed));
      } else {
        byte[] decoded = new Base64URL(trimmed).decode();
        if (decoded.length > 0 && decoded[0] == '{') {
          keys.addAll(jwks(new String(decoded, StandardCharsets.UTF_8)));
        } else {
          keys.add(jwk(decode(trimmed), algorithm));
        }
      }
    } catch (KeyException e) {
      throw e;
    } catch (ParseException | GeneralSecurityException | IllegalArgumentException e) {
      throw new KeyException("not a readable public key (PEM, JWK or JWKS): " + e.getMessage(), e);
    }
    for (JWK key : keys) {
      if (key.isPrivate()) {
        throw new KeyException("a private key was given; only a public key may be configured");
      }
    }
    List<JWK> usable = keys.stream().filter(k -> fits(k, algorithm)).toList();
    if (usable.isEmpty()) {
      throw new KeyException("no " + algorithm + " public key among " + keys.size() + " key(s)");
    }
    return new JWKSet(usable);
  }

  /** The first PKCS#8 {@code PRIVATE KEY} block of {@code pem} as an RSA key. */
  static RSAPrivateKey rsaPrivateKey(String pem) throws KeyException {
    Matcher block = PEM_BLOCK.matcher(pem);
    while (block.find()) {
      if ("PRIVATE KEY".equals(block.group(1))) {
        try {
          return (RSAPrivateKey)
              KeyFactory.getInstance("RSA")
                  .generatePrivate(new PKCS8EncodedKeySpec(decode(block.group(2))));
        } catch (GeneralSecurityException | ClassCastException | IllegalArgumentException e) {
          throw new KeyException("not an RSA PKCS#8 private key", e);
        }
      }
    }
    throw new KeyException("no -----BEGIN PRIVATE KEY----- block");
  }

  private static List<JWK> pemPublicKeys(String pem, JWSAlgorithm algorithm)
      throws GeneralSecurityException {
    List<JWK> keys = new ArrayList<>();
    Matcher block = PEM_BLOCK.matcher(pem);
    while (block.find()) {
      String label = block.group(1);
      if (label.contains("PRIVATE KEY")) {
        throw new KeyException("a private key was given; only a public key may be configured");
      } else if ("PUBLIC KEY".equals(label)) {
        keys.add(jwk(decode(block.group(2)), algorithm));
      } else if ("CERTIFICATE".equals(label)) {
        X509Certificate certificate = X509CertUtils.parse(block.group());
        if (certificate == null) {
          throw new KeyException("unreadable certificate");
        }
        keys.add(jwk(certificate.getPublicKey()));
      } else {
        throw new KeyException("unsupported PEM block " + label);
      }
    }
    if (keys.isEmpty()) {
      throw new KeyException("no complete PEM block");
    }
    return keys;
  }

  private static List<JWK> jwks(String json) throws ParseException {
    Map<String, Object> object = JSONObjectUtils.parse(json);
    return object.containsKey("keys") ? JWKSet.parse(object).getKeys() : List.of(JWK.parse(object));
  }

  /** A PKCS#8 PEM holds no algorithm; the configured one says whether it is RSA or EC (MP-JWT). */
  private static JWK jwk(byte[] subjectPublicKeyInfo, JWSAlgorithm algorithm)
      throws GeneralSecurityException {
    String family = JWSAlgorithm.Family.EC.contains(algorithm) ? "EC" : "RSA";
    return jwk(
        KeyFactory.getInstance(family)
            .generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo)));
  }

  private static JWK jwk(PublicKey key) throws KeyException {
    if (key instanceof RSAPublicKey rsa) {
      return new RSAKey.Builder(rsa).build();
    }
    if (key instanceof ECPublicKey ec && Curve.forECParameterSpec(ec.getParams()) != null) {
      return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
    }
    throw new KeyException("unsupported public key type " + key.getAlgorithm());
  }

  private static boolean fits(JWK key, JWSAlgorithm algorithm) {
    if (JWSAlgorithm.ES256.equals(algorithm)) {
      return key instanceof ECKey ec && Curve.P_256.equals(ec.getCurve());
    }
    return key instanceof RSAKey;
  }

  private static byte[] decode(String base64) {
    return Base64.getMimeDecoder().decode(base64);
  }
}
