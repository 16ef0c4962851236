package io.agentwire.session.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentwire.protocol.entity.EventType;
import io.agentwire.session.entity.ResumeOutcome;
import io.agentwire.session.entity.SessionGrant;
import io.agentwire.session.entity.SessionRequest;
import io.agentwire.session.entity.StreamSession;
import jakarta.json.spi.JsonProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Every resume decision of PROTOCOL section 6, and retention, on a fake clock. */
class SessionTableTest {

  private static final JsonProvider JSON = JsonProvider.provider();
  private static final Duration RETENTION = Duration.ofSeconds(120);

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final List<StreamSession> expired = new ArrayList<>();
  private final SessionTable table =
      new SessionTable(1000, 1 << 20, RETENTION, nanos::get, new Random(7), expired::add);

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  private static SessionRequest resume(String subject, String token, long lastSeq) {
    return new SessionRequest(subject, Optional.of(token), lastSeq);
  }

  /** A session that a connection held and left: detached now. */
  private StreamSession leftBy(String subject) {
    StreamSession s = table.open(subject);
    s.sink(text -> {});
    s.detach("sink", nanos.get());
    return s;
  }

  @Test
  void aRequestWithoutTokenGetsANewSessionAndNoOutcome() {
    SessionGrant grant = table.request(SessionRequest.fresh("alice"));

    assertThat(grant.resumed()).isFalse();
    assertThat(grant.refused()).isEmpty();
    assertThat(grant.session().subject()).isEqualTo("alice");
    assertThat(table.find(grant.session().id())).contains(grant.session());
  }

  @Test
  void resumesTheSubjectsOwnSessionWithinItsRetention() {
    StreamSession s = leftBy("alice");
    advance(RETENTION.minusSeconds(1));

    SessionGrant grant = table.request(resume("alice", s.resumeToken(), 5));

    assertThat(grant.session()).isSameAs(s);
    assertThat(grant.replayAfter()).hasValue(5);
    assertThat(grant.refused()).isEmpty();
  }

  @Test
  void aGrantedResumeStartsTheRetentionAgainSoTheSessionCannotExpireBeforeReady() {
    StreamSession s = leftBy("alice");
    advance(RETENTION.minusSeconds(1));
    table.request(resume("alice", s.resumeToken(), 0));

    advance(Duration.ofSeconds(2)); // past the first retention, within the renewed one
    assertThat(table.sweep()).isZero();

    assertThat(table.find(s.id())).contains(s);
  }

  @Test
  void anUnknownTokenGetsANewSessionWithUnknown() {
    leftBy("alice");

    SessionGrant grant = table.request(resume("alice", "never-issued", 3));

    assertThat(grant.refused()).contains(ResumeOutcome.UNKNOWN);
    assertThat(grant.resumed()).isFalse();
    assertThat(grant.session().lastSeq()).isZero();
  }

  @Test
  void anotherSubjectsTokenIsForbiddenAndTheSessionStaysItsOwners() {
    StreamSession s = leftBy("alice");

    SessionGrant grant = table.request(resume("mallory", s.resumeToken(), 0));

    assertThat(grant.refused()).contains(ResumeOutcome.FORBIDDEN);
    assertThat(grant.session()).isNotSameAs(s);
    assertThat(grant.session().subject()).isEqualTo("mallory");
    assertThat(table.request(resume("alice", s.resumeToken(), 0)).session()).isSameAs(s);
  }

  @Test
  void aSessionPastItsRetentionExpiresCancelsThroughTheCallbackAndAnswersExpired() {
    StreamSession s = leftBy("alice");
    advance(RETENTION);

    assertThat(table.sweep()).isEqualTo(1);

    assertThat(expired).containsExactly(s);
    assertThat(table.find(s.id())).isEmpty();
    SessionGrant grant = table.request(resume("alice", s.resumeToken(), 0));
    assertThat(grant.refused()).contains(ResumeOutcome.EXPIRED);
    assertThat(grant.session()).isNotSameAs(s);
  }

  @Test
  void aResumeAfterTheRetentionButBeforeTheSweepIsExpiredToo() {
    StreamSession s = leftBy("alice");
    advance(RETENTION.plusSeconds(1));

    SessionGrant grant = table.request(resume("alice", s.resumeToken(), 0));

    assertThat(grant.refused()).contains(ResumeOutcome.EXPIRED);
    assertThat(expired).containsExactly(s);
  }

  @Test
  void anExpiredTokenIsRememberedForOneMoreRetentionThenUnknown() {
    StreamSession s = leftBy("alice");
    advance(RETENTION);
    table.sweep();

    advance(RETENTION.minusSeconds(1));
    table.sweep();
    assertThat(table.request(resume("alice", s.resumeToken(), 0)).refused())
        .contains(ResumeOutcome.EXPIRED);

    advance(Duration.ofSeconds(1));
    table.sweep();
    assertThat(table.request(resume("alice", s.resumeToken(), 0)).refused())
        .contains(ResumeOutcome.UNKNOWN);
  }

  @Test
  void anAttachedSessionNeverExpires() {
    StreamSession s = table.open("alice");
    s.sink(text -> {});
    advance(RETENTION.multipliedBy(10));

    assertThat(table.sweep()).isZero();
    assertThat(table.find(s.id())).contains(s);
  }

  @Test
  void aSessionNeverHeldExpiresARetentionAfterItWasOpened() {
    StreamSession s = table.open("alice"); // its connection closed before ready
    advance(RETENTION);

    assertThat(table.sweep()).isEqualTo(1);
    assertThat(expired).containsExactly(s);
  }

  @Test
  void resumeTokensAreLongRandomUrlSafeAndDistinct() {
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      tokens.add(table.open("alice").resumeToken());
    }

    assertThat(tokens).hasSize(1000);
    assertThat(tokens)
        .allSatisfy(t -> assertThat(t).hasSize(32).matches("[A-Za-z0-9_-]{32}")); // 192 bits
  }

  @Test
  void theTableKeysSessionsByTheTokensDigestNotTheToken() {
    StreamSession s = table.open("alice");

    assertThat(SessionTable.digest(s.resumeToken()))
        .isNotEqualTo(s.resumeToken())
        .hasSize(44); // base64 of 32 bytes
    // A token that differs in one character finds nothing.
    String other =
        s.resumeToken().substring(0, 31) + (s.resumeToken().charAt(31) == 'A' ? 'B' : 'A');
    assertThat(table.request(resume("alice", other, 0)).refused()).contains(ResumeOutcome.UNKNOWN);
  }

  @Test
  void theEventsOfADetachedSessionStayUntilItExpires() {
    StreamSession s = leftBy("alice");
    s.emit(EventType.AGENT_THINKING, "r-1", JSON.createObjectBuilder().add("text", "still here"));
    advance(RETENTION.minusSeconds(1));
    table.sweep();

    assertThat(table.request(resume("alice", s.resumeToken(), 0)).session().unacknowledged())
        .hasSize(1);
  }

  @Test
  void rememberedExpiredTokensAreBounded() {
    SessionTable small =
        new SessionTable(10, 1 << 10, Duration.ofNanos(1), nanos::get, new Random(1), s -> {});
    for (int i = 0; i < SessionTable.REMEMBERED_EXPIRED + 10; i++) {
      small.open("s");
    }
    advance(Duration.ofNanos(1));

    assertThat(small.sweep()).isEqualTo(SessionTable.REMEMBERED_EXPIRED + 10);
    assertThat(small.rememberedExpired()).isEqualTo(SessionTable.REMEMBERED_EXPIRED);
  }

  @Test
  void aSubjectOverItsSessionCapLosesItsOldestDetachedSessionNotAnAttachedOne() {
    SessionTable capped =
        new SessionTable(100, 1 << 20, RETENTION, 3, nanos::get, new Random(2), expired::add);
    StreamSession held = capped.open("alice");
    held.sink(text -> {}); // attached: never taken away
    StreamSession oldest = capped.open("alice");
    oldest.sink(text -> {});
    oldest.detach("sink", nanos.get()); // held, then left
    advance(Duration.ofSeconds(1));
    StreamSession newer = capped.open("alice");
    newer.sink(text -> {});
    newer.detach("sink", nanos.get());
    StreamSession bob = capped.open("bob");

    StreamSession fourth = capped.open("alice");

    assertThat(expired).containsExactly(oldest);
    assertThat(capped.find(oldest.id())).isEmpty();
    assertThat(capped.find(held.id())).contains(held);
    assertThat(capped.find(newer.id())).contains(newer);
    assertThat(capped.find(bob.id())).contains(bob);
    assertThat(capped.find(fourth.id())).contains(fourth);
    assertThat(capped.request(resume("alice", oldest.resumeToken(), 0)).refused())
        .contains(ResumeOutcome.EXPIRED);
  }

  @Test
  void sessionsOverTheCapThatWereAttachedWhenOpenedAreTrimmedByTheSweepOnceDetached() {
    SessionTable capped =
        new SessionTable(100, 1 << 20, RETENTION, 2, nanos::get, new Random(3), expired::add);
    List<StreamSession> open = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      StreamSession s = capped.open("alice");
      s.sink(text -> {}); // attached before the next one opens: the cap cannot take it
      open.add(s);
    }
    assertThat(capped.size()).isEqualTo(5);
    assertThat(expired).isEmpty();
    for (StreamSession s : open) {
      advance(Duration.ofSeconds(1));
      s.detach("sink", nanos.get());
    }

    capped.sweep();

    assertThat(capped.size()).isEqualTo(2);
    assertThat(expired).containsExactlyElementsOf(open.subList(0, 3));
  }

  @Test
  void theCapTakesTheLongestDetachedSessionNotTheOldestOpened() {
    SessionTable capped =
        new SessionTable(100, 1 << 20, RETENTION, 2, nanos::get, new Random(4), expired::add);
    StreamSession first = capped.open("alice");
    first.sink(text -> {});
    StreamSession second = capped.open("alice");
    second.sink(text -> {});
    second.detach("sink", nanos.get()); // detached first
    advance(Duration.ofSeconds(5));
    first.detach("sink", nanos.get()); // detached later, though opened earlier

    capped.open("alice");

    assertThat(expired).containsExactly(second);
  }

  @Test
  void theCapNeverTakesASessionWhoseResumeWasJustGranted() {
    SessionTable capped =
        new SessionTable(100, 1 << 20, RETENTION, 1, nanos::get, new Random(5), expired::add);
    StreamSession mine = capped.open("alice");
    mine.sink(text -> {});
    mine.detach("sink", nanos.get());
    assertThat(capped.request(resume("alice", mine.resumeToken(), 0)).session()).isSameAs(mine);

    StreamSession other = capped.open("alice"); // the client opened another meanwhile
    capped.sweep();

    assertThat(expired).isEmpty();
    assertThat(capped.find(mine.id())).contains(mine);
    assertThat(capped.find(other.id())).contains(other);
    // Once its connection attached and left again, the cap applies to it as to any other.
    mine.attach(
        new StreamSession.Subscriber() {
          @Override
          public String holder() {
            return "c-1";
          }

          @Override
          public void send(String text) {}

          @Override
          public boolean offer(String text) {
            return true;
          }

          @Override
          public void fellBehind() {}
        },
        java.util.OptionalLong.of(0));
    mine.detach("c-1", nanos.get());
    advance(Duration.ofSeconds(1));
    other.sink(text -> {});
    capped.sweep();
    assertThat(expired).containsExactly(mine);
  }

  @Test
  void theNewSessionItselfIsNeverTheOneTheCapTakes() {
    SessionTable capped =
        new SessionTable(100, 1 << 20, RETENTION, 1, nanos::get, new Random(6), expired::add);
    StreamSession held = capped.open("alice");
    held.sink(text -> {});

    StreamSession fresh = capped.open("alice");

    assertThat(expired).isEmpty();
    assertThat(capped.find(fresh.id())).contains(fresh);
  }
}
