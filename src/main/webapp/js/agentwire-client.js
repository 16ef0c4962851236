// agentwire-client.js: the client side of agentwire's protocol (PROTOCOL.md) for web pages and
// Node, as one dependency-free ES module. It connects with the token in `access_token` (browsers
// cannot set headers on a WebSocket) and the subprotocol `agentwire.v1`, waits for `ready`, keeps
// the session's last seq, acknowledges now and then, and reconnects by the close-code ranges of
// section 8, resuming the session so that the application sees every event exactly once and in
// order. Served by the WAR at /js/agentwire-client.js.
//
//   import { AgentwireClient } from "/js/agentwire-client.js";
//   const client = new AgentwireClient({ url: "wss://host/ws", token: () => fetchToken() });
//   client.addEventListener("event", (e) => console.log(e.detail.type, e.detail.seq));
//   client.addEventListener("state", (e) => console.log(e.detail.state));
//   await client.connect();
//   const runId = client.run("analyze", "some text to analyze");

/** The subprotocol every agentwire connection offers. */
export const SUBPROTOCOL = "agentwire.v1";

/** Closes after which a client reconnects (section 8), besides the range 4000-4499. */
const RECONNECT_CODES = new Set([1001, 1006, 1011, 1012, 1013]);

/** Event types that end a run. */
const TERMINAL = new Set(["agent_completed", "agent_failed", "agent_cancelled"]);

/**
 * What a close code tells the client to do (PROTOCOL section 8).
 * - `reconnect`: with backoff and jitter, resuming the session (4000-4499, 1001, 1006, 1011, 1012, 1013);
 * - `renew-token`: 4401, get a new token first, then reconnect;
 * - `superseded`: 4509, a newer connection of this client holds the session: nothing to do;
 * - `stop`: the connection would fail the same way again (1002, 1003, 1007, 1009, 4500-4999), or the
 *   server ended it on purpose (1000), or the code is one the protocol does not name.
 *
 * @param {number} code
 * @returns {"reconnect" | "renew-token" | "superseded" | "stop"}
 */
export function closeAction(code) {
  if (code === 4401) return "renew-token";
  if (code === 4509) return "superseded";
  if (RECONNECT_CODES.has(code) || (code >= 4000 && code <= 4499)) return "reconnect";
  return "stop";
}

/**
 * The wait before reconnect attempt `attempt` (0-based): full jitter, uniformly random in
 * [0, min(maxMs, baseMs * 2^attempt)), never shorter than a `draining` message's
 * `reconnectAfterMs`; 4429 (too many) waits at least `baseMs * 10`.
 *
 * @param {number} attempt
 * @param {{baseMs?: number, maxMs?: number, reconnectAfterMs?: number, code?: number, random?: () => number}} [o]
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, o = {}) {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`attempt must be a non-negative integer, was ${attempt}`);
  }
  const base = o.baseMs ?? 250;
  const max = o.maxMs ?? 10000;
  const random = o.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  let wait = random() * ceiling;
  if (o.code === 4429) wait = Math.max(wait, Math.min(max, base * 10));
  if (o.reconnectAfterMs != null) wait = Math.max(wait, o.reconnectAfterMs);
  return wait;
}

/**
 * @typedef {object} AgentwireEvent
 * @property {string} type one of agent_started, agent_thinking, tool_executing, tool_completed,
 *   agent_completed, agent_failed, agent_cancelled
 * @property {number} seq the session's sequence number, 1, 2, 3, ... across reconnects
 * @property {string} runId
 * @property {string} ts ISO-8601 UTC
 * @property {object} data
 */

/**
 * @typedef {object} ReadyMessage the server's first message on every connection
 * @property {string} connectionId
 * @property {string} sessionId
 * @property {string} resumeToken
 * @property {boolean} resumed
 * @property {number} lastSeq the session's highest seq so far
 * @property {number} heartbeatMs
 * @property {{maxMessageBytes: number, holdMaxMessages: number, runsPerConnection: number, messagesPerSecond: number}} limits
 * @property {string[]} degraded set-up steps that did not finish
 * @property {{runId: string, agent: string, startedSeq: number}[]} runs the session's runs in flight
 * @property {"expired" | "unknown" | "forbidden"} [resumeFailure] a resume was refused: a new session
 * @property {{from: number, to: number}} [gap] seqs the session no longer held
 */

/**
 * @typedef {object} TokenRequest what the `token` callback is told
 * @property {boolean} renew true after the server closed with 4401: the last token is no good
 * @property {string} [reason] the server's close reason (`unauthorized: token expired`, ...)
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} url the WebSocket URL, e.g. `wss://host/ws`
 * @property {string | ((request: TokenRequest) => string | Promise<string>)} token the JWT, or a
 *   callback that gets one: called before every connection, with `renew: true` after a 4401
 * @property {number} [ackEvery] acknowledge after this many events (default 100)
 * @property {number} [ackAfterMs] or after this long with events unacknowledged (default 5000)
 * @property {number} [baseMs] backoff base (default 250)
 * @property {number} [maxMs] backoff cap (default 10000)
 * @property {number} [maxAttempts] reconnect attempts in a row before giving up (default 20)
 * @property {number} [pingEveryMs] send a `ping` this often on a ready connection (default: the
 *   server's `heartbeatMs`; 0: never)
 * @property {number} [pongTimeoutMs] a connection that answers nothing this long after a `ping`
 *   is taken for dead, like a close 1006 (default 10000): a sleeping laptop's socket
 * @property {typeof WebSocket} [WebSocket] the WebSocket class (default globalThis.WebSocket)
 * @property {() => number} [random] uniform in [0, 1) (default Math.random)
 * @property {{setTimeout: Function, clearTimeout: Function}} [timers] (default globalThis)
 * @property {{onLine: boolean, addEventListener: Function, removeEventListener: Function} | null} [network]
 *   where online/offline is known (default: the browser's navigator and window; none in Node)
 */

/**
 * @typedef {"idle" | "connecting" | "ready" | "reconnecting" | "offline" | "stopped" | "superseded" | "closed"} ClientState
 * - `idle`: not connected yet; `connecting`: the first connection is opening;
 * - `ready`: the server sent `ready`: run, cancel and ping work;
 * - `reconnecting`: waiting `delayMs` (backoff) or opening a new connection to resume;
 * - `offline`: the browser is offline; reconnects when it is back;
 * - `stopped`: the server said not to reconnect (`code`, `reason`), or attempts ran out;
 * - `superseded`: a newer connection of this session took over (4509);
 * - `closed`: the application called `close()`.
 */

/**
 * One agentwire session over as many connections as it takes. Events (`addEventListener`):
 * - `state`: `{state, code?, reason?, action?, delayMs?, attempt?}` ({@link ClientState});
 * - `open`: `{resuming}`: the WebSocket is open (transport ready); `ready` (application ready)
 *   comes after the server's set-up;
 * - `ready`: the server's {@link ReadyMessage}, on every connection;
 * - `event`: an {@link AgentwireEvent}: each seq of the session once, in order, across reconnects;
 * - `gap`: `{from, to}`: seqs the server no longer held when the client resumed;
 * - `session`: `{sessionId, previous, resumeFailure}`: a new session began (the first, or one
 *   after a refused resume: its seqs start at 1 again);
 * - `message`: any other server message (`pong`, `error`, `draining`).
 */
export class AgentwireClient extends EventTarget {
  /** @param {ClientOptions} options */
  constructor(options) {
    super();
    if (!options || typeof options.url !== "string") throw new TypeError("options.url is required");
    if (options.token == null) throw new TypeError("options.token is required");
    this.options = options;
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this.timers = options.timers ?? globalThis;
    this.network =
      options.network !== undefined
        ? options.network
        : typeof window !== "undefined" && typeof navigator !== "undefined"
          ? {
              get onLine() { return navigator.onLine; },
              addEventListener: (t, f) => window.addEventListener(t, f),
              removeEventListener: (t, f) => window.removeEventListener(t, f),
            }
          : null;
    /** The session's highest seq this client has delivered to the application. */
    this.lastSeq = 0;
    /** @type {string | null} */ this.sessionId = null;
    /** @type {string | null} */ this.resumeToken = null;
    /** @type {ClientState} */ this.state = "idle";
    /** @type {ReadyMessage | null} the last `ready` */ this.ready = null;
    /** @type {Map<string, {agent: string, startedSeq: number}>} the session's runs in flight */
    this.runs = new Map();
    this.acked = 0;
    this.attempt = 0;
    /** @type {WebSocket | null} */ this.socket = null;
    this.closedByApplication = false;
    this.renewToken = null;
    this.reconnectTimer = null;
    this.ackTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.runCounter = 0;
    this.pendingReconnectAfterMs = null;
    this.onOnline = () => {
      if (this.state === "offline") this.#reconnect(1006, "back online");
    };
  }

  /**
   * Opens the first connection. Resolves with the first `ready`; rejects if the client stops
   * before one (a close that says not to reconnect, or no token).
   * @returns {Promise<ReadyMessage>}
   */
  connect() {
    if (this.state !== "idle" && this.state !== "closed" && this.state !== "stopped") {
      return Promise.reject(new Error(`already ${this.state}`));
    }
    this.closedByApplication = false;
    this.attempt = 0;
    this.network?.addEventListener("online", this.onOnline);
    return new Promise((resolve, reject) => {
      const onReady = (e) => { cleanup(); resolve(e.detail); };
      const onState = (e) => {
        const s = e.detail.state;
        if (s === "stopped" || s === "closed" || s === "superseded") {
          cleanup();
          reject(new Error(`${s}: ${e.detail.code ?? ""} ${e.detail.reason ?? ""}`.trim()));
        }
      };
      const cleanup = () => {
        this.removeEventListener("ready", onReady);
        this.removeEventListener("state", onState);
      };
      this.addEventListener("ready", onReady);
      this.addEventListener("state", onState);
      if (this.network && !this.network.onLine) this.#setState("offline", {});
      else this.#open();
    });
  }

  /**
   * Starts a run; returns its runId (generated unless given). Its events arrive as `event`.
   * Sent at once even before `ready`: the server holds early messages in order (G2).
   * @param {string} agent `echo`, `analyze`, ...
   * @param {unknown} input any JSON value
   * @param {{runId?: string}} [o]
   * @returns {string} the runId
   */
  run(agent, input, o = {}) {
    const runId = o.runId ?? `run-${Date.now().toString(36)}-${(++this.runCounter).toString(36)}`;
    this.#send({ type: "run", agent, input, runId });
    return runId;
  }

  /** Asks the server to cancel a run; it ends with `agent_cancelled`. @param {string} runId */
  cancel(runId) {
    this.#send({ type: "cancel", runId });
  }

  /** Sends a `ping`; the `pong` arrives as `message`. @param {string} [id] */
  ping(id) {
    this.#send(id == null ? { type: "ping" } : { type: "ping", id });
  }

  /** Closes for good: no reconnect; the session stays resumable on the server for its retention. */
  close() {
    this.closedByApplication = true;
    this.#clearTimers();
    this.network?.removeEventListener("online", this.onOnline);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, "client closed");
    this.#setState("closed", {});
  }

  /** @param {object} message */
  #send(message) {
    if (!this.socket || this.socket.readyState !== 1) {
      throw new Error(`not connected (${this.state}): ${message.type} was not sent`);
    }
    this.socket.send(JSON.stringify(message));
  }

  async #open() {
    this.#setState(this.sessionId === null && this.attempt === 0 ? "connecting" : "reconnecting", {
      attempt: this.attempt,
    });
    let token;
    try {
      const t = this.options.token;
      const request = this.renewToken ?? { renew: false };
      token = typeof t === "function" ? await t(request) : t;
      if (typeof token !== "string" || token === "") throw new Error("the token callback gave no token");
    } catch (e) {
      if (!this.closedByApplication) {
        this.#setState("stopped", { code: 4401, reason: `no token: ${e?.message ?? e}` });
      }
      return;
    }
    if (this.closedByApplication) return;
    this.renewToken = null;
    const url = new URL(this.options.url);
    url.searchParams.set("access_token", token);
    if (this.resumeToken) {
      url.searchParams.set("resume", this.resumeToken);
      url.searchParams.set("lastSeq", String(this.lastSeq));
    }
    let socket;
    try {
      socket = new this.WebSocket(url.toString(), [SUBPROTOCOL]);
    } catch (e) {
      this.#setState("stopped", { code: 1006, reason: `cannot open: ${e?.message ?? e}` });
      return;
    }
    this.socket = socket;
    let ready = false;
    socket.onmessage = (m) => {
      if (socket !== this.socket) return;
      let msg;
      try {
        msg = JSON.parse(typeof m.data === "string" ? m.data : String(m.data));
      } catch {
        return; // agentwire sends JSON text only
      }
      this.#alive();
      if (!ready) {
        if (msg.type !== "ready") return; // G1: nothing precedes ready
        ready = true;
        this.#ready(msg);
        return;
      }
      this.#message(msg);
    };
    socket.onclose = (c) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.#closed(c.code || 1006, c.reason ?? "");
    };
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.dispatchEvent(new CustomEvent("open", { detail: { resuming: this.resumeToken !== null } }));
    };
    socket.onerror = () => {}; // a close event always follows
  }

  /** @param {ReadyMessage} msg */
  #ready(msg) {
    this.attempt = 0;
    const previous = this.sessionId;
    this.ready = msg;
    if (previous !== msg.sessionId) {
      // The first session, or a new one after a refused resume: its seqs start again at 1.
      this.lastSeq = 0;
      this.acked = 0;
      this.runs.clear();
    }
    this.sessionId = msg.sessionId;
    this.resumeToken = msg.resumeToken;
    for (const r of msg.runs ?? []) this.runs.set(r.runId, { agent: r.agent, startedSeq: r.startedSeq });
    if (previous !== msg.sessionId) {
      this.dispatchEvent(new CustomEvent("session", {
        detail: { sessionId: msg.sessionId, previous, resumeFailure: msg.resumeFailure ?? null },
      }));
    }
    if (msg.gap) {
      this.dispatchEvent(new CustomEvent("gap", { detail: msg.gap }));
      this.lastSeq = Math.max(this.lastSeq, msg.gap.to);
    }
    this.#setState("ready", { connectionId: msg.connectionId, resumed: msg.resumed });
    this.dispatchEvent(new CustomEvent("ready", { detail: msg }));
    this.#schedulePing(msg.heartbeatMs);
  }

  /** @param {any} msg */
  #message(msg) {
    if (typeof msg.seq === "number") {
      if (msg.seq <= this.lastSeq) return; // delivered already: a replay after a resume
      this.lastSeq = msg.seq;
      if (msg.type === "agent_started") {
        this.runs.set(msg.runId, { agent: msg.data?.agent ?? "", startedSeq: msg.seq });
      }
      const ended = TERMINAL.has(msg.type);
      if (ended) this.runs.delete(msg.runId);
      this.dispatchEvent(new CustomEvent("event", { detail: msg }));
      this.#maybeAck(ended);
      return;
    }
    if (msg.type === "draining") this.pendingReconnectAfterMs = msg.reconnectAfterMs;
    this.dispatchEvent(new CustomEvent("message", { detail: msg }));
  }

  #maybeAck(runEnded) {
    const every = this.options.ackEvery ?? 100;
    if (this.lastSeq - this.acked >= every || runEnded) {
      this.#ack();
    } else if (this.ackTimer === null) {
      this.ackTimer = this.timers.setTimeout(() => {
        this.ackTimer = null;
        this.#ack();
      }, this.options.ackAfterMs ?? 5000);
    }
  }

  #ack() {
    if (this.lastSeq > this.acked && this.socket?.readyState === 1) {
      this.socket.send(JSON.stringify({ type: "ack", seq: this.lastSeq }));
      this.acked = this.lastSeq;
    }
  }

  /** Keeps a ping going on a ready connection, so that a dead one (a laptop that slept) is found. */
  #schedulePing(heartbeatMs) {
    const every = this.options.pingEveryMs ?? heartbeatMs ?? 25000;
    if (!every) return;
    this.pingTimer = this.timers.setTimeout(() => {
      this.pingTimer = null;
      if (this.socket?.readyState !== 1) return;
      this.socket.send(JSON.stringify({ type: "ping", id: "agentwire-client" }));
      this.pongTimer = this.timers.setTimeout(() => {
        this.pongTimer = null;
        // No answer: give the socket up without waiting for a close handshake that may never come.
        const dead = this.socket;
        this.socket = null;
        try { dead?.close(4000, "no answer to ping"); } catch { /* already gone */ }
        this.#closed(1006, "no answer to ping");
      }, this.options.pongTimeoutMs ?? 10000);
      this.#schedulePing(heartbeatMs);
    }, every);
  }

  /** Any message proves the connection alive. */
  #alive() {
    if (this.pongTimer !== null) {
      this.timers.clearTimeout(this.pongTimer);
      this.pongTimer = null;
    }
  }

  #closed(code, reason) {
    this.#clearTimers();
    if (this.closedByApplication) return;
    const action = closeAction(code);
    if (action === "superseded") { this.#setState("superseded", { code, reason, action }); return; }
    if (action === "stop") { this.#setState("stopped", { code, reason, action }); return; }
    if (action === "renew-token") {
      if (typeof this.options.token !== "function") {
        this.#setState("stopped", { code, reason: `${reason} (no token callback to renew it)`, action });
        return;
      }
      this.renewToken = { renew: true, reason };
    }
    this.#reconnect(code, reason);
  }

  #reconnect(code, reason) {
    if (this.network && !this.network.onLine) {
      this.#setState("offline", { code, reason }); // the `online` event reconnects
      return;
    }
    const max = this.options.maxAttempts ?? 20;
    if (this.attempt >= max) {
      this.#setState("stopped", { code, reason: `gave up after ${max} attempts: ${reason}` });
      return;
    }
    const delayMs = backoffDelay(this.attempt, {
      baseMs: this.options.baseMs ?? 250,
      maxMs: this.options.maxMs ?? 10000,
      random: this.options.random,
      code,
      reconnectAfterMs: this.pendingReconnectAfterMs ?? undefined,
    });
    this.pendingReconnectAfterMs = null; // a draining message speaks for one reconnect only
    this.attempt++;
    this.#setState("reconnecting", { code, reason, action: closeAction(code), delayMs, attempt: this.attempt });
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = null;
      this.#open();
    }, delayMs);
  }

  #clearTimers() {
    for (const t of ["reconnectTimer", "ackTimer", "pingTimer", "pongTimer"]) {
      if (this[t] !== null) {
        this.timers.clearTimeout(this[t]);
        this[t] = null;
      }
    }
  }

  #setState(state, detail) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }
}
