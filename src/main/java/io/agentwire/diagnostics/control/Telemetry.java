package io.agentwire.diagnostics.control;

import io.agentwire.agent.entity.RunEnded;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.connection.entity.RacePattern;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger;
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
  void race(@Observes ConnectionLifecycle.Race race) {
    registry.counter(RACE_PATTERNS, new Tag("pattern", race.pattern().label())).inc();
    LOG.log(
        race.level(),
        "race_pattern={0} connection={1} detail=\"{2}\"",
        race.pattern().label(),
        race.connectionId(),
        race.detail());
  }

  void closed(@Observes ConnectionLifecycle.Closed closed) {
    registry.counter("agentwire_closes", new Tag("code", Integer.toString(closed.code()))).inc();
  }

  void ready(@Observes ConnectionLifecycle.Ready ready) {
    openToReady.update(ready.openToReady());
  }

  void held(@Observes ConnectionLifecycle.Held held) {
    heldMessages.inc();
  }

  void run(@Observes RunEnded run) {
    registry.counter("agentwire_runs", new Tag("outcome", run.outcome())).inc();
    registry.timer("agentwire_run_duration", new Tag("outcome", run.outcome())).update(run.took());
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
