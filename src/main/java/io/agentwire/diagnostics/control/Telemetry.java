package io.agentwire.diagnostics.control;

import io.agentwire.agent.entity.RunEnded;
import io.agentwire.connection.entity.CloseCode;
import io.agentwire.connection.entity.ConnectionLifecycle;
import io.agentwire.connection.entity.RacePattern;
import io.agentwire.session.entity.ResumeOutcome;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

/**
 * Every counter and timer agentwire exports at {@code /metrics}, plus the structured log line of
 * each race pattern, rate-limited per pattern: every occurrence is counted, but only the first
 * {@code agentwire.log.race-lines-per-interval} of each pattern per {@code
 * agentwire.log.race-interval} are logged, then one summary line with the number left out. MP
 * Metrics 5 appends {@code _total} to counters in the Prometheus output, so {@code
 * agentwire_race_patterns} is exported as {@code agentwire_race_patterns_total}.
 */
@ApplicationScoped
public class Telemetry {

  private static final Logger LOG = System.getLogger("agentwire.race");

  private static final String RACE_PATTERNS = "agentwire_race_patterns";

  /** A pattern at a level: the unit of the log budget. */
  private record Line(RacePattern pattern, Level level) {}

  @Inject MetricRegistry registry;

  @Inject
  @ConfigProperty(name = "agentwire.log.race-lines-per-interval")
  int raceLines;

  @Inject
  @ConfigProperty(name = "agentwire.log.race-interval")
  Duration raceInterval;

  @Resource ManagedScheduledExecutorService scheduler;

  private Timer openToReady;
  private Counter heldMessages;
  private Counter eventsReplayed;
  private LogBudget<Line> raceLog;
  private ScheduledFuture<?> summaries;

  @PostConstruct
  void register() {
    raceLog = new LogBudget<>(raceLines, raceInterval, System::nanoTime);
    long every = raceInterval.toMillis();
    summaries =
        scheduler.scheduleWithFixedDelay(this::summarise, every, every, TimeUnit.MILLISECONDS);
    for (RacePattern p : RacePattern.values()) {
      registry.counter(RACE_PATTERNS, new Tag("pattern", p.label()));
    }
    openToReady = registry.timer("agentwire_open_to_ready");
    heldMessages = registry.counter("agentwire_held_messages");
    eventsReplayed = registry.counter("agentwire_events_replayed");
    for (ResumeOutcome outcome : ResumeOutcome.values()) {
      registry.counter("agentwire_resumes", new Tag("outcome", outcome.wireName()));
    }
  }

  @PreDestroy
  void stop() {
    if (summaries != null) {
      summaries.cancel(false);
    }
  }

  /**
   * Counts a race pattern and, within the pattern's log budget, logs it as one structured line with
   * the connection id.
   */
  void race(@Observes ConnectionLifecycle.Race race) {
    registry.counter(RACE_PATTERNS, new Tag("pattern", race.pattern().label())).inc();
    if (!raceLog.admit(new Line(race.pattern(), race.level()))) {
      return;
    }
    LOG.log(
        race.level(),
        "race_pattern={0} connection={1} detail=\"{2}\"",
        race.pattern().label(),
        race.connectionId(),
        race.detail());
  }

  /** One line per pattern whose lines were left out in an interval that has ended. */
  private void summarise() {
    raceLog
        .takeEnded()
        .forEach(
            (line, left) ->
                LOG.log(
                    line.level(),
                    "race_pattern={0} suppressed={1} detail=\"{1} more lines of this pattern in"
                        + " {2} not logged; every one is counted in agentwire_race_patterns_total\"",
                    line.pattern().label(),
                    left,
                    raceInterval));
  }

  void closed(@Observes ConnectionLifecycle.Closed closed) {
    registry
        .counter("agentwire_closes", new Tag("code", CloseCode.metricLabel(closed.code())))
        .inc();
  }

  void resumed(@Observes ConnectionLifecycle.Resumed resumed) {
    registry.counter("agentwire_resumes", new Tag("outcome", resumed.outcome())).inc();
  }

  void replayed(@Observes ConnectionLifecycle.Replayed replayed) {
    eventsReplayed.inc(replayed.count());
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
