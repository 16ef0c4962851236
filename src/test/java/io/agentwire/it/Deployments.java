package io.agentwire.it;

import java.io.File;
import java.nio.file.Path;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.JavaArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/**
 * The WAR under test: the one Maven built ({@code target/agentwire.war}), deployed at context root
 * {@code /} (as {@code ROOT.war}), plus one small library whose {@code
 * META-INF/microprofile-config.properties} has a higher ordinal and holds the scenario's settings.
 */
public final class Deployments {

  private Deployments() {}

  /** The built WAR with the given configuration lines layered over its defaults. */
  public static WebArchive agentwire(String configLines) {
    File built =
        Path.of(System.getProperty("agentwire.buildDirectory", "target"), "agentwire.war").toFile();
    WebArchive war =
        ShrinkWrap.create(ZipImporter.class, "ROOT.war").importFrom(built).as(WebArchive.class);
    JavaArchive config =
        ShrinkWrap.create(JavaArchive.class, "scenario-config.jar")
            .addAsManifestResource(
                new StringAsset("config_ordinal=500\n" + configLines + "\n"),
                "microprofile-config.properties");
    return war.addAsLibrary(config);
  }
}
