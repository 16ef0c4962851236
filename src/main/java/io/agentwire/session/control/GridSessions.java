package io.agentwire.session.control;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.ringbuffer.Ringbuffer;
import com.hazelcast.topic.ITopic;
import com.hazelcast.topic.Message;
import com.hazelcast.topic.MessageListener;
import io.agentwire.protocol.entity.EventType;
import io.agentwire.protocol.entity.ServerMessage.RunInFlight;
import io.agentwire.session.entity.ClusterInfo;
import io.agentwire.session.entity.GridEventLog;
import io.agentwire.session.entity.Replay;
import io.agentwire.session.entity.ResumeOutcome;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import io.agentwire.session.entity.SessionShare;
import io.agentwire.session.entity.StoredEvent;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The sessions of a cluster, in the data grid Payara Micro embeds (Hazelcast), so that a client may
 * resume on any instance, a run on one instance streams to the session's connection on another, and
 * a run whose instance died is still told to end (PROTOCOL sections 3 and 6).
 *
 * <p>What lives in the grid, each with one synchronous backup on another member:
 *
 * <ul>
 *   <li>{@code agentwire-sessions}: a session's record, as JSON text: subject, the digest of its
 *       resume token, its holder (member and connection), since when it is detached, its highest
 *       acknowledged seq, and its runs in flight with the member that executes each. Changed by
 *       compare-and-set ({@code replace(key, old, new)}): a record changes a few times per run, not
 *       per event.
 *   <li>{@code agentwire-tokens}: token digest to session id; {@code agentwire-expired}: digests of
 *       expired sessions, each for one more retention period (a time-to-live).
 *   <li>{@code agentwire-log-<session>}: the session's event log, a ringbuffer ({@link
 *       GridEventLog}), which assigns every seq.
 *   <li>{@code agentwire-bus}: a topic that tells every member of each stored event, supersede,
 *       cancel and expiry.
 * </ul>
 *
 * Only JDK and Hazelcast types cross the grid (strings and longs): no class of this WAR is ever
 * deserialized by a Hazelcast thread, whose class loader is Payara's, not the application's.
 *
 * <p>Each instance has a {@link StreamSession} of its own for every session it serves (a connection
 * holds it here, or a run executes here): a view whose log and share are the grid's. The bus is at
 * most once and orders messages per sender only: a view tells a holder that missed a message by the
 * seq of the next, and the sweep compares each held view with its log once per tick, so a lost last
 * message costs one tick, never an event.
 *
 * <p>Each member sweeps the records its partitions own ({@code localKeySet}): expiry after the
 * retention, and the runs of members that left the cluster, which it ends with {@code agent_failed}
 * ({@code reason: instance_lost}). Once Hazelcast has removed a member, its partitions (with the
 * backups of every record and log) belong to the survivors, so every lost run is found by exactly
 * one of them.
 */
public final class GridSessions {

  private static final Logger LOG = System.getLogger("agentwire.cluster");
  private static final JsonProvider JSON = JsonProvider.provider();

  static final String SESSIONS = "agentwire-sessions";
  static final String TOKENS = "agentwire-tokens";
  static final String EXPIRED = "agentwire-expired";
  static final String LOG_PREFIX = "agentwire-log-";
  static final String BUS = "agentwire-bus";

  /** How long an expired session's record stays, so that runs still ending find it. */
  static final long EXPIRED_RECORD_MILLIS = 10_000;

  private final HazelcastInstance hz;
  private final String self;
  private final Duration retention;
  private final Random random;
  private final Executor work;
  private final Listener listener;
  private final IMap<String, String> records;
  private final IMap<String, String> tokens;
  private final IMap<String, String> expired;
  private final ITopic<String> bus;
  private final UUID subscription;

  /** This instance's views of the sessions it serves. */
  private final Map<String, StreamSession> views = new ConcurrentHashMap<>();

  /** What a member tells the rest of this instance (connections, runs). */
  public interface Listener {
    /** A connection here lost its session to a connection on another instance: close it, 4509. */
    void superseded(String connectionId, String sessionId);

    /** A client on another instance cancels a run that executes here. */
    void cancel(String sessionId, String runId);

    /** The session expired: its runs here end cancelled. */
    void expired(String sessionId);

    /** A holder here is behind its log: it catches up ({@link StreamSession#pull}). */
    void behind(StreamSession session, String holder);
  }

  /**
   * Configures the grid's structures (before their first use; every member configures them the same
   * way, as Hazelcast's dynamic configuration requires) and subscribes to the bus.
   *
   * @param work where bus messages are handled: one thread, in order, never Hazelcast's own
   */
  public GridSessions(
      HazelcastInstance hz,
      int maxEvents,
      Duration retention,
      Random random,
      Executor work,
      Listener listener) {
    this.hz = hz;
    this.self = hz.getCluster().getLocalMember().getUuid().toString();
    this.retention = retention;
    this.random = random;
    this.work = work;
    this.listener = listener;
    Config config = hz.getConfig();
    for (String name : List.of(SESSIONS, TOKENS, EXPIRED)) {
      config.addMapConfig(new MapConfig(name).setBackupCount(1).setAsyncBackupCount(0));
    }
    config.addRingBufferConfig(
        new RingbufferConfig(LOG_PREFIX + "*")
            .setCapacity(maxEvents)
            .setBackupCount(1)
            .setAsyncBackupCount(0));
    this.records = hz.getMap(SESSIONS);
    this.tokens = hz.getMap(TOKENS);
    this.expired = hz.getMap(EXPIRED);
    this.bus = hz.getTopic(BUS);
    MessageListener<String> onMessage = this::onMessage;
    this.subscription = bus.addMessageListener(onMessage);
  }

  /**
   * Whether {@code hz} is part of a cluster that other members may join (not {@code --nocluster}).
   */
  public static boolean clustered(HazelcastInstance hz) {
    return clustered(hz.getConfig().getNetworkConfig().getJoin());
  }

  /**
   * Payara's discovery strategy for the domain mode, which {@code --nocluster} also gets (with
   * clustering disabled: the data grid then runs alone); read from Payara's {@code
   * HazelcastCore.buildConfiguration} of 7.2026.11 ({@code javap -c}): tcpip and multicast enable
   * their joins, {@code kubernetes} its Kubernetes config, {@code dns} a discovery service
   * provider, and every other mode adds this strategy.
   */
  static final String DOMAIN_DISCOVERY = "fish.payara.nucleus.hazelcast.DomainDiscoveryStrategy";

  /**
   * Whether a join configuration lets other Payara Micro instances join: tcpip, multicast,
   * Kubernetes, DNS or another discovery strategy than Payara's domain discovery. The domain mode
   * (joining a Payara Server domain) counts as one instance.
   */
  static boolean clustered(com.hazelcast.config.JoinConfig join) {
    var discovery = join.getDiscoveryConfig();
    return join.getTcpIpConfig().isEnabled()
        || join.getMulticastConfig().isEnabled()
        || join.getKubernetesConfig().isEnabled()
        || discovery.getDiscoveryServiceProvider() != null
        || discovery.getDiscoveryStrategyConfigs().stream()
            .anyMatch(c -> !DOMAIN_DISCOVERY.equals(c.getClassName()));
  }

  public void stop() {
    bus.removeMessageListener(subscription);
  }

  /**
   * After how many seconds without a heartbeat Hazelcast removes a member: its configuration's
   * {@code hazelcast.max.no.heartbeat.seconds}, else the system property of that name, else
   * Hazelcast's default, 60.
   */
  public long failureDetectionSeconds() {
    String name = "hazelcast.max.no.heartbeat.seconds";
    String value = hz.getConfig().getProperty(name);
    if (value == null) {
      value = System.getProperty(name, "60");
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return 60;
    }
  }

  public ClusterInfo info() {
    return new ClusterInfo(self, hz.getCluster().getMembers().size(), failureDetectionSeconds());
  }

  /** This member's id in the cluster. */
  public String member() {
    return self;
  }

  // ---- the directory ----

  public SessionGrant request(SessionRequest request) {
    if (request.resumeToken().isEmpty()) {
      return SessionGrant.fresh(open(request.subject()));
    }
    String token = request.resumeToken().get();
    String digest = SessionTable.digest(token);
    ResumeOutcome refusal;
    String id = tokens.get(digest);
    JsonObject record = id == null ? null : read(id);
    if (record == null) {
      refusal = expired.containsKey(digest) ? ResumeOutcome.EXPIRED : ResumeOutcome.UNKNOWN;
    } else if (!record.getString("subject").equals(request.subject())) {
      refusal = ResumeOutcome.FORBIDDEN;
    } else if (record.getJsonNumber("expiredAt").longValue() != 0 || pastRetention(record, now())) {
      refusal = ResumeOutcome.EXPIRED;
    } else {
      long now = now();
      JsonObject claimed =
          update(
              id,
              r ->
                  r.getJsonNumber("expiredAt").longValue() != 0
                      ? null
                      : with(
                          r,
                          b -> {
                            b.add("claimedAt", now);
                            if (r.getString("holder").isEmpty()) {
                              b.add("detachedAt", now);
                            }
                          }));
      if (claimed != null && claimed.getJsonNumber("expiredAt").longValue() == 0) {
        StreamSession view = view(id, record.getString("subject"), token);
        // A view made here before (an earlier resume on this member) knows the acknowledged seq
        // of its making; the client may have acknowledged more on another member since.
        view.acknowledge(claimed.getJsonNumber("acked").longValue());
        view.learnToken(token);
        view.claimed(System.nanoTime());
        return new SessionGrant(view, OptionalLong.of(request.lastSeq()), Optional.empty());
      }
      refusal = ResumeOutcome.EXPIRED;
    }
    return new SessionGrant(open(request.subject()), OptionalLong.empty(), Optional.of(refusal));
  }

  private StreamSession open(String subject) {
    byte[] secret = new byte[24];
    random.nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    String id = UUID.randomUUID().toString();
    long now = now();
    JsonObject record =
        JSON.createObjectBuilder()
            .add("id", id)
            .add("subject", subject)
            .add("digest", SessionTable.digest(token))
            .add("holder", "")
            .add("detachedAt", now)
            .add("claimedAt", now)
            .add("acked", 0)
            .add("expiredAt", 0)
            .add("runs", JSON.createArrayBuilder())
            .build();
    records.set(id, record.toString());
    tokens.set(SessionTable.digest(token), id);
    StreamSession view = view(id, subject, token);
    view.claimed(System.nanoTime());
    return view;
  }

  public Optional<StreamSession> find(String id) {
    return Optional.ofNullable(views.get(id));
  }

  /** The sessions this instance serves. */
  public Collection<StreamSession> all() {
    return List.copyOf(views.values());
  }

  public int count() {
    return views.size();
  }

  public long attached() {
    return views.values().stream().filter(StreamSession::attached).count();
  }

  /**
   * Whether the run executes on another member, which is then asked to cancel it; false when no run
   * of that id is in flight anywhere.
   */
  public boolean cancelElsewhere(String sessionId, String runId) {
    JsonObject record = read(sessionId);
    if (record == null) {
      return false;
    }
    for (JsonValue v : record.getJsonArray("runs")) {
      JsonObject run = v.asJsonObject();
      if (run.getString("runId").equals(runId) && !run.getString("member").equals(self)) {
        publish(
            JSON.createObjectBuilder()
                .add("k", "cancel")
                .add("m", run.getString("member"))
                .add("s", sessionId)
                .add("r", runId));
        return true;
      }
    }
    return false;
  }

  // ---- views ----

  private StreamSession view(String id, String subject, String token) {
    return views.computeIfAbsent(
        id,
        k -> {
          JsonObject record = read(id);
          long acked = record == null ? 0 : record.getJsonNumber("acked").longValue();
          Ringbuffer<String> ring = hz.getRingbuffer(LOG_PREFIX + id);
          GridEventLog log =
              new GridEventLog(
                  ring,
                  acked,
                  seq ->
                      update(
                          id,
                          r ->
                              r.getJsonNumber("acked").longValue() >= seq
                                  ? null
                                  : with(r, b -> b.add("acked", seq))));
          return new StreamSession(id, subject, token, log, new Share(id), System.nanoTime());
        });
  }

  /** The grid's part of one session, for this instance's view of it. */
  private final class Share implements SessionShare {
    private final String id;

    Share(String id) {
      this.id = id;
    }

    @Override
    public void stored(StoredEvent event) {
      publish(
          JSON.createObjectBuilder()
              .add("k", "event")
              .add("m", self)
              .add("s", id)
              .add("q", event.seq())
              .add("t", event.text()));
    }

    @Override
    public void runStarted(RunInFlight run) {
      update(
          id,
          r -> {
            JsonArrayBuilder runs = JSON.createArrayBuilder(r.getJsonArray("runs"));
            runs.add(
                JSON.createObjectBuilder()
                    .add("runId", run.runId())
                    .add("agent", run.agent())
                    .add("startedSeq", run.startedSeq())
                    .add("member", self));
            return with(r, b -> b.add("runs", runs));
          });
    }

    @Override
    public void runEnded(String runId) {
      update(id, r -> withoutRun(r, runId));
    }

    @Override
    public List<RunInFlight> runs() {
      JsonObject record = read(id);
      if (record == null) {
        return List.of();
      }
      List<RunInFlight> runs = new ArrayList<>();
      for (JsonValue v : record.getJsonArray("runs")) {
        JsonObject run = v.asJsonObject();
        runs.add(
            new RunInFlight(
                run.getString("runId"),
                run.getString("agent"),
                run.getJsonNumber("startedSeq").longValue()));
      }
      return runs;
    }

    @Override
    public Optional<String> hold(String holder) {
      String[] previous = {""};
      update(
          id,
          r -> {
            previous[0] = r.getString("holder");
            return with(
                r,
                b -> b.add("holder", self + "/" + holder).add("detachedAt", 0).add("claimedAt", 0));
          });
      String was = previous[0];
      int cut = was.indexOf('/');
      if (cut < 0 || was.substring(0, cut).equals(self)) {
        return Optional.empty();
      }
      String member = was.substring(0, cut);
      String connection = was.substring(cut + 1);
      publish(
          JSON.createObjectBuilder()
              .add("k", "supersede")
              .add("m", member)
              .add("s", id)
              .add("c", connection));
      return Optional.of(connection);
    }

    @Override
    public void release(String holder) {
      long now = now();
      String mine = self + "/" + holder;
      update(
          id,
          r ->
              r.getString("holder").equals(mine)
                  ? with(r, b -> b.add("holder", "").add("detachedAt", now))
                  : null);
    }
  }

  // ---- the bus ----

  private void publish(JsonObjectBuilder message) {
    bus.publish(message.build().toString());
  }

  /** On a Hazelcast event thread: handed to this directory's own thread at once. */
  private void onMessage(Message<String> message) {
    String text = message.getMessageObject();
    work.execute(() -> handle(text));
  }

  private void handle(String text) {
    try {
      JsonObject m = JSON.createReader(new StringReader(text)).readObject();
      String kind = m.getString("k");
      String sessionId = m.getString("s");
      switch (kind) {
        case "event" -> {
          if (m.getString("m").equals(self)) {
            return; // this instance's own event went to its holder when it was stored
          }
          StreamSession view = views.get(sessionId);
          if (view != null && view.deliver(m.getJsonNumber("q").longValue(), m.getString("t"))) {
            view.holder().ifPresent(h -> listener.behind(view, h));
          }
        }
        case "supersede" -> {
          if (m.getString("m").equals(self)) {
            StreamSession view = views.get(sessionId);
            String connection = m.getString("c");
            if (view != null && view.supersededElsewhere(connection)) {
              listener.superseded(connection, sessionId);
            }
          }
        }
        case "cancel" -> {
          if (m.getString("m").equals(self)) {
            listener.cancel(sessionId, m.getString("r"));
          }
        }
        case "expired" -> {
          listener.expired(sessionId);
          views.remove(sessionId);
        }
        default -> LOG.log(Level.WARNING, "unknown cluster message kind " + kind);
      }
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "a cluster message could not be handled", e);
    }
  }

  // ---- the sweep ----

  /**
   * One tick: expire this member's records past their retention, end the runs of members that left,
   * let held views catch up with their logs, and forget views nothing here uses any more.
   */
  public void sweep() {
    long now = now();
    Set<String> members =
        hz.getCluster().getMembers().stream()
            .map(Member::getUuid)
            .map(UUID::toString)
            .collect(Collectors.toSet());
    for (String id : records.localKeySet()) {
      JsonObject record = read(id);
      if (record == null) {
        continue;
      }
      long expiredAt = record.getJsonNumber("expiredAt").longValue();
      if (expiredAt != 0) {
        if (now - expiredAt > EXPIRED_RECORD_MILLIS) {
          records.delete(id);
          hz.getRingbuffer(LOG_PREFIX + id).destroy();
        }
        continue;
      }
      for (JsonValue v : record.getJsonArray("runs")) {
        JsonObject run = v.asJsonObject();
        if (!members.contains(run.getString("member"))) {
          lost(record, run);
        }
      }
      if (holderLost(record, members)) {
        update(
            id,
            r ->
                holderLost(r, members)
                    ? with(r, b -> b.add("holder", "").add("detachedAt", now))
                    : null);
      } else if (pastRetention(record, now)) {
        expire(id);
      }
    }
    for (StreamSession view : List.copyOf(views.values())) {
      Optional<String> holder = view.holder();
      if (holder.isPresent()) {
        if (view.behind()) {
          listener.behind(view, holder.get());
        }
      } else if (!runsHere(view.id())
          && !view.claimedWithin(System.nanoTime(), TimeUnit.SECONDS.toNanos(30))) {
        views.remove(view.id(), view);
      }
    }
  }

  /** Whether a run of the session executes on this member. */
  private boolean runsHere(String id) {
    JsonObject record = read(id);
    if (record == null) {
      return false;
    }
    for (JsonValue v : record.getJsonArray("runs")) {
      if (v.asJsonObject().getString("member").equals(self)) {
        return true;
      }
    }
    return false;
  }

  /** A holder on a member that left: the session is detached since now, its retention runs. */
  private static boolean holderLost(JsonObject record, Set<String> members) {
    String holder = record.getString("holder");
    int cut = holder.indexOf('/');
    return cut > 0 && !members.contains(holder.substring(0, cut));
  }

  private void expire(String id) {
    long now = now();
    JsonObject done =
        update(
            id,
            r ->
                r.getJsonNumber("expiredAt").longValue() == 0 && pastRetention(r, now)
                    ? with(r, b -> b.add("expiredAt", now))
                    : null);
    if (done == null || done.getJsonNumber("expiredAt").longValue() != now) {
      return;
    }
    String digest = done.getString("digest");
    tokens.delete(digest);
    expired.set(digest, id, Math.max(1, retention.toSeconds()), TimeUnit.SECONDS);
    publish(JSON.createObjectBuilder().add("k", "expired").add("s", id));
  }

  /**
   * A run whose member left the cluster: the events it stored are in the log (G7); it ends here
   * with {@code agent_failed} {@code instance_lost}, after a {@code tool_completed} for a tool it
   * left open, with the session's next seqs. A run whose terminal event is in the log already (its
   * member died before its record was updated) only leaves the record.
   */
  private void lost(JsonObject record, JsonObject run) {
    String id = record.getString("id");
    String runId = run.getString("runId");
    String member = run.getString("member");
    StreamSession view = view(id, record.getString("subject"), "");
    String openTool = null;
    boolean ended = false;
    long after = Math.max(0, run.getJsonNumber("startedSeq").longValue() - 1);
    Replay replay = view.history(after);
    for (StoredEvent e : replay.events()) {
      JsonObject event = JSON.createReader(new StringReader(e.text())).readObject();
      if (!runId.equals(event.getString("runId", ""))) {
        continue;
      }
      EventType type = EventType.fromWire(event.getString("type")).orElse(null);
      if (type == EventType.TOOL_EXECUTING) {
        openTool = event.getJsonObject("data").getString("tool", "");
      } else if (type == EventType.TOOL_COMPLETED) {
        openTool = null;
      } else if (type != null && type.isTerminal()) {
        ended = true;
      }
    }
    LOG.log(
        Level.WARNING,
        "member "
            + member
            + " left the cluster with run "
            + runId
            + " of session "
            + id
            + " in flight: "
            + (ended ? "it had ended" : "ending it with agent_failed instance_lost"));
    if (ended) {
      update(id, r -> withoutRun(r, runId));
      return;
    }
    if (openTool != null) {
      view.emit(
          EventType.TOOL_COMPLETED,
          runId,
          JSON.createObjectBuilder()
              .add("tool", openTool)
              .add("result", JsonValue.NULL)
              .add("interrupted", true));
    }
    view.emit(
        EventType.AGENT_FAILED,
        runId,
        JSON.createObjectBuilder()
            .add("reason", "instance_lost")
            .add("message", "the instance that executed the run left the cluster"));
  }

  // ---- records ----

  private JsonObject read(String id) {
    String text = records.get(id);
    return text == null ? null : JSON.createReader(new StringReader(text)).readObject();
  }

  /**
   * Changes a record by compare-and-set until it holds; {@code change} answers null for "leave it
   * as it is". Answers the record as it is afterwards, null when there is none.
   */
  private JsonObject update(String id, UnaryOperator<JsonObject> change) {
    while (true) {
      String old = records.get(id);
      if (old == null) {
        return null;
      }
      JsonObject current = JSON.createReader(new StringReader(old)).readObject();
      JsonObject next = change.apply(current);
      if (next == null) {
        return current;
      }
      if (records.replace(id, old, next.toString())) {
        return next;
      }
    }
  }

  private static JsonObject with(
      JsonObject r, java.util.function.Consumer<JsonObjectBuilder> edit) {
    JsonObjectBuilder b = JSON.createObjectBuilder(r);
    edit.accept(b);
    return b.build();
  }

  private static JsonObject withoutRun(JsonObject r, String runId) {
    JsonArrayBuilder runs = JSON.createArrayBuilder();
    boolean found = false;
    for (JsonValue v : r.getJsonArray("runs")) {
      if (v.asJsonObject().getString("runId").equals(runId)) {
        found = true;
      } else {
        runs.add(v);
      }
    }
    return found ? with(r, b -> b.add("runs", runs)) : null;
  }

  private boolean pastRetention(JsonObject record, long now) {
    if (!record.getString("holder").isEmpty()) {
      return false;
    }
    return now - record.getJsonNumber("detachedAt").longValue() >= retention.toMillis();
  }

  /** The cluster's time, the same on every member (Hazelcast adjusts for clock offsets). */
  private long now() {
    return hz.getCluster().getClusterTime();
  }
}
