// Unit tests of agentwire-client.js's reconnect logic, with Node's built-in runner:
//   node --test src/test/js/
// (run by ClientModuleTest in `mvn verify`). The WebSocket, the timers, randomness and the
// network are fakes handed to the client, so every test is deterministic and needs no server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentwireClient, backoffDelay, closeAction, SUBPROTOCOL } from "../../main/webapp/js/agentwire-client.js";

/** Timers that run only when the test says so, in due order. */
class FakeTimers {
  constructor() { this.now = 0; this.queue = []; this.nextId = 1; }
  setTimeout(f, ms) { const id = this.nextId++; this.queue.push({ id, at: this.now + ms, f, ms }); return id; }
  clearTimeout(id) { this.queue = this.queue.filter((t) => t.id !== id); }
  /** The delays of the timers pending now. */
  pending() { return this.queue.map((t) => t.ms); }
  /** Runs every timer due within `ms` from now, in order. */
  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const t = this.queue[0];
      if (!t || t.at > end) break;
      this.queue.shift();
      this.now = t.at;
      t.f();
    }
    this.now = end;
  }
}

/** A WebSocket the test plays the server of. */
class FakeSocket {
  static opened = [];
  constructor(url, protocols) {
    this.url = new URL(url);
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.opened.push(this);
  }
  send(text) { if (this.readyState !== 1) throw new Error("not open"); this.sent.push(JSON.parse(text)); }
  close(code, reason) { this.closedByClient = { code, reason }; this.readyState = 3; }
  // the server side
  open() { this.readyState = 1; this.onopen?.({}); }
  deliver(msg) { this.onmessage?.({ data: JSON.stringify(msg) }); }
  serverClose(code, reason = "") { this.readyState = 3; this.onclose?.({ code, reason }); }
  sentOf(type) { return this.sent.filter((m) => m.type === type); }
}

const tick = () => new Promise((r) => setImmediate(r));

function ready(over = {}) {
  return {
    type: "ready", connectionId: "c1", sessionId: "s1", resumeToken: "rt1", resumed: false,
    lastSeq: 0, heartbeatMs: 25000, degraded: [], runs: [],
    limits: { maxMessageBytes: 65536, holdMaxMessages: 64, runsPerConnection: 4, messagesPerSecond: 50 },
    ...over,
  };
}

const event = (seq, type = "agent_thinking", runId = "r1") => ({ type, seq, runId, ts: "2026-12-03T00:00:00Z", data: {} });

/** A client on fakes; `tokens` records every token request. */
function harness(options = {}) {
  FakeSocket.opened = [];
  const timers = new FakeTimers();
  const tokens = [];
  let n = 0;
  const client = new AgentwireClient({
    url: "ws://127.0.0.1:8080/ws",
    token: (request) => { tokens.push(request); return `token-${++n}`; },
    WebSocket: FakeSocket,
    timers,
    random: () => 0.5,
    network: null,
    ...options,
  });
  const seen = { events: [], states: [], gaps: [], sessions: [] };
  client.addEventListener("event", (e) => seen.events.push(e.detail.seq));
  client.addEventListener("state", (e) => seen.states.push(e.detail));
  client.addEventListener("gap", (e) => seen.gaps.push(e.detail));
  client.addEventListener("session", (e) => seen.sessions.push(e.detail));
  const socket = () => FakeSocket.opened.at(-1);
  return { client, timers, tokens, seen, socket };
}

/** Connects and answers `ready` on the first socket. */
async function connected(options) {
  const h = harness(options);
  const p = h.client.connect();
  await tick();
  h.socket().open();
  h.socket().deliver(ready());
  await p;
  return h;
}

/** After a close, runs the backoff timer and lets the token callback settle: a new socket is open. */
async function reconnected(h) {
  const before = FakeSocket.opened.length;
  h.timers.advance(60_000);
  await tick();
  assert.equal(FakeSocket.opened.length, before + 1, "a new connection was opened");
  h.socket().open();
  return h.socket();
}

test("backoff: full jitter under the exponential ceiling, capped", () => {
  for (let attempt = 0; attempt < 40; attempt++) {
    const ceiling = Math.min(8000, 200 * 2 ** attempt);
    assert.equal(backoffDelay(attempt, { baseMs: 200, maxMs: 8000, random: () => 0 }), 0);
    const top = backoffDelay(attempt, { baseMs: 200, maxMs: 8000, random: () => 0.999999 });
    assert.ok(top < ceiling && top > ceiling * 0.999, `attempt ${attempt}: ${top} vs ${ceiling}`);
  }
  // Jitter spreads clients: 1000 draws at attempt 5 fill the whole window, not one point.
  const draws = Array.from({ length: 1000 }, () => backoffDelay(5, { baseMs: 100, maxMs: 10000 }));
  assert.ok(Math.min(...draws) < 400 && Math.max(...draws) > 2800, "spread over [0, 3200)");
  assert.throws(() => backoffDelay(-1), RangeError);
});

test("backoff honours reconnectAfterMs and waits longer after 4429", () => {
  assert.equal(backoffDelay(0, { random: () => 0, reconnectAfterMs: 3700 }), 3700);
  assert.equal(backoffDelay(0, { baseMs: 100, random: () => 0, code: 4429 }), 1000);
  assert.ok(backoffDelay(0, { baseMs: 100, random: () => 0, code: 4408 }) < 1000);
});

test("close codes: which reconnect, which renew the token, which stop (PROTOCOL section 8)", () => {
  for (const code of [1001, 1006, 1011, 1012, 1013, 4000, 4408, 4429, 4499]) {
    assert.equal(closeAction(code), "reconnect", String(code));
  }
  assert.equal(closeAction(4401), "renew-token");
  assert.equal(closeAction(4509), "superseded");
  for (const code of [1000, 1003, 1007, 1009, 4500, 4700, 4999, 1002, 3000]) {
    assert.equal(closeAction(code), "stop", String(code));
  }
});

test("connects with access_token and the agentwire.v1 subprotocol, resolves at ready", async () => {
  const h = harness();
  const p = h.client.connect();
  await tick();
  const s = h.socket();
  assert.equal(s.url.searchParams.get("access_token"), "token-1");
  assert.equal(s.url.searchParams.get("resume"), null);
  assert.deepEqual(s.protocols, [SUBPROTOCOL]);
  assert.equal(h.client.state, "connecting");
  const opens = [];
  h.client.addEventListener("open", (e) => opens.push(e.detail));
  s.open();
  // Transport ready is not application ready: open is told, the state waits for `ready`.
  assert.deepEqual(opens, [{ resuming: false }]);
  assert.equal(h.client.state, "connecting");
  s.deliver(ready());
  const r = await p;
  assert.equal(r.sessionId, "s1");
  assert.equal(h.client.state, "ready");
  assert.deepEqual(h.tokens, [{ renew: false }]);
});

test("every event exactly once and in order across a resume that replays", async () => {
  const h = await connected();
  for (const seq of [1, 2, 3]) h.socket().deliver(event(seq));
  h.socket().serverClose(1006);
  assert.equal(h.client.state, "reconnecting");
  const s = await reconnected(h);
  assert.equal(s.url.searchParams.get("resume"), "rt1");
  assert.equal(s.url.searchParams.get("lastSeq"), "3");
  s.deliver(ready({ resumed: true, lastSeq: 6, connectionId: "c2" }));
  // A server that replays more than asked (or the same seq twice) must not show it twice.
  for (const seq of [2, 3, 4, 5, 5, 6]) s.deliver(event(seq));
  assert.deepEqual(h.seen.events, [1, 2, 3, 4, 5, 6]);
  assert.equal(h.client.lastSeq, 6);
  assert.equal(h.seen.sessions.length, 1, "still the first session");
});

test("a gap is reported and the replay after it delivered", async () => {
  const h = await connected();
  h.socket().deliver(event(1));
  h.socket().serverClose(1012, "draining");
  const s = await reconnected(h);
  s.deliver(ready({ resumed: true, lastSeq: 9, gap: { from: 2, to: 5 } }));
  // Cut again before the replay: the next resume asks from after the gap, not for it again.
  s.serverClose(1006);
  const again = await reconnected(h);
  assert.equal(again.url.searchParams.get("lastSeq"), "5");
  again.deliver(ready({ resumed: true, lastSeq: 9 }));
  for (const seq of [6, 7, 8, 9]) again.deliver(event(seq));
  assert.deepEqual(h.seen.gaps, [{ from: 2, to: 5 }]);
  assert.deepEqual(h.seen.events, [1, 6, 7, 8, 9]);
});

test("a refused resume starts a new session whose seqs count from 1", async () => {
  const h = await connected();
  for (const seq of [1, 2]) h.socket().deliver(event(seq));
  h.socket().serverClose(1006);
  const s = await reconnected(h);
  s.deliver(ready({ sessionId: "s2", resumeToken: "rt2", resumeFailure: "expired" }));
  s.deliver(event(1));
  assert.deepEqual(h.seen.events, [1, 2, 1]);
  assert.deepEqual(h.seen.sessions.at(-1), { sessionId: "s2", previous: "s1", resumeFailure: "expired" });
});

test("ready.runs are the runs in flight; terminal events end them", async () => {
  const h = await connected();
  h.socket().deliver({ ...event(1, "agent_started", "a"), data: { agent: "analyze" } });
  assert.deepEqual([...h.client.runs.keys()], ["a"]);
  h.socket().serverClose(1006);
  const s = await reconnected(h);
  s.deliver(ready({ resumed: true, lastSeq: 1, runs: [{ runId: "a", agent: "analyze", startedSeq: 1 }] }));
  assert.deepEqual([...h.client.runs.keys()], ["a"]);
  s.deliver(event(2, "agent_completed", "a"));
  assert.equal(h.client.runs.size, 0);
});

test("4401 asks the callback for a new token, then reconnects and resumes", async () => {
  const h = await connected();
  h.socket().deliver(event(1));
  h.socket().serverClose(4401, "unauthorized: token expired");
  const s = await reconnected(h);
  assert.deepEqual(h.tokens, [{ renew: false }, { renew: true, reason: "unauthorized: token expired" }]);
  assert.equal(s.url.searchParams.get("access_token"), "token-2");
  assert.equal(s.url.searchParams.get("lastSeq"), "1");
  s.deliver(ready({ resumed: true, lastSeq: 1 }));
  assert.equal(h.client.state, "ready");
});

test("4401 without a token callback stops instead of retrying the same token", async () => {
  const h = await connected({ token: "fixed" });
  h.socket().serverClose(4401, "unauthorized: token expired");
  assert.equal(h.client.state, "stopped");
  assert.deepEqual(h.timers.pending(), []);
});

test("a failing token callback stops the client with the reason", async () => {
  const h = harness({ token: () => Promise.reject(new Error("login needed")) });
  await assert.rejects(h.client.connect(), /stopped: 4401 no token: login needed/);
  assert.equal(FakeSocket.opened.length, 0);
});

test("codes that say stop do not reconnect", async () => {
  for (const code of [1003, 1007, 1009, 4500, 4999, 1000]) {
    const h = await connected();
    h.socket().serverClose(code, "x");
    assert.equal(h.client.state, "stopped", String(code));
    h.timers.advance(600_000);
    await tick();
    assert.equal(FakeSocket.opened.length, 1, `no reconnect after ${code}`);
  }
});

test("4509 superseded: the newer connection has the session, nothing reconnects", async () => {
  const h = await connected();
  h.socket().serverClose(4509, "superseded");
  assert.equal(h.client.state, "superseded");
  assert.deepEqual(h.timers.pending(), []);
});

test("the first connection refused for good rejects connect()", async () => {
  const h = harness();
  const p = h.client.connect();
  await tick();
  h.socket().open();
  h.socket().serverClose(4500, "forbidden");
  await assert.rejects(p, /stopped: 4500 forbidden/);
});

test("backoff grows per failed attempt and resets at ready", async () => {
  const h = await connected({ random: () => 0.999, baseMs: 100, maxMs: 100000 });
  const delays = [];
  for (let i = 0; i < 5; i++) {
    h.socket().serverClose(1006);
    delays.push(h.seen.states.at(-1).delayMs);
    await reconnected(h);
  }
  delays.forEach((d, i) => assert.ok(d > 99.8 * 2 ** i && d < 100 * 2 ** i, `attempt ${i}: ${d}`));
  h.socket().deliver(ready());
  h.socket().serverClose(1006);
  assert.ok(h.seen.states.at(-1).delayMs < 100, "attempt counter reset by ready");
});

test("gives up after maxAttempts failures in a row", async () => {
  const h = await connected({ maxAttempts: 3 });
  h.socket().serverClose(1006);
  for (let i = 0; i < 3; i++) (await reconnected(h)).serverClose(1006);
  assert.equal(h.client.state, "stopped");
  assert.match(h.seen.states.at(-1).reason, /gave up after 3 attempts/);
});

test("draining: the reconnect waits reconnectAfterMs", async () => {
  const h = await connected({ random: () => 0 });
  h.socket().deliver({ type: "draining", reconnectAfterMs: 4321 });
  h.socket().serverClose(1012, "draining");
  assert.equal(h.seen.states.at(-1).delayMs, 4321);
  h.timers.advance(4320);
  await tick();
  assert.equal(FakeSocket.opened.length, 1, "not before reconnectAfterMs");
  h.timers.advance(1);
  await tick();
  assert.equal(FakeSocket.opened.length, 2);
});

test("offline: no reconnect attempts until the browser is online again", async () => {
  const listeners = {};
  const network = {
    onLine: true,
    addEventListener: (t, f) => { listeners[t] = f; },
    removeEventListener: (t) => { delete listeners[t]; },
  };
  const h = await connected({ network });
  network.onLine = false;
  h.socket().serverClose(1006);
  assert.equal(h.client.state, "offline");
  h.timers.advance(600_000);
  await tick();
  assert.equal(FakeSocket.opened.length, 1, "nothing tried while offline");
  network.onLine = true;
  listeners.online();
  const s = await reconnected(h);
  assert.equal(s.url.searchParams.get("resume"), "rt1");
});

test("acks every ackEvery events, at the end of a run, and after ackAfterMs", async () => {
  const h = await connected({ ackEvery: 3, ackAfterMs: 1000 });
  const s = h.socket();
  for (const seq of [1, 2, 3]) s.deliver(event(seq));
  assert.deepEqual(s.sentOf("ack"), [{ type: "ack", seq: 3 }]);
  s.deliver(event(4));
  h.timers.advance(999);
  assert.equal(s.sentOf("ack").length, 1);
  h.timers.advance(1);
  assert.deepEqual(s.sentOf("ack").at(-1), { type: "ack", seq: 4 });
  s.deliver(event(5, "agent_completed"));
  assert.deepEqual(s.sentOf("ack").at(-1), { type: "ack", seq: 5 });
});

test("a connection that answers no ping is given up and resumed", async () => {
  const h = await connected({ pingEveryMs: 1000, pongTimeoutMs: 500 });
  const s = h.socket();
  h.timers.advance(1000);
  assert.deepEqual(s.sentOf("ping"), [{ type: "ping", id: "agentwire-client" }]);
  s.deliver({ type: "pong", id: "agentwire-client" });
  h.timers.advance(1000);
  assert.equal(s.sentOf("ping").length, 2);
  h.timers.advance(500); // no answer this time: a dead socket
  assert.equal(h.client.state, "reconnecting");
  assert.equal(s.closedByClient.code, 4000);
  const next = await reconnected(h);
  assert.equal(next.url.searchParams.get("resume"), "rt1");
});

test("close() stops for good and sends nothing more", async () => {
  const h = await connected();
  const s = h.socket();
  h.client.close();
  assert.equal(h.client.state, "closed");
  assert.deepEqual(s.closedByClient, { code: 1000, reason: "client closed" });
  assert.deepEqual(h.timers.pending(), []);
  assert.throws(() => h.client.run("echo", 1), /not connected \(closed\)/);
});

test("messages before ready go out at once (the server holds them, G2); nothing before ready is taken as an event", async () => {
  const h = harness();
  h.client.connect();
  await tick();
  const s = h.socket();
  s.open();
  const id = h.client.run("echo", { a: 1 }, { runId: "early" });
  assert.equal(id, "early");
  assert.deepEqual(s.sentOf("run"), [{ type: "run", agent: "echo", input: { a: 1 }, runId: "early" }]);
  s.deliver(event(1)); // G1 broken by a server: ignored, not delivered
  s.deliver(ready());
  s.deliver(event(1));
  assert.deepEqual(h.seen.events, [1]);
});
