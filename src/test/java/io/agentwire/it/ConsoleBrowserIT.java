package io.agentwire.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The console at {@code /} in a real browser (Debian's chromium, driven through {@code
 * /usr/bin/chromedriver}): it connects and shows {@code ready}, streams an {@code analyze} run,
 * resumes after the network is cut in the middle of a run and shows every event exactly once, gets
 * a new token when one runs out, and shows the operator's counters moving. The browser reaches the
 * server through a {@link TcpRelay} that the test can cut. Screenshots go to {@code
 * target/screenshots/}.
 */
class ConsoleBrowserIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** The analyze agent's events, in order (PROTOCOL section 4). */
  private static final List<String> ANALYZE = DevelopmentProfileIT.ANALYZE_EVENTS;

  private static PayaraProcess payara;
  private static TcpRelay relay;
  private static ChromeDriver driver;
  private static Path screenshots;
  private static Path profile;

  private String testName;

  @BeforeAll
  static void start() throws IOException {
    boolean ci = "true".equals(System.getenv("CI"));
    if (!ci) {
      Assumptions.assumeTrue(
          Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
          "chromium and chromium-driver are not installed (apt-get install chromium"
              + " chromium-driver; .ci/run does)");
    }
    payara =
        PayaraProcess.start(
            "console-browser",
            Map.of(
                "mp.config.profile", "development",
                // Slow enough for a cut in the middle of a run; set-up slowed so that the
                // timeline shows it and a message sent before ready is held (and counted).
                "agentwire.agents.step-delay", "PT1S",
                "agentwire.chaos.init-delay", "PT0.2S",
                "mp.jwt.verify.clock.skew", "1"));
    relay = TcpRelay.to(payara.base().getPort());
    screenshots = Path.of(System.getProperty("agentwire.buildDirectory", "target"), "screenshots");
    Files.createDirectories(screenshots);
    profile = Files.createTempDirectory("chromium-profile");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1500",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() throws IOException {
    if (driver != null) {
      driver.quit();
    }
    if (relay != null) {
      relay.close();
    }
    if (payara != null) {
      payara.close();
    }
  }

  @BeforeEach
  void name(TestInfo info) {
    testName = info.getTestMethod().orElseThrow().getName();
    driver.manage().window().setSize(new Dimension(1400, 1500));
  }

  @AfterEach
  void screenshot() throws IOException {
    if (driver != null) {
      shoot(testName);
    }
  }

  @Test
  void connectsAndShowsReadyWithTheServersSetUpSteps() {
    openConsole("3600");

    assertThat(timeline("open")).as("transport ready is shown").isNotEmpty();
    WebElement ready = timeline("ready").get(0);
    assertThat(ready.getText()).contains("ready: application ready").contains("new session");
    // The server's own steps, from its diagnostics (the console's token is an admin's).
    await("the server's set-up steps in the timeline")
        .atMost(WAIT)
        .until(() -> stepsOf(ready).contains("READY"));
    assertThat(stepsOf(ready))
        .containsExactly("CONNECTING", "ACCEPTED", "AUTHENTICATED", "SERVICES_READY", "READY");
    assertThat(text("ready-ms")).matches("\\d+ ms");
    assertThat(text("session-id")).hasSize(36);
  }

  @Test
  void anAnalyzeRunStreamsIntoThePage() {
    openConsole("3600");

    String runId = startRun("analyze");
    awaitCompleted(runId);

    assertThat(eventsOf(runId)).extracting(e -> e.get(1)).containsExactlyElementsOf(ANALYZE);
    assertEverySeqOnceInOrder();
    assertThat(driver.findElements(By.cssSelector("#in-flight li")))
        .as("a completed run is no longer in flight")
        .isEmpty();
  }

  @Test
  void theConnectionCutInTheMiddleOfARunResumesAndEveryEventIsShownOnce() {
    openConsole("3600");
    String runId = startRun("analyze");
    await("the run under way")
        .atMost(WAIT)
        .until(() -> eventsOf(runId).stream().anyMatch(e -> e.get(1).equals("agent_thinking")));
    assertThat(eventsOf(runId))
        .as("cut before the run ends (steps are 1 s apart)")
        .noneMatch(e -> e.get(1).equals("agent_completed"));

    assertThat(relay.cutAll()).as("connections reset").isPositive();

    await("closed 1006, then resumed")
        .atMost(WAIT)
        .until(
            () ->
                !driver
                        .findElements(
                            By.cssSelector("#timeline li[data-kind=close][data-code='1006']"))
                        .isEmpty()
                    && !driver
                        .findElements(
                            By.cssSelector("#timeline li[data-kind=ready][data-resumed=true]"))
                        .isEmpty());
    awaitCompleted(runId);
    shoot(testName + "-resumed");

    assertThat(eventsOf(runId))
        .as("every event of the run once, in order, across the resume")
        .extracting(e -> e.get(1))
        .containsExactlyElementsOf(ANALYZE);
    assertEverySeqOnceInOrder();
    assertThat(text("session-id")).as("the same session").isEqualTo(firstSessionShown());
  }

  @Test
  void aTokenThatRunsOutLeadsToTheTokenCallbackAndAReconnect() {
    openConsole("10");

    await("closed 4401 when the 10 s token ran out, a new token, and resumed")
        .atMost(Duration.ofSeconds(45))
        .until(
            () ->
                !driver
                        .findElements(
                            By.cssSelector("#timeline li[data-kind=close][data-code='4401']"))
                        .isEmpty()
                    && !driver
                        .findElements(
                            By.cssSelector("#timeline li[data-kind=ready][data-resumed=true]"))
                        .isEmpty());
    WebElement close =
        driver.findElement(By.cssSelector("#timeline li[data-kind=close][data-code='4401']"));
    assertThat(close.getText()).contains("unauthorized").contains("asks for a new token");
    List<String> kinds = timelineKindsOldestFirst();
    int closed = kinds.indexOf("close");
    assertThat(kinds.subList(closed, kinds.size()))
        .as("after the close: a new token, then ready")
        .containsSubsequence("close", "token", "ready");
    assertThat(
            driver.findElements(By.cssSelector("#timeline li[data-kind=token]")).stream()
                .map(WebElement::getText))
        .anyMatch(t -> t.contains("new development token"));
  }

  @Test
  void theOperatorViewShowsTheCountersMoving() throws Exception {
    openConsole("3600");
    await("the operator view")
        .atMost(WAIT)
        .until(() -> driver.findElement(By.id("operator-body")).isDisplayed());
    long readyBefore = chartCount();
    long heldBefore = counter("races", "message_before_ready");
    long closesBefore = closes();
    await("this page's connection counted as READY")
        .atMost(WAIT)
        .until(() -> byState("READY") >= 1);

    // Another client that sends before its (slowed) set-up ends: held, and counted as a race.
    URL base = payara.base();
    String token = Http.devToken(base, "outsider", "agentwire-user");
    try (RawWs raw = RawWs.open(base, null, Map.of("Authorization", "Bearer " + token))) {
      raw.sendText("{\"type\":\"ping\",\"id\":\"early\"}");
      assertThat(raw.next().text()).contains("\"type\":\"ready\"");
    }

    await("message_before_ready and the open -> ready count move in the page")
        .atMost(WAIT)
        .until(
            () ->
                counter("races", "message_before_ready") > heldBefore
                    && chartCount() > readyBefore);
    await("the outsider's close counted by code").atMost(WAIT).until(() -> closes() > closesBefore);
    assertThat(driver.findElement(By.id("health-ready")).getAttribute("data-status"))
        .isEqualTo("up");
    assertThat(driver.findElement(By.id("ready-quantiles")).getText()).contains("p95");
  }

  @Test
  void fitsAPhoneScreen() {
    openConsole("3600");
    String runId = startRun("analyze");
    awaitCompleted(runId);
    driver.manage().window().setSize(new Dimension(390, 844));
    await("the phone layout")
        .atMost(WAIT)
        .until(() -> ((Number) js("return window.innerWidth")).intValue() <= 400);

    long overflow =
        ((Number) js("return document.documentElement.scrollWidth - window.innerWidth"))
            .longValue();
    assertThat(overflow).as("no sideways scrolling on a phone").isLessThanOrEqualTo(0);
    assertThat(driver.findElement(By.id("connect")).isDisplayed()).isTrue();
    assertThat(driver.findElement(By.id("run")).isDisplayed()).isTrue();
  }

  // --- the page ---

  private String firstSession;

  private void openConsole(String lifetimeSeconds) {
    driver.get("http://127.0.0.1:" + relay.port() + "/");
    await("the console loaded")
        .atMost(WAIT)
        .until(() -> "true".equals(js("return document.body.dataset.loaded ?? null")));
    assertThat(driver.findElement(By.id("dev-token")).isDisplayed())
        .as("development: the console gets the token itself")
        .isTrue();
    choose("lifetime", lifetimeSeconds);
    driver.findElement(By.id("connect")).click();
    await("ready shown")
        .atMost(WAIT)
        .until(() -> "ready".equals(driver.findElement(By.id("state")).getAttribute("data-state")));
    firstSession = text("session-id");
  }

  private String firstSessionShown() {
    return firstSession;
  }

  private String startRun(String agent) {
    choose("agent", agent);
    driver.findElement(By.id("run")).click();
    WebElement asked = driver.findElement(By.cssSelector("#timeline li[data-kind=run] .detail"));
    return asked.getText();
  }

  private void awaitCompleted(String runId) {
    await("run " + runId + " completed in the page")
        .atMost(WAIT)
        .until(() -> eventsOf(runId).stream().anyMatch(e -> e.get(1).equals("agent_completed")));
  }

  /** The events shown, oldest first: [seq, type, runId]. */
  @SuppressWarnings("unchecked")
  private List<List<String>> events() {
    return (List<List<String>>)
        js(
            "return [...document.querySelectorAll('#events li')].reverse()"
                + ".map(li => [li.dataset.seq, li.dataset.type, li.dataset.run])");
  }

  private List<List<String>> eventsOf(String runId) {
    return events().stream().filter(e -> e.get(2).equals(runId)).toList();
  }

  private void assertEverySeqOnceInOrder() {
    List<Long> seqs = events().stream().map(e -> Long.parseLong(e.get(0))).toList();
    assertThat(seqs)
        .as("seqs 1..n, each once, in order")
        .containsExactlyElementsOf(LongStream.rangeClosed(1, seqs.size()).boxed().toList());
    assertThat(text("last-seq")).isEqualTo(Long.toString(seqs.size()));
  }

  private List<WebElement> timeline(String kind) {
    return driver.findElements(By.cssSelector("#timeline li[data-kind=" + kind + "]"));
  }

  @SuppressWarnings("unchecked")
  private List<String> timelineKindsOldestFirst() {
    return (List<String>)
        js(
            "return [...document.querySelectorAll('#timeline > li')].reverse().map(li => li.dataset.kind)");
  }

  private static List<String> stepsOf(WebElement ready) {
    return ready.findElements(By.cssSelector(".steps li")).stream()
        .map(li -> li.getAttribute("data-step"))
        .toList();
  }

  // The operator view is rendered again at every refresh: each value is read in one script, not
  // through an element that the next refresh may have replaced.

  private long chartCount() {
    return number("return document.getElementById('ready-chart').dataset.count ?? '0'", List.of());
  }

  private long counter(String table, String key) {
    return number(
        "const td = document.querySelector('#' + arguments[0] + ' tr[data-key=\"' + arguments[1]"
            + " + '\"] td.count'); return td ? td.textContent.split(' ')[0] : '0'",
        List.of(table, key));
  }

  private long number(String script, List<Object> args) {
    Object value = js(script, args.toArray());
    return (long) Double.parseDouble(String.valueOf(value));
  }

  /** All closes the page shows, of every code. */
  @SuppressWarnings("unchecked")
  private long closes() {
    return ((List<Object>)
            js(
                "return [...document.querySelectorAll('#closes tr[data-key] td.count')]"
                    + ".map(td => Number(td.textContent.split(' ')[0]))"))
        .stream().mapToLong(n -> ((Number) n).longValue()).sum();
  }

  private long byState(String state) {
    return number(
        "const c = document.querySelector('#by-state li[data-state=' + arguments[0] + '] .count');"
            + " return c ? c.textContent : '0'",
        List.of(state));
  }

  private String text(String id) {
    return driver.findElement(By.id(id)).getText();
  }

  private Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** Picks an option of a select, as a user would (selenium-support's Select is not needed). */
  private void choose(String id, String value) {
    driver.findElement(By.id(id)).click();
    js(
        "const s = document.getElementById(arguments[0]); s.value = arguments[1];"
            + " if (s.value !== arguments[1]) throw new Error('no option ' + arguments[1]);"
            + " s.dispatchEvent(new Event('change'))",
        id,
        value);
  }

  private void shoot(String name) {
    try {
      File png = driver.getScreenshotAs(OutputType.FILE);
      Files.copy(
          png.toPath(),
          screenshots.resolve(name + ".png"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      System.err.println("screenshot " + name + ": " + e);
    }
  }
}
