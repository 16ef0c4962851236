// The benchmark's Node peer: what many users would write instead of agentwire, a plain `ws`
// server with a hand-rolled RS256 check. It speaks only the subset of PROTOCOL.md the benchmark
// uses (sections 2 and 4): token at open, `ready` first, ping/pong, the echo and analyze agents
// (synchronous, no step delay), ack, cancel. No sessions, resumption, heartbeat, hold, drain,
// origin check or rate limits.
//
//   npm ci && PORT=39100 PUBLIC_KEY=pub.pem ISSUER=https://issuer node --expose-gc peer.mjs
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { WebSocketServer } from 'ws';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
};
const PORT = Number(env('PORT'));
const HOST = env('HOST', '127.0.0.1');
const ISSUER = env('ISSUER');
const PUBLIC_KEY = crypto.createPublicKey(fs.readFileSync(env('PUBLIC_KEY')));
const LIMITS = { maxMessageBytes: 65536, holdMaxMessages: 64, runsPerConnection: 4, messagesPerSecond: 50 };

/** The subject of a valid token, else throws with the short reason agentwire would give. */
function verify(token) {
  if (!token) throw new Error('missing token');
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('malformed token');
  let header, claims;
  try {
    [header, claims] = parts.slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url')));
  } catch {
    throw new Error('malformed token');
  }
  if (header?.alg !== 'RS256') throw new Error('unsupported algorithm');
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!crypto.verify('RSA-SHA256', signed, PUBLIC_KEY, Buffer.from(parts[2], 'base64url'))) {
    throw new Error('bad signature');
  }
  const now = Date.now() / 1000;
  if (claims?.iss !== ISSUER) throw new Error('wrong issuer');
  if (typeof claims.exp !== 'number') throw new Error('missing exp');
  if (claims.exp <= now) throw new Error('expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now) throw new Error('not yet valid');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new Error('missing subject');
  return claims.sub;
}

/** Words as AnalyzeAgent counts them: letters, numbers, `_` and `'`, lower-cased. */
const words = (text) => text.toLowerCase().match(/[\p{L}\p{N}_']+/gu) ?? [];

/** The three most frequent words, ties by first appearance (Array.prototype.sort is stable). */
function keywords(list) {
  const counts = new Map();
  for (const w of list) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([w]) => w);
}

/** The events of one run, in AnalyzeAgent's and Runner's order and shapes, as [type, data]. */
function runEvents(agent, input) {
  const started = ['agent_started', { agent }];
  if (agent === 'echo') return [started, ['agent_completed', { output: input }]];
  if (typeof input !== 'string') {
    const incident = crypto.randomUUID().slice(0, 8);
    return [started, ['agent_failed', { message: 'agent analyze failed: IllegalArgumentException', incident }]];
  }
  const list = words(input);
  const top = keywords(list);
  return [
    started,
    ['agent_thinking', { text: 'splitting the text into words' }],
    ['tool_executing', { tool: 'word_count', arguments: input }],
    ['tool_completed', { tool: 'word_count', result: list.length }],
    ['agent_thinking', { text: 'ranking words by frequency' }],
    ['tool_executing', { tool: 'keywords', arguments: input }],
    ['tool_completed', { tool: 'keywords', result: top }],
    ['agent_completed', {
      output: { wordCount: list.length, keywords: top, summary: `${list.length} words; most frequent: ${JSON.stringify(top)}` },
    }],
  ];
}

const RUN_ID_RULE = 'runId must be a string of 1 to 128 characters';
const validRunId = (id) => typeof id === 'string' && id !== '' && id.length <= 128;

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://peer').pathname;
  if (req.method === 'GET' && path === '/health/ready') return json(res, 200, { status: 'UP' });
  if (req.method === 'GET' && path === '/stats') {
    globalThis.gc?.();
    globalThis.gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    return json(res, 200, { heapUsed, rss, connections: wss.clients.size });
  }
  json(res, 404, { error: 'not_found' });
});

const wss = new WebSocketServer({
  server,
  path: '/ws',
  perMessageDeflate: false,
  maxPayload: LIMITS.maxMessageBytes,
  handleProtocols: (offered) => (offered.has('agentwire.v1') ? 'agentwire.v1' : false),
});

wss.on('connection', (ws, req) => {
  // Protocol errors (too big, bad UTF-8, bad frames): ws closes with 1009/1007/1002 by itself, but
  // an 'error' event without a listener would throw and take the whole process down.
  ws.on('error', () => {});
  try {
    verify(new URL(req.url, 'http://peer').searchParams.get('access_token'));
  } catch (e) {
    return ws.close(4401, `unauthorized: ${e.message}`);
  }
  let seq = 0;
  const send = (message) => ws.send(JSON.stringify(message));
  const error = (code, message, ref) => send({ type: 'error', code, message, ref });
  send({
    type: 'ready', connectionId: crypto.randomUUID(), sessionId: crypto.randomUUID(),
    resumeToken: crypto.randomBytes(32).toString('base64url'), resumed: false, lastSeq: 0,
    heartbeatMs: 25000, limits: LIMITS, degraded: [], runs: [],
  });

  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'text frames only');
    let m;
    try {
      m = JSON.parse(data.toString());
    } catch {
      return error('bad_request', 'not valid JSON');
    }
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      return error('bad_request', 'a message is one JSON object');
    }
    if (typeof m.type !== 'string') return error('bad_request', 'type must be a string');
    switch (m.type) {
      case 'ping':
        return send({ type: 'pong', id: m.id ?? null });
      case 'ack':
        return undefined;
      case 'cancel':
        if (!validRunId(m.runId)) return error('bad_request', RUN_ID_RULE, 'cancel');
        // Runs complete synchronously, so none is ever in flight when a cancel arrives.
        return error('unknown_run', 'no run in flight with this id', m.runId);
      case 'run': {
        if (typeof m.agent !== 'string') return error('bad_request', 'agent must be a string', 'run');
        if (!('input' in m)) return error('bad_request', 'input is required (any JSON value, null included)', 'run');
        if (m.runId !== undefined && !validRunId(m.runId)) return error('bad_request', `${RUN_ID_RULE}, or absent`, 'run');
        const runId = m.runId ?? `run-${crypto.randomUUID()}`;
        if (m.agent !== 'echo' && m.agent !== 'analyze') {
          return error('unknown_agent', `no agent named ${m.agent.slice(0, 64)}`, runId);
        }
        for (const [type, eventData] of runEvents(m.agent, m.input)) {
          send({ type, seq: ++seq, runId, ts: new Date().toISOString(), data: eventData });
        }
        return undefined;
      }
      default:
        return error('unknown_type', 'unknown type', m.type.slice(0, 64));
    }
  });
});

server.listen(PORT, HOST, () => console.log(`peer listening on ${PORT}`));

const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
