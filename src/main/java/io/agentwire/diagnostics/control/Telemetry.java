package io.agentwire.diagnostics.control;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

/**
 * Every counter and timer agentwire exports at {@code /metrics}, plus the structured log line of
 * each race pattern. MP Metrics 5 appends {@code _total} to counters in the Prometheus output, so
 * {@code agentwire_race_patterns} is exported as {@code agentwire_race_patterns_total}.
 */
@ApplicationScoped
public class Telemetry {

  private static final Logger LOG = System.getLogger("agentwire.race");

  private static final String RACE_PATTERNS = "agentwire_race_patterns";

  @Inject MetricRegistry registry;

  private Timer openToReady;
  private Counter heldMessages;

  @PostConstruct
  void register() {
    for (RacePattern p : RacePattern.values()) {
      registry.counter(RACE_PATTERNS, new Tag("pattern", p.label()));
    }
    openToReady = registry.timer("agentwire_open_to_ready");
    heldMessages = registry.counter("agentwire_held_messages");
  }

  /** Counts a race pattern and logs it as one structured line with the connection id. */
  public void race(RacePattern pattern, String connectionId, String detail) {
    race(pattern, connectionId, detail, Level.INFO);
  }

  public void race(RacePattern pattern, String connectionId, String detail, Level level) {
    registry.counter(RACE_PATTERNS, new Tag("pattern", pattern.label())).inc();
    LOG.log(
        level,
        "race_pattern={0} connection={1} detail=\"{2}\"",
        pattern.label(),
        connectionId,
        detail);
  }

  public void closed(int code) {
    registry.counter("agentwire_closes", new Tag("code", Integer.toString(code))).inc();
  }

  public void ready(Duration sinceOpen) {
    openToReady.update(sinceOpen);
  }

  public void held() {
    heldMessages.inc();
  }

  public void run(String outcome, Duration took) {
    registry.counter("agentwire_runs", new Tag("outcome", outcome)).inc();
    registry.timer("agentwire_run_duration", new Tag("outcome", outcome)).update(took);
  }

  /** The race-pattern counters as exported, by label. */
  public Map<String, Long> patternCounts() {
    Map<String, Long> counts = new java.util.TreeMap<>();
    for (RacePattern p : RacePattern.values()) {
      counts.put(
          p.label(), registry.counter(RACE_PATTERNS, new Tag("pattern", p.label())).getCount());
    }
    return counts;
  }
}
