// The agentwire console: one page, built on agentwire-client.js, that connects, shows the
// connection's lifecycle, runs agents and, with an admin token, watches the server through
// /api/diagnostics, /metrics and the health endpoints. Plain ES modules, no build step.
import { AgentwireClient, closeAction } from "./agentwire-client.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 2000;
const MAX_EVENTS_SHOWN = 2000;

/** What each close code means and what the client does next (PROTOCOL section 8). */
const CLOSE_MEANING = {
  1000: "normal close",
  1002: "protocol error (a frame that breaks RFC 6455)",
  1001: "going away (page or client closed), or idle for two heartbeats",
  1003: "binary frame: text frames only",
  1006: "connection lost without a close (network, sleep, server gone)",
  1007: "invalid UTF-8",
  1009: "message too big",
  1011: "server defect (see the incident id)",
  1012: "server draining (rolling restart)",
  1013: "not ready: set-up failed, or the server is starting or draining",
  4000: "no answer to ping: taken for dead",
  4401: "unauthorized: token missing, invalid or expired",
  4408: "reading too slowly",
  4429: "too many messages or connections",
  4509: "superseded: the session was resumed elsewhere",
};
const ACTION_TEXT = {
  reconnect: "reconnects with backoff and resumes",
  "renew-token": "asks for a new token, then resumes",
  superseded: "does nothing: the newer connection has the session",
  stop: "does not reconnect",
};

export function meaning(code) {
  if (Number.isNaN(code)) return "codes the protocol does not name (chosen by clients)";
  if (CLOSE_MEANING[code]) return CLOSE_MEANING[code];
  if (code >= 4000 && code <= 4499) return "may reconnect";
  if (code >= 4500 && code <= 4999) return "must not reconnect";
  return "unknown code";
}

// --- HTTP ---

async function http(path, { method = "GET", token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON (metrics) */ }
  return { status: r.status, text, json };
}

/** The Prometheus text format, as far as /metrics needs: name, labels, value. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

// --- the page's state ---

let client = null;
let currentToken = null;
let devMode = false;
let attemptStart = performance.now();
let eventCount = 0;
let renewResolve = null;
const previous = { races: {}, closes: {} };

function isAdmin() {
  return devMode ? $("admin").checked : tokenGroups(currentToken).includes("agentwire-admin");
}

/** The token's groups, for what the page shows only; the server decides what a token may do. */
function tokenGroups(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).groups ?? [];
  } catch {
    return [];
  }
}

// --- timeline ---

function clock() {
  const d = new Date();
  return d.toTimeString().slice(0, 8) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

function mark(kind, label, detail = "", extra = {}) {
  const li = document.createElement("li");
  li.dataset.kind = kind;
  for (const [k, v] of Object.entries(extra)) li.dataset[k] = String(v);
  const time = document.createElement("time");
  time.textContent = clock();
  const what = document.createElement("span");
  what.className = "what";
  what.textContent = label;
  li.append(time, what);
  if (detail) {
    const d = document.createElement("span");
    d.className = "detail";
    d.textContent = detail;
    li.append(d);
  }
  $("timeline").prepend(li);
  while ($("timeline").children.length > 200) $("timeline").lastElementChild.remove();
  return li;
}

const sinceAttempt = () => `+${Math.round(performance.now() - attemptStart)} ms`;

function closeText(code, reason) {
  return `${code} ${reason ? `“${reason}”` : ""} — ${meaning(code)}`;
}

// --- the connection ---

async function detectDevTokens() {
  // An empty body is a bad request where development tokens are served, and 404 elsewhere: no
  // token is minted to find out.
  const r = await http("api/dev/token", { method: "POST", body: {} }).catch(() => ({ status: 0 }));
  devMode = r.status === 400;
  $("dev-token").hidden = !devMode;
  $("pasted-token").hidden = devMode;
}

async function devToken() {
  const groups = $("admin").checked ? ["agentwire-admin", "agentwire-user"] : ["agentwire-user"];
  const r = await http("api/dev/token", {
    method: "POST",
    body: { sub: $("subject").value.trim() || "console", groups, expiresInSeconds: Number($("lifetime").value) },
  });
  if (r.status !== 200) throw new Error(r.json?.message ?? `development token: HTTP ${r.status}`);
  return r.json.token;
}

/** The client's token callback: a development token, or one the user pastes. */
async function token(request) {
  if (devMode) {
    currentToken = await devToken();
    mark("token", request.renew ? "new development token" : "development token",
      `${$("lifetime").selectedOptions[0].textContent}${request.renew ? ` (after: ${request.reason})` : ""}`);
    return currentToken;
  }
  if (!request.renew) {
    currentToken = $("token").value.trim();
    return currentToken;
  }
  $("renew-reason").textContent = request.reason || "unauthorized";
  $("renew").hidden = false;
  mark("token", "waiting for a new token", request.reason);
  currentToken = await new Promise((resolve) => { renewResolve = resolve; });
  $("renew").hidden = true;
  mark("token", "new token pasted");
  return currentToken;
}

function wsUrl() {
  const u = new URL("ws", location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
}

function setState(state, text = state) {
  const s = $("state");
  s.dataset.state = state;
  s.textContent = text;
  const live = state !== "idle" && state !== "closed" && state !== "stopped" && state !== "superseded";
  $("connect").disabled = live;
  $("disconnect").disabled = !live;
  $("run").disabled = state !== "ready";
}

function connect() {
  if (!devMode && !$("token").value.trim()) {
    mark("error", "no token", "paste a JWT first");
    return;
  }
  client?.close();
  $("events").replaceChildren();
  eventCount = 0;
  $("event-count").textContent = "0";
  client = new AgentwireClient({ url: wsUrl(), token });
  window.agentwire = client; // for the curious, in the browser's devtools
  client.addEventListener("state", (e) => onState(e.detail));
  client.addEventListener("open", (e) =>
    mark("open", "WebSocket open: transport ready", `${sinceAttempt()}${e.detail.resuming ? ", resuming" : ""}`));
  client.addEventListener("ready", (e) => onReady(e.detail));
  client.addEventListener("session", (e) => {
    const d = e.detail;
    if (d.previous) mark("session", "new session", `resume refused (${d.resumeFailure}): seqs start at 1 again`);
  });
  client.addEventListener("gap", (e) =>
    mark("gap", "gap", `seqs ${e.detail.from}–${e.detail.to} were no longer held by the server`));
  client.addEventListener("event", (e) => onEvent(e.detail));
  client.addEventListener("message", (e) => onMessage(e.detail));
  client.connect().catch(() => { /* shown by the state events */ });
}

function onState(d) {
  switch (d.state) {
    case "connecting":
      attemptStart = performance.now();
      mark("connecting", "connecting", wsUrl());
      setState("connecting");
      break;
    case "reconnecting":
      if (d.delayMs !== undefined) {
        mark("close", `closed ${closeText(d.code, d.reason)}`,
          `${ACTION_TEXT[d.action] ?? ""}: attempt ${d.attempt} in ${Math.round(d.delayMs)} ms`, { code: d.code });
        setState("reconnecting", `reconnecting in ${Math.round(d.delayMs)} ms`);
      } else {
        attemptStart = performance.now();
        mark("connecting", "reconnecting", `resume after seq ${client.lastSeq}`);
        setState("reconnecting");
      }
      break;
    case "offline":
      mark("offline", "browser offline", "reconnects when the network is back");
      setState("offline");
      break;
    case "stopped":
      mark("close", `stopped: ${closeText(d.code, d.reason)}`, "does not reconnect", { code: d.code ?? "" });
      setState("stopped");
      break;
    case "superseded":
      mark("close", `closed ${closeText(d.code, d.reason)}`, ACTION_TEXT.superseded, { code: d.code });
      setState("superseded");
      break;
    case "closed":
      mark("close", "disconnected", "by you; the session stays resumable for its retention", { code: 1000 });
      setState("closed");
      renderInFlight();
      break;
    default:
      break; // "ready" is shown by onReady
  }
}

function onReady(r) {
  const ms = Math.round(performance.now() - attemptStart);
  setState("ready");
  $("session-id").textContent = r.sessionId;
  $("connection-id").textContent = r.connectionId;
  $("last-seq").textContent = String(client.lastSeq);
  $("ready-ms").textContent = `${ms} ms`;
  const parts = [`+${ms} ms`, r.resumed ? `resumed at seq ${r.lastSeq}` : "new session"];
  if (r.degraded?.length) parts.push(`degraded: ${r.degraded.join(", ")}`);
  if (r.runs?.length) parts.push(`${r.runs.length} run(s) in flight`);
  const li = mark("ready", "ready: application ready", parts.join(" · "), { resumed: r.resumed });
  renderInFlight();
  if (isAdmin()) serverSteps(r.connectionId, li);
}

/** The server's own set-up steps for this connection, from its diagnostics (admin only). */
async function serverSteps(connectionId, li) {
  const r = await http(`api/diagnostics/connections/${encodeURIComponent(connectionId)}`, { token: currentToken }).catch(() => null);
  if (!r || r.status !== 200 || !Array.isArray(r.json?.timeline)) return;
  const t0 = Date.parse(r.json.timeline[0].at);
  const ol = document.createElement("ol");
  ol.className = "steps";
  for (const step of r.json.timeline) {
    const s = document.createElement("li");
    s.dataset.step = step.to;
    const at = (Date.parse(step.at) - t0).toFixed(0);
    s.textContent = `${step.to} +${at} ms`;
    ol.append(s);
  }
  li.append(ol);
}

function onEvent(e) {
  eventCount++;
  $("event-count").textContent = String(eventCount);
  $("last-seq").textContent = String(client.lastSeq);
  const li = document.createElement("li");
  li.dataset.seq = String(e.seq);
  li.dataset.type = e.type;
  li.dataset.run = e.runId;
  const seq = document.createElement("span");
  seq.className = "seq";
  seq.textContent = `#${e.seq}`;
  const type = document.createElement("span");
  type.className = `type t-${e.type}`;
  type.textContent = e.type.replace("agent_", "").replace("tool_", "tool ");
  const run = document.createElement("span");
  run.className = "run";
  run.textContent = e.runId;
  const data = document.createElement("span");
  data.className = "data";
  data.textContent = summary(e);
  li.append(seq, type, run, data);
  $("events").prepend(li);
  while ($("events").children.length > MAX_EVENTS_SHOWN) $("events").lastElementChild.remove();
  if (e.type.startsWith("agent_")) renderInFlight();
}

function summary(e) {
  const d = e.data ?? {};
  if (d.tool && d.result !== undefined) return `${d.tool} → ${JSON.stringify(d.result)}`;
  if (d.tool) return `${d.tool}(${typeof d.arguments === "string" ? d.arguments : JSON.stringify(d.arguments ?? "")})`;
  if (typeof d.text === "string") return d.text;
  if (d.output !== undefined) return JSON.stringify(d.output);
  if (d.error) return `${d.error.code ?? ""} ${d.error.message ?? ""}`;
  if (d.agent) return d.agent;
  const s = JSON.stringify(d);
  return s === "{}" ? "" : s.slice(0, 160);
}

function onMessage(m) {
  if (m.type === "draining") {
    mark("draining", "server draining", `reconnect after ${m.reconnectAfterMs ?? 0} ms`);
  } else if (m.type === "error") {
    mark("error", `error ${m.code}`, `${m.message ?? ""}${m.runId ? ` (run ${m.runId})` : ""}`);
  }
}

function renderInFlight() {
  const ul = $("in-flight");
  ul.replaceChildren();
  if (!client) return;
  for (const [runId, run] of client.runs) {
    const li = document.createElement("li");
    li.dataset.run = runId;
    li.textContent = `${run.agent} · ${runId} `;
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = "Cancel";
    b.disabled = client.state !== "ready";
    b.addEventListener("click", () => client.cancel(runId));
    li.append(b);
    ul.append(li);
  }
}

// --- health and the operator view ---

async function refreshHealth() {
  for (const name of ["started", "live", "ready"]) {
    const r = await http(`health/${name}`).catch(() => ({ status: 0 }));
    const el = $(`health-${name}`);
    el.dataset.status = r.status === 200 ? "up" : r.status === 0 ? "unknown" : "down";
    el.title = `GET /health/${name}: ${r.status || "no answer"}`;
  }
}

async function refreshOperator() {
  if (!currentToken || !isAdmin()) {
    $("operator-body").hidden = true;
    $("operator-status").textContent = "connect with an admin token";
    return;
  }
  const [diag, metrics] = await Promise.all([
    http("api/diagnostics", { token: currentToken }).catch(() => null),
    http("metrics").catch(() => null),
  ]);
  if (!diag || diag.status !== 200) {
    $("operator-body").hidden = true;
    $("operator-status").textContent = diag ? `diagnostics: HTTP ${diag.status}` : "server not answering";
    return;
  }
  $("operator-body").hidden = false;
  $("operator-status").textContent = `refreshed ${clock()}`;
  const d = diag.json;
  $("server-mode").textContent = d.strictness;
  renderByState(d.connectionsByState);
  renderDrain(d.drain);
  $("cluster-text").textContent = d.cluster?.clustered
    ? `${d.cluster.members ?? "?"} members${d.cluster.mode ? ` (${d.cluster.mode})` : ""}`
    : "single instance";
  renderCounts("races", d.racePatterns, previous.races, (k) => k.replaceAll("_", " "));
  if (metrics && metrics.status === 200) {
    const samples = parseMetrics(metrics.text);
    const value = (name, label) =>
      Object.fromEntries(samples.filter((s) => s.name === name).map((s) => [s.labels[label], s.value]));
    const sessions = value("agentwire_sessions", "state");
    $("sessions-attached").textContent = String(sessions.attached ?? 0);
    $("sessions-detached").textContent = String(sessions.detached ?? 0);
    renderCounts("closes", value("agentwire_closes_total", "code"), previous.closes, (c) => `${c} ${meaning(Number(c))}`);
    renderCounts("outcomes", value("agentwire_runs_total", "outcome"), {}, (o) => o);
    renderReadyChart(samples);
  }
}

function renderByState(byState) {
  const ul = $("by-state");
  ul.replaceChildren();
  const max = Math.max(1, ...Object.values(byState));
  for (const [state, n] of Object.entries(byState)) {
    if (state === "CLOSED" && n === 0) continue;
    const li = document.createElement("li");
    li.dataset.state = state;
    li.innerHTML = `<span class="label"></span><span class="bar"><i></i></span><span class="count"></span>`;
    li.querySelector(".label").textContent = state.toLowerCase().replace("_", " ");
    li.querySelector("i").style.width = `${(100 * n) / max}%`;
    li.querySelector(".count").textContent = String(n);
    ul.append(li);
  }
}

function renderDrain(drain) {
  if (!drain?.draining) {
    $("drain-text").textContent = "not draining";
    $("drain-progress").value = 0;
    return;
  }
  const done = drain.connections - drain.remaining;
  $("drain-text").textContent = `draining: ${drain.remaining} of ${drain.connections} connections left`;
  $("drain-progress").max = Math.max(1, drain.connections);
  $("drain-progress").value = done;
}

/** A two-column table of counters; a counter that moved since the last refresh is marked. */
function renderCounts(id, counts, last, label) {
  const tbody = $(id).tBodies[0];
  tbody.replaceChildren();
  const keys = Object.keys(counts ?? {}).sort();
  if (keys.length === 0) {
    tbody.innerHTML = `<tr><td class="muted">none yet</td><td></td></tr>`;
    return;
  }
  for (const k of keys) {
    const n = counts[k];
    const tr = document.createElement("tr");
    tr.dataset.key = k;
    if (n > 0) tr.classList.add("nonzero");
    const moved = last[k] !== undefined && n > last[k];
    if (moved) tr.classList.add("moved");
    const name = document.createElement("td");
    name.textContent = label(k);
    const count = document.createElement("td");
    count.className = "count";
    count.textContent = `${n}${moved ? ` (+${n - last[k]})` : ""}`;
    tr.append(name, count);
    tbody.append(tr);
    last[k] = n;
  }
}

/** Open → ready as bars: the histogram's buckets (counts per bucket, not cumulative). */
function renderReadyChart(samples) {
  const svg = $("ready-chart");
  const buckets = samples
    .filter((s) => s.name === "agentwire_open_to_ready_seconds_bucket")
    .map((s) => ({ le: s.labels.le === "+Inf" ? Infinity : Number(s.labels.le), cumulative: s.value }))
    .sort((a, b) => a.le - b.le);
  const count = samples.find((s) => s.name === "agentwire_open_to_ready_seconds_count")?.value ?? 0;
  const q = Object.fromEntries(samples.filter((s) => s.name === "agentwire_open_to_ready_seconds" && s.labels.quantile)
    .map((s) => [s.labels.quantile, s.value]));
  const ms = (v) => (v === undefined ? "–" : `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)} ms`);
  $("ready-quantiles").textContent = `${count} connections · p50 ${ms(q["0.5"])} · p95 ${ms(q["0.95"])} · p99 ${ms(q["0.99"])}`;
  svg.dataset.count = String(count);
  const bars = buckets.map((b, i) => ({
    label: b.le === Infinity ? `>${fmt(buckets[i - 1]?.le)}` : fmt(b.le),
    n: b.cumulative - (i > 0 ? buckets[i - 1].cumulative : 0),
  }));
  const max = Math.max(1, ...bars.map((b) => b.n));
  const w = 480 / Math.max(1, bars.length);
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  bars.forEach((b, i) => {
    const h = (100 * b.n) / max;
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", String(i * w + 2));
    rect.setAttribute("y", String(125 - h));
    rect.setAttribute("width", String(w - 4));
    rect.setAttribute("height", String(Math.max(h, b.n > 0 ? 2 : 0.5)));
    rect.setAttribute("class", b.n > 0 ? "bar" : "bar empty");
    const title = document.createElementNS(ns, "title");
    title.textContent = `${b.label}: ${b.n}`;
    rect.append(title);
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", String(i * w + w / 2));
    text.setAttribute("y", "148");
    text.setAttribute("class", "axis");
    text.textContent = b.label;
    const n = document.createElementNS(ns, "text");
    n.setAttribute("x", String(i * w + w / 2));
    n.setAttribute("y", String(121 - h));
    n.setAttribute("class", "value");
    n.textContent = b.n > 0 ? String(b.n) : "";
    svg.append(rect, text, n);
  });
}

function fmt(seconds) {
  if (seconds === undefined) return "";
  return seconds < 1 ? `${Math.round(seconds * 1000)}ms` : `${seconds}s`;
}

// --- wiring ---

$("connect-form").addEventListener("submit", (e) => { e.preventDefault(); connect(); });
$("disconnect").addEventListener("click", () => client?.close());
$("run-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const agent = $("agent").value;
  const runId = client.run(agent, $("input").value);
  mark("run", `run ${agent}`, runId);
  // The module learns of the run from its agent_started; show it as asked meanwhile.
  const li = document.createElement("li");
  li.dataset.run = runId;
  li.className = "asked";
  li.textContent = `${agent} · ${runId} (starting)`;
  $("in-flight").append(li);
});
$("renew-use").addEventListener("click", () => {
  const t = $("renew-token").value.trim();
  if (t && renewResolve) { renewResolve(t); renewResolve = null; $("renew-token").value = ""; }
});

window.addEventListener("online", () => mark("online", "browser online"));
window.addEventListener("offline", () => mark("offline", "browser offline"));

await detectDevTokens();
document.body.dataset.loaded = "true";
refreshHealth();
setInterval(() => { refreshHealth(); refreshOperator(); }, REFRESH_MS);
// Exported for closeAction's users in devtools.
export { closeAction };
