#!/usr/bin/python3
"""End-to-end client for agentwire, and the README's example of a client in another language.

It checks PROTOCOL.md from outside, the way any client sees the service:

1. gets a development token from ``POST {base}/api/dev/token`` (unless ``--token``
   is given; that endpoint exists only in the ``development`` profile);
2. opens a connection with a garbage token and expects the upgrade to succeed
   and the server to close with 4401 and a reason ``unauthorized: ...``;
3. opens ``ws://HOST:PORT/ws`` with ``Authorization: Bearer <token>`` and the
   subprotocol ``agentwire.v1``, sends ``--pings`` ``ping`` messages and one
   ``analyze`` run at once (before ``ready`` arrives, to exercise the pre-ready
   hold), and checks ``ready``, the pongs, every event of the run and the tool
   results, then closes with 1000;
4. checks resumption (section 6; ``--no-check-resume`` skips it): opens a new
   session, starts an ``analyze`` run, and after ``--resume-after`` of its events
   drops the TCP connection without a close handshake (an abnormal closure,
   1006, as a lost network gives). It then reconnects by the reconnect policy
   below with ``resume=<ready.resumeToken>&lastSeq=<last seq received>`` and
   expects ``ready`` with ``resumed: true``, the same ``sessionId``, no ``gap``
   and no ``resumeFailure``; if ``ready.runs`` lists the run, its entry must
   name ``runId``, ``agent`` and the ``startedSeq`` seen. Over both connections
   every seq of the run must arrive exactly once, contiguous and in order, and
   the run's contract must hold over the union (``agent_started`` first, tool
   pairs, one ``agent_completed`` last). It ends with ``ack`` of the last seq and
   a ``ping``, whose ``pong`` shows the ack was taken without an ``error``, and
   closes with 1000;
5. prints ``ok: <n> events, seq a..b`` (the counts of step 3).

The reconnect policy (``ReconnectPolicy``, section 8): close codes 4000-4499 and
1001, 1006, 1011, 1012, 1013 reconnect, after a backoff with full jitter
(uniformly random in ``[0, min(cap, base * 2**attempt))``, ``--backoff-base``,
``--backoff-cap``, at most ``--reconnect-attempts`` attempts) and at least the
``reconnectAfterMs`` of a ``draining`` message; 4401 first gets a new token
(possible only when it came from the dev endpoint); connection failures
(refused, reset, handshake timeout, HTTP 5xx) count as 1006; every other code
(4500-4999, 1003, 1007, 1009, 1000, ...) stops and is reported. ``--self-test``
checks the policy, the reconnect loop and the run checker in-process, without
a server, and exits 0 or 1.

It stops at the first violation with a message naming it and exit code 1.

Run it against a server started with the README's run command (development
profile), from the project directory::

    /usr/bin/python3 src/test/python/agent_pipeline_client.py --base-url http://127.0.0.1:8080

Against a server without the dev token endpoint, pass ``--token <jwt>``.
Needs only the standard library and Debian's ``python3-websockets`` (10.4,
legacy asyncio API).

What the server's ``analyze`` agent must compute, so that both sides agree:

* words: ``re.findall(r"[\\w']+", text.lower())``, i.e. maximal runs of Unicode
  letters, digits, ``_`` and ``'`` of the lower-cased text; everything else
  separates words. In Java: ``Pattern.compile("[\\\\w']+",
  Pattern.UNICODE_CHARACTER_CLASS)`` over ``text.toLowerCase(Locale.ROOT)``.
* ``word_count``: ``data.result`` is the number of those words, a JSON integer.
* ``keywords``: ``data.result`` is a JSON array of the 3 most frequent of those
  words (fewer if the text has fewer distinct words), by count descending, ties
  broken by first appearance; no stop-word filtering. This client accepts an
  item as a string or as an object with a ``word`` field, and checks that the
  most frequent word (same tie rule) is among them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, NoReturn, TypeVar

import websockets
from websockets.exceptions import (ConnectionClosed, InvalidHandshake, InvalidStatusCode,
                                   WebSocketException)
from websockets.frames import Close

SUBPROTOCOL = "agentwire.v1"
RUN_ID = "py-1"
RESUME_RUN_ID = "py-resume-1"
DEFAULT_TEXT = (
    "Agents stream events to clients; agents call tools, "
    "and agents report results over the wire."
)
WORD = re.compile(r"[\w']+")
READY_FIELDS = ("connectionId", "sessionId", "resumeToken", "resumed", "lastSeq",
                "heartbeatMs", "limits", "degraded", "runs")
RUN_ENTRY_FIELDS = ("runId", "agent", "startedSeq")
LIMIT_FIELDS = ("maxMessageBytes", "holdMaxMessages", "runsPerConnection", "messagesPerSecond")
EVENT_TYPES = frozenset({"agent_started", "agent_thinking", "tool_executing", "tool_completed",
                         "agent_completed", "agent_failed", "agent_cancelled"})
TERMINAL_EVENTS = frozenset({"agent_completed", "agent_failed", "agent_cancelled"})
REQUIRED_TOOLS = ("word_count", "keywords")
# ISO-8601 in UTC: 'Z' or a zero offset; Java's Instant.toString() gives up to 9 fraction digits.
UTC_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|\+00:00|\+00)"
)


class ContractViolation(Exception):
    """The server did something PROTOCOL.md does not allow."""


class ReconnectStopped(Exception):
    """The reconnect policy says not to reconnect (any more); the message says why."""


def violation(message: str) -> NoReturn:
    raise ContractViolation(message)


# ---------------------------------------------------------------------------
# The expected answers of the analyze agent


def words_of(text: str) -> list[str]:
    """The words of ``text`` by the rule in the module docstring; the server must use the same."""
    return WORD.findall(text.lower())


def most_frequent_word(text: str) -> str:
    """The most frequent word; ties go to the word that appears first."""
    counts = Counter(words_of(text))  # Counter keeps first-appearance order among equal counts
    return counts.most_common(1)[0][0]


# ---------------------------------------------------------------------------
# Connecting


def websocket_url(base_url: str) -> str:
    """``http://h:p/prefix`` becomes ``ws://h:p/prefix/ws``; ``https`` becomes ``wss``."""
    parts = urllib.parse.urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise SystemExit(f"--base-url must look like http://host:port, got {base_url!r}")
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws", "", ""))


def fetch_dev_token(base_url: str, timeout: float) -> str:
    """Blocking: asks the development token endpoint for a user token."""
    body = json.dumps({"sub": "python-client", "groups": ["agentwire-user"]}).encode()
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api/dev/token", data=body, method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as e:
        hint = " (the endpoint exists only in the development profile; pass --token)" \
            if e.code == 404 else ""
        violation(f"POST /api/dev/token answered HTTP {e.code}{hint}")
    except (urllib.error.URLError, OSError) as e:
        violation(f"POST /api/dev/token failed: {e}")
    except ValueError as e:
        violation(f"POST /api/dev/token did not answer JSON: {e}")
    token = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        violation('POST /api/dev/token did not answer {"token": "<non-empty string>"}')
    return token


@dataclass
class Credentials:
    """The token in use; one from the dev endpoint can be renewed (a 4401 asks for that)."""

    token: str
    dev_base_url: str | None  # where the token came from, None for --token
    timeout: float

    async def renew(self) -> bool:
        if self.dev_base_url is None:
            return False
        self.token = await asyncio.to_thread(fetch_dev_token, self.dev_base_url, self.timeout)
        return True


async def obtain_token(args: argparse.Namespace) -> Credentials:
    if args.token:
        return Credentials(args.token, None, args.timeout)
    token = await asyncio.to_thread(fetch_dev_token, args.base_url, args.timeout)
    return Credentials(token, args.base_url, args.timeout)


def with_query(url: str, query: dict[str, Any] | None) -> str:
    return url if not query else f"{url}?{urllib.parse.urlencode(query)}"


def connect(url: str, token: str, timeout: float) -> Any:
    """Opens (awaited, or ``async with``) a connection; ``open_timeout`` bounds the handshake."""
    return websockets.connect(
        url,
        extra_headers={"Authorization": f"Bearer {token}"},
        subprotocols=[SUBPROTOCOL],
        open_timeout=timeout,
        close_timeout=timeout,
    )


# ---------------------------------------------------------------------------
# Printing without secrets


def compact(message: dict[str, Any]) -> str:
    """One line per message; the resume token is a bearer secret too, so it is left out."""
    shown = {k: ("<hidden>" if k == "resumeToken" else v) for k, v in message.items()}
    kind = shown.pop("type", "?")
    seq = shown.pop("seq", None)
    prefix = f"#{seq} {kind}" if seq is not None else str(kind)
    rest = json.dumps(shown, separators=(",", ":"), ensure_ascii=False)
    return f"{prefix} {rest if len(rest) <= 240 else rest[:237] + '...'}"


async def send(ws: Any, message: dict[str, Any]) -> None:
    print(f"-> {compact(message)}", flush=True)
    await ws.send(json.dumps(message))


async def receive(ws: Any, timeout: float, waiting_for: str) -> dict[str, Any]:
    """The next message as a JSON object, within ``timeout`` seconds."""
    try:
        frame = await asyncio.wait_for(ws.recv(), timeout)
    except asyncio.TimeoutError:
        violation(f"no message within {timeout:g}s while waiting for {waiting_for}")
    except ConnectionClosed as e:
        violation(f"connection closed while waiting for {waiting_for}: {describe_close(e)}")
    return parse_frame(frame, waiting_for)


def parse_frame(frame: str | bytes, waiting_for: str) -> dict[str, Any]:
    """A received frame as a JSON object with a string ``type``, printed without secrets."""
    if not isinstance(frame, str):
        violation(f"binary frame received while waiting for {waiting_for}; the protocol uses text frames")
    try:
        message = json.loads(frame)
    except ValueError:
        violation(f"a text frame that is not JSON: {frame[:200]!r}")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        violation(f"a message that is not a JSON object with a string type: {frame[:200]!r}")
    print(f"<- {compact(message)}", flush=True)
    return message


def describe_close(e: ConnectionClosed) -> str:
    if e.rcvd is None:
        return "no close frame received (abnormal closure)"
    return f"code {e.rcvd.code}, reason {e.rcvd.reason!r}"


def close_code(e: ConnectionClosed) -> int:
    """The code the server closed with; no close frame is an abnormal closure, 1006."""
    return e.rcvd.code if e.rcvd is not None else 1006


# ---------------------------------------------------------------------------
# Checks of single messages


def require(condition: bool, message: str) -> None:
    if not condition:
        violation(message)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_ready(message: dict[str, Any], *, resumed_session: str | None = None, after_seq: int = 0) -> int:
    """Checks ``ready`` against PROTOCOL sections 4 and 6; returns its ``lastSeq``.

    Without ``resumed_session`` it must open a new session; with it, it must resume
    that session, hold every event after ``after_seq`` (no ``gap``) and know them.
    """
    require(message["type"] == "ready",
            f"G1: the first message must be ready, got {message['type']!r}")
    missing = [name for name in READY_FIELDS if name not in message]
    require(not missing, f"ready lacks {', '.join(missing)}")
    for name in ("connectionId", "sessionId", "resumeToken"):
        require(isinstance(message[name], str) and message[name] != "",
                f"ready.{name} must be a non-empty string")
    require(is_int(message["lastSeq"]) and message["lastSeq"] >= 0,
            f"ready.lastSeq must be an integer >= 0, got {message['lastSeq']!r}")
    if resumed_session is None:
        require(message["resumed"] is False,
                f"ready.resumed must be false for a new session, got {message['resumed']!r}")
        require("resumeFailure" not in message, "ready.resumeFailure present although no resume was asked for")
        require("gap" not in message, f"ready.gap {message.get('gap')!r} present in a new session")
        require(message["runs"] == [], f"ready.runs of a new session must be empty, got {message['runs']!r}")
    else:
        require("resumeFailure" not in message and message["resumed"] is True,
                f"section 6: resuming a session of the same subject {after_seq} events in was refused: "
                f"resumed {message['resumed']!r}, resumeFailure {message.get('resumeFailure')!r}")
        require(message["sessionId"] == resumed_session,
                f"a resumed ready must keep sessionId {resumed_session!r}, got {message['sessionId']!r}")
        require("gap" not in message,
                f"section 6: ready.gap {message.get('gap')!r} although the session still had to hold every "
                f"event after lastSeq={after_seq} (nothing was acknowledged, far below max-events)")
        require(message["lastSeq"] >= after_seq,
                f"a resumed ready.lastSeq {message['lastSeq']} is below the seq {after_seq} the client already has")
    require(is_int(message["heartbeatMs"]) and message["heartbeatMs"] > 0,
            f"ready.heartbeatMs must be a positive integer, got {message['heartbeatMs']!r}")
    limits = message["limits"]
    require(isinstance(limits, dict), f"ready.limits must be an object, got {limits!r}")
    for name in LIMIT_FIELDS:
        require(name in limits, f"ready.limits lacks {name}")
        require(is_int(limits[name]) and limits[name] > 0,
                f"ready.limits.{name} must be a positive integer, got {limits[name]!r}")
    degraded = message["degraded"]
    require(isinstance(degraded, list) and all(isinstance(s, str) for s in degraded),
            f"ready.degraded must be a list of step names, got {degraded!r}")
    check_runs_snapshot(message["runs"], message["lastSeq"])
    return message["lastSeq"]


def check_runs_snapshot(runs: Any, last_seq: int) -> None:
    """``ready.runs``: a list of ``{runId, agent, startedSeq}``, each started by ``lastSeq``."""
    require(isinstance(runs, list), f"ready.runs must be a list, got {runs!r}")
    for entry in runs:
        require(isinstance(entry, dict), f"ready.runs entries must be objects, got {entry!r}")
        missing = [name for name in RUN_ENTRY_FIELDS if name not in entry]
        require(not missing, f"ready.runs entry {entry!r} lacks {', '.join(missing)}")
        require(isinstance(entry["runId"], str) and entry["runId"] and isinstance(entry["agent"], str)
                and entry["agent"], f"ready.runs entry {entry!r}: runId and agent must be non-empty strings")
        require(is_int(entry["startedSeq"]) and 1 <= entry["startedSeq"] <= last_seq,
                f"ready.runs entry {entry!r}: startedSeq must be an integer in 1..lastSeq ({last_seq})")
    ids = [entry["runId"] for entry in runs]
    require(len(ids) == len(set(ids)), f"ready.runs names a run twice: {ids}")


def parse_utc(ts: Any) -> datetime:
    require(isinstance(ts, str), f"ts must be a string, got {ts!r}")
    match = UTC_TIMESTAMP.fullmatch(ts)
    require(match is not None, f"ts {ts!r} is not ISO-8601 UTC (like 2025-01-31T12:00:00.123Z)")
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          tzinfo=timezone.utc)
    except ValueError as e:
        violation(f"ts {ts!r} is not a valid date and time: {e}")
    return moment + timedelta(microseconds=int((fraction or "0").ljust(6, "0")[:6]))


def check_event_envelope(message: dict[str, Any], expected_seq: int, run_id: str = RUN_ID) -> None:
    kind = message["type"]
    require(message.get("seq") == expected_seq and is_int(message.get("seq")),
            f"G6: {kind} has seq {message.get('seq')!r}, expected {expected_seq}")
    require(message.get("runId") == run_id,
            f"{kind} #{expected_seq} has runId {message.get('runId')!r}, expected {run_id!r}")
    parse_utc(message.get("ts"))
    require(isinstance(message.get("data"), dict),
            f"{kind} #{expected_seq} must have an object data, got {message.get('data')!r}")


def keyword_items(result: Any) -> list[str]:
    """The keywords of a ``keywords`` result: strings, or objects with a ``word`` field."""
    require(isinstance(result, list) and result, f"keywords result must be a non-empty list, got {result!r}")
    items = [item.get("word") if isinstance(item, dict) else item for item in result]
    require(all(isinstance(item, str) for item in items),
            f"keywords result items must be words (strings or {{\"word\": ...}}), got {result!r}")
    return items


def check_tool_result(tool: str, result: Any, text: str) -> None:
    if tool == "word_count":
        expected = len(words_of(text))
        require(is_int(result) and result == expected,
                f"word_count result is {result!r}, expected {expected} (words = re.findall(r\"[\\w']+\", text.lower()))")
    elif tool == "keywords":
        top = most_frequent_word(text)
        require(top in keyword_items(result),
                f"keywords result {result!r} lacks the most frequent word {top!r}")


# ---------------------------------------------------------------------------
# The run


@dataclass
class RunCheck:
    """Follows one analyze run event by event and refuses what section 4 does not allow."""

    text: str
    next_seq: int
    run_id: str = RUN_ID
    first_seq: int = 0
    events: int = 0
    started: bool = False
    finished: bool = False
    thinking: int = 0
    open_tool: str | None = None
    tools_done: list[str] = field(default_factory=list)

    def accept(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        check_event_envelope(message, self.next_seq, self.run_id)
        require(not self.finished, f"{kind} #{self.next_seq} arrived after the run had ended")
        require(self.started or kind == "agent_started",
                f"the run's first event must be agent_started, got {kind}")
        if kind == "agent_started":
            require(not self.started, "a second agent_started for the same run")
            self.started, self.first_seq = True, self.next_seq
        elif kind == "agent_thinking":
            self.thinking += 1
        elif kind == "tool_executing":
            self.start_tool(message["data"].get("tool"))
        elif kind == "tool_completed":
            self.complete_tool(message["data"])
        else:
            self.finish(kind, message["data"])
        self.events += 1
        self.next_seq += 1

    def start_tool(self, tool: Any) -> None:
        require(isinstance(tool, str), f"tool_executing data.tool must be a string, got {tool!r}")
        require(self.open_tool is None,
                f"tool_executing {tool!r} while {self.open_tool!r} has not completed; tools come in pairs")
        self.open_tool = tool

    def complete_tool(self, data: dict[str, Any]) -> None:
        tool = data.get("tool")
        require(self.open_tool is not None, f"tool_completed {tool!r} without a tool_executing before it")
        require(tool == self.open_tool,
                f"tool_completed for {tool!r} but {self.open_tool!r} was executing; data.tool must match")
        require("result" in data, f"tool_completed {tool!r} has no data.result")
        check_tool_result(tool, data["result"], self.text)
        self.tools_done.append(tool)
        self.open_tool = None

    def finish(self, kind: str, data: dict[str, Any]) -> None:
        require(kind == "agent_completed", f"the run ended with {kind}, expected agent_completed: {data!r}")
        require(self.open_tool is None, f"agent_completed while {self.open_tool!r} had not completed")
        require(self.thinking >= 1, "analyze emitted no agent_thinking")
        for tool in REQUIRED_TOOLS:
            count = self.tools_done.count(tool)
            require(count == 1, f"analyze ran tool {tool!r} {count} times, expected one pair")
        require("output" in data, "agent_completed has no data.output")
        self.finished = True


@dataclass
class Pongs:
    """The pongs still owed, in the order their pings were sent."""

    owed: list[str]

    def accept(self, message: dict[str, Any]) -> None:
        require(self.owed, f"a pong nobody asked for: {message.get('id')!r}")
        require(message.get("id") == self.owed[0],
                f"G2: pong {message.get('id')!r} out of order, expected {self.owed[0]!r}")
        self.owed.pop(0)


async def run_pipeline(url: str, token: str, args: argparse.Namespace) -> tuple[int, int, int]:
    """Holds one connection through ready, pongs and the analyze run; returns (events, first, last seq)."""
    ping_ids = [f"py-ping-{n}" for n in range(1, args.pings + 1)]
    try:
        async with connect(url, token, args.timeout) as ws:
            require(ws.subprotocol == SUBPROTOCOL,
                    f"the server selected subprotocol {ws.subprotocol!r}, expected {SUBPROTOCOL!r}")
            for ping_id in ping_ids:  # sent before ready can have been read: the hold must keep them
                await send(ws, {"type": "ping", "id": ping_id})
            await send(ws, {"type": "run", "agent": "analyze", "input": args.text, "runId": RUN_ID})

            last_seq = check_ready(await receive(ws, args.timeout, "ready"))
            run = RunCheck(text=args.text, next_seq=last_seq + 1)
            pongs = Pongs(owed=list(ping_ids))
            while not run.finished or pongs.owed:
                message = await receive(ws, args.timeout, "the next pong or event of run py-1")
                dispatch(message, run, pongs)
            await ws.close(code=1000, reason="done")
            require(ws.close_code == 1000,
                    f"closing normally: the server answered close code {ws.close_code} {ws.close_reason!r}, expected 1000")
            return run.events, run.first_seq, run.next_seq - 1
    except InvalidStatusCode as e:
        violation(f"the upgrade of {url} was refused with HTTP {e.status_code}")
    except ConnectionClosed as e:
        violation(f"the connection closed while sending: {describe_close(e)}")


def dispatch(message: dict[str, Any], run: RunCheck, pongs: Pongs) -> None:
    kind = message["type"]
    if kind == "pong":
        require(not run.started,
                "G2: a pong came after agent_started, but every ping was sent before the run and "
                "held messages are handled in arrival order")
        pongs.accept(message)
    elif kind in EVENT_TYPES:
        require(not pongs.owed or kind != "agent_started",
                f"G2: agent_started came before the pongs {pongs.owed} of pings sent before the run")
        run.accept(message)
    elif kind == "ready":
        violation("a second ready on the same connection")
    elif kind == "error":
        violation(f"the server answered error {message.get('code')!r}: {message.get('message')!r} (ref {message.get('ref')!r})")
    else:
        violation(f"unexpected message type {kind!r}")


# ---------------------------------------------------------------------------
# A bad token


async def check_unauthorized(url: str, timeout: float) -> None:
    """Section 2: with a bad token the upgrade succeeds, nothing is sent, the close is 4401."""
    try:
        async with connect(url, "not-a-jwt.garbage.token", timeout) as ws:
            try:
                frame = await asyncio.wait_for(ws.recv(), timeout)
            except asyncio.TimeoutError:
                violation(f"bad token: the server did not close within {timeout:g}s")
            except ConnectionClosed as e:
                check_unauthorized_close(e)
                return
            violation(f"bad token: the server sent a message instead of closing with 4401: {str(frame)[:200]!r}")
    except InvalidStatusCode as e:
        violation(f"bad token: the upgrade was refused with HTTP {e.status_code}; section 2 says it "
                  "succeeds and the server then closes with 4401, so browsers can learn why")


def check_unauthorized_close(e: ConnectionClosed) -> None:
    require(e.rcvd is not None, f"bad token: {describe_close(e)}, expected 4401")
    require(e.rcvd.code == 4401, f"bad token: closed with {describe_close(e)}, expected code 4401")
    require(e.rcvd.reason.startswith("unauthorized:"),
            f"bad token: close reason {e.rcvd.reason!r} does not start with 'unauthorized:'")
    print(f"<- close {e.rcvd.code} {e.rcvd.reason!r} (bad token)", flush=True)


# ---------------------------------------------------------------------------
# The reconnect policy (PROTOCOL section 8)

# Codes below 4000 that say "come back"; 1006 is also what a refused or reset connection counts as.
RECONNECT_CODES = frozenset({1001, 1006, 1011, 1012, 1013})
# Codes below 4000 that say "fix the client"; listed for the record: every code not reconnected stops.
FIX_CLIENT_CODES = frozenset({1003, 1007, 1009})
ABNORMAL_CLOSURE = 1006
T = TypeVar("T")


@dataclass(frozen=True)
class ReconnectPolicy:
    """Which closes to come back from and how long to wait first. Pure: the random is injected."""

    base: float = 0.1
    cap: float = 5.0
    max_attempts: int = 8
    rand: Callable[[], float] = random.random  # uniform in [0, 1)

    @staticmethod
    def should_reconnect(code: int | None) -> bool:
        """4000-4499 and 1001, 1006, 1011, 1012, 1013; None (no close frame, no connection) is 1006."""
        code = ABNORMAL_CLOSURE if code is None else code
        return 4000 <= code <= 4499 or code in RECONNECT_CODES

    @staticmethod
    def needs_new_token(code: int | None) -> bool:
        return code == 4401

    def ceiling(self, attempt: int) -> float:
        """The upper bound of the backoff before attempt ``attempt`` (0-based): min(cap, base * 2**attempt)."""
        if attempt < 0:
            raise ValueError(f"attempt must be >= 0, got {attempt}")
        return min(self.cap, self.base * 2.0 ** min(attempt, 64))

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniformly random in [0, ceiling(attempt))."""
        return self.rand() * self.ceiling(attempt)

    def delay(self, attempt: int, reconnect_after_ms: int | None = None) -> float:
        """The backoff, but never shorter than a draining message's ``reconnectAfterMs``."""
        wait = self.backoff(attempt)
        return wait if reconnect_after_ms is None else max(wait, reconnect_after_ms / 1000.0)


async def reconnect(attempt_once: Callable[[], Awaitable[T]], policy: ReconnectPolicy, code: int | None, *,
                    reconnect_after_ms: int | None = None,
                    renew_token: Callable[[], Awaitable[bool]] | None = None,
                    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> T:
    """Calls ``attempt_once`` after the backoff until it returns, while the policy allows.

    ``code`` is the close that ended the last connection. An attempt that fails to
    connect (refused, reset, handshake timeout, HTTP 5xx) counts as 1006; one closed
    by the server counts as its close code. Raises ReconnectStopped when a code says
    stop, a 4401 cannot get a new token, or ``policy.max_attempts`` attempts failed.
    """
    for attempt in range(policy.max_attempts):
        if not policy.should_reconnect(code):
            raise ReconnectStopped(f"close code {code} says do not reconnect (section 8)")
        if policy.needs_new_token(code):
            if renew_token is None or not await renew_token():
                raise ReconnectStopped("close code 4401 needs a new token, and this one was given, not fetched")
            print("-- got a new token from the dev endpoint", flush=True)
        wait = policy.delay(attempt, reconnect_after_ms)
        reconnect_after_ms = None  # a draining message speaks for the first reconnect only
        print(f"-- reconnect attempt {attempt + 1}/{policy.max_attempts} in {wait:.3f}s (after close {code})",
              flush=True)
        await sleep(wait)
        try:
            return await attempt_once()
        except ConnectionClosed as e:
            code = close_code(e)
            print(f"-- attempt {attempt + 1} closed: {describe_close(e)}", flush=True)
        except InvalidStatusCode as e:
            if e.status_code < 500:
                raise ReconnectStopped(f"the upgrade was refused with HTTP {e.status_code}") from e
            code = ABNORMAL_CLOSURE
            print(f"-- attempt {attempt + 1}: HTTP {e.status_code}", flush=True)
        except (OSError, asyncio.TimeoutError, InvalidHandshake) as e:
            code = ABNORMAL_CLOSURE
            print(f"-- attempt {attempt + 1} failed to connect: {e!r}", flush=True)
    raise ReconnectStopped(f"gave up after {policy.max_attempts} attempts, the last closed with {code}")


# ---------------------------------------------------------------------------
# A session over several connections (PROTOCOL section 6)


class Session:
    """One session: opens it, resumes it by the policy when a connection ends, tracks lastSeq.

    It checks what any resumed ``ready`` must say; what a resumed ``ready`` says
    about a particular run is left to the caller (``resumed_readies``).
    """

    def __init__(self, url: str, creds: Credentials, timeout: float, policy: ReconnectPolicy) -> None:
        self.url, self.creds, self.timeout, self.policy = url, creds, timeout, policy
        self.ws: Any = None
        self.connections = 0
        self.session_id = ""
        self.resume_token = ""
        self.connection_ids: list[str] = []
        self.last_seq = 0  # the highest seq received
        self.reconnect_after_ms: int | None = None  # from a draining message
        self.resumed_readies: list[tuple[dict[str, Any], int]] = []  # (ready, lastSeq asked for)

    async def _open_once(self, query: dict[str, Any] | None) -> tuple[Any, dict[str, Any]]:
        """A connection and its first message; a close before it raises ConnectionClosed."""
        ws = await connect(with_query(self.url, query), self.creds.token, self.timeout)
        try:
            require(ws.subprotocol == SUBPROTOCOL,
                    f"the server selected subprotocol {ws.subprotocol!r}, expected {SUBPROTOCOL!r}")
            try:
                frame = await asyncio.wait_for(ws.recv(), self.timeout)
            except asyncio.TimeoutError:
                violation(f"no ready within {self.timeout:g}s")
            return ws, parse_frame(frame, "ready")
        except BaseException:
            ws.transport.abort()
            raise

    def _adopt(self, ws: Any, ready: dict[str, Any]) -> None:
        require(ready["connectionId"] not in self.connection_ids,
                f"the new connection got the connectionId {ready['connectionId']!r} of an earlier one")
        self.ws, self.connections = ws, self.connections + 1
        self.session_id, self.resume_token = ready["sessionId"], ready["resumeToken"]
        self.connection_ids.append(ready["connectionId"])

    async def open(self) -> dict[str, Any]:
        """Opens a new session; returns its ready."""
        ws, ready = await self._open_once(None)
        self.last_seq = check_ready(ready)
        self._adopt(ws, ready)
        return ready

    async def drop(self) -> None:
        """Loses the connection the hard way: no close frame, the TCP connection just ends."""
        print(f"-- dropping connection {self.connections} without a close handshake after seq {self.last_seq}",
              flush=True)
        self.ws.transport.abort()
        await asyncio.wait_for(self.ws.wait_closed(), self.timeout)

    async def resume(self, code: int | None) -> dict[str, Any]:
        """Reconnects by the policy with resume=<token>&lastSeq=<n>; returns the resumed ready."""
        after = self.last_seq
        ws, ready = await reconnect(
            lambda: self._open_once({"resume": self.resume_token, "lastSeq": after}), self.policy, code,
            reconnect_after_ms=self.reconnect_after_ms, renew_token=self.creds.renew)
        self.reconnect_after_ms = None
        try:
            check_ready(ready, resumed_session=self.session_id, after_seq=after)
            self._adopt(ws, ready)
        except BaseException:
            ws.transport.abort()
            raise
        self.resumed_readies.append((ready, after))
        return ready

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await send(self.ws, message)
        except ConnectionClosed as e:
            violation(f"the connection closed while sending {message['type']}: {describe_close(e)}")

    async def receive(self, waiting_for: str) -> dict[str, Any]:
        """The next message; a connection that ends is resumed by the policy, a draining noted."""
        while True:
            try:
                frame = await asyncio.wait_for(self.ws.recv(), self.timeout)
            except asyncio.TimeoutError:
                violation(f"no message within {self.timeout:g}s while waiting for {waiting_for}")
            except ConnectionClosed as e:
                print(f"<- connection {self.connections} closed: {describe_close(e)}", flush=True)
                await self.resume(close_code(e))
                continue
            message = parse_frame(frame, waiting_for)
            if message["type"] == "draining":
                after = message.get("reconnectAfterMs")
                require(is_int(after) and after >= 0,
                        f"draining.reconnectAfterMs must be an integer >= 0, got {after!r}")
                self.reconnect_after_ms = after
                continue
            if message["type"] in EVENT_TYPES and is_int(message.get("seq")):
                self.last_seq = max(self.last_seq, message["seq"])
            return message

    async def close(self) -> None:
        await self.ws.close(code=1000, reason="done")
        require(self.ws.close_code == 1000,
                f"closing normally: the server answered close code {self.ws.close_code} "
                f"{self.ws.close_reason!r}, expected 1000")

    def abandon(self) -> None:
        if self.ws is not None and not self.ws.closed:
            self.ws.transport.abort()


# ---------------------------------------------------------------------------
# The resume check


@dataclass
class ResumedRun:
    """One run followed over the connections of a session: each seq once, contiguous, in order."""

    run: RunCheck
    delivered: dict[int, int] = field(default_factory=dict)  # seq -> number of the connection it came on

    def accept(self, message: dict[str, Any], connection: int) -> None:
        kind = message["type"]
        if kind == "error":
            violation(f"the server answered error {message.get('code')!r}: {message.get('message')!r} "
                      f"(ref {message.get('ref')!r})")
        require(kind in EVENT_TYPES, f"unexpected message type {kind!r} during run {self.run.run_id}")
        seq = message.get("seq")
        require(is_int(seq), f"G6: {kind} has no integer seq: {seq!r}")
        require(seq not in self.delivered,
                f"G6: seq {seq} ({kind}) arrived twice, on connection {self.delivered.get(seq)} and on "
                f"connection {connection}; a resume replays only what follows lastSeq")
        require(seq == self.run.next_seq,
                f"G6: seq {seq} ({kind}) arrived where {self.run.next_seq} was due"
                + (": the seqs between are lost" if seq > self.run.next_seq else ""))
        self.run.accept(message)
        self.delivered[seq] = connection

    def check_listing(self, ready: dict[str, Any], after: int) -> bool:
        """What a resumed ready says about this run; returns whether it lists it as in flight."""
        entries = [entry for entry in ready["runs"] if entry["runId"] == self.run.run_id]
        if not entries:
            return False
        entry = entries[0]
        require(entry["agent"] == "analyze", f"ready.runs entry {entry!r}: agent must be 'analyze'")
        require(entry["startedSeq"] == self.run.first_seq,
                f"ready.runs entry {entry!r}: startedSeq must be {self.run.first_seq}, the seq of agent_started")
        require(not self.run.finished or self.run.next_seq - 1 > after,
                f"ready.runs lists {self.run.run_id} as in flight, but the client had its terminal event")
        return True


async def check_resume(url: str, creds: Credentials, args: argparse.Namespace, policy: ReconnectPolicy) -> str:
    """Section 6: a run goes on across a dropped connection and a resume; returns a summary."""
    print("== resume check", flush=True)
    session = Session(url, creds, args.timeout, policy)
    try:
        await session.open()
        await session.send({"type": "run", "agent": "analyze", "input": args.text, "runId": RESUME_RUN_ID})
        followed = ResumedRun(RunCheck(text=args.text, next_seq=session.last_seq + 1, run_id=RESUME_RUN_ID))
        run = followed.run
        while run.events < args.resume_after and not run.finished:
            followed.accept(await session.receive(f"event {run.events + 1} of run {RESUME_RUN_ID}"),
                            session.connections)
        dropped_after = session.last_seq
        await session.drop()
        await session.resume(ABNORMAL_CLOSURE)
        while not run.finished:
            followed.accept(await session.receive(f"the next event of run {RESUME_RUN_ID} after resuming"),
                            session.connections)

        listed = []
        for ready, after in session.resumed_readies:
            listed.append(followed.check_listing(ready, after))
            require(listed[-1] or run.next_seq - 1 <= ready["lastSeq"],
                    f"ready.runs (lastSeq {ready['lastSeq']}) does not list {RESUME_RUN_ID}, so it had "
                    f"ended, but its terminal event came later, at seq {run.next_seq - 1}")

        await session.send({"type": "ack", "seq": session.last_seq})
        await session.send({"type": "ping", "id": "py-after-ack"})
        message = await session.receive("the pong after ack")
        if message["type"] != "pong":
            followed.accept(message, session.connections)  # refuses it: an error, or an event after the end
        require(message.get("id") == "py-after-ack",
                f"pong {message.get('id')!r}, expected 'py-after-ack'")
        await session.close()
    except InvalidStatusCode as e:
        violation(f"the upgrade of {url} was refused with HTTP {e.status_code}")
    finally:
        session.abandon()
    first_connection = sum(1 for c in followed.delivered.values() if c == 1)
    return (f"resume ok: run {RESUME_RUN_ID} seq {run.first_seq}..{run.next_seq - 1}, "
            f"{first_connection} events before the drop (lastSeq {dropped_after}), "
            f"{run.events - first_connection} after, over {session.connections} connections; "
            f"ready.runs listed the run: {'yes' if any(listed) else 'no'}")


# ---------------------------------------------------------------------------
# Self-test: the policy, the reconnect loop and the run checker, without a server


def self_test() -> int:
    failures: list[str] = []

    def check(name: str, condition: bool) -> None:
        print(f"{'pass' if condition else 'FAIL'}: {name}", flush=True)
        if not condition:
            failures.append(name)

    policy = ReconnectPolicy(base=0.1, cap=5.0, max_attempts=4)
    for code in (4000, 4401, 4408, 4429, 4499, 1001, 1006, 1011, 1012, 1013, None):
        check(f"close {code} reconnects", policy.should_reconnect(code))
    for code in (4500, 4509, 4999, 1003, 1007, 1009, 1000, 1002, 1008, 3000, 3999, 5000):
        check(f"close {code} stops", not policy.should_reconnect(code))
    check("4401 needs a new token", policy.needs_new_token(4401) and not policy.needs_new_token(4429))

    zero = ReconnectPolicy(base=0.1, cap=5.0, rand=lambda: 0.0)
    almost = ReconnectPolicy(base=0.1, cap=5.0, rand=lambda: 0.999999)
    check("backoff with random 0 is 0", all(zero.backoff(a) == 0.0 for a in range(20)))
    check("ceiling doubles from base", [almost.ceiling(a) for a in range(4)] == [0.1, 0.2, 0.4, 0.8])
    check("ceiling stops at cap", almost.ceiling(6) == 5.0 and almost.ceiling(10_000) == 5.0)
    check("backoff below the ceiling", all(almost.backoff(a) < almost.ceiling(a) for a in range(30)))
    seeded = random.Random(7)
    jittered = ReconnectPolicy(base=0.1, cap=5.0, rand=seeded.random)
    samples = [(a, jittered.backoff(a)) for a in range(12) for _ in range(200)]
    check("full jitter stays in [0, min(cap, base*2^a))",
          all(0.0 <= b < min(5.0, 0.1 * 2 ** a) for a, b in samples))
    check("full jitter spreads (not constant)", len({round(b, 6) for a, b in samples if a == 5}) > 100)
    try:
        policy.backoff(-1)
        check("negative attempt refused", False)
    except ValueError:
        check("negative attempt refused", True)
    check("draining reconnectAfterMs is honoured", zero.delay(0, 1500) == 1.5 and almost.delay(9, 1000) > 4.9)
    check("no draining: delay is the backoff", zero.delay(3) == 0.0)

    async def loop_checks() -> None:
        sleeps: list[float] = []

        async def fake_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        def attempts(*outcomes: Any) -> Callable[[], Awaitable[str]]:
            queue = list(outcomes)

            async def attempt() -> str:
                outcome = queue.pop(0)
                if isinstance(outcome, BaseException):
                    raise outcome
                return outcome
            return attempt

        closed = lambda code: ConnectionClosed(Close(code, "x"), None)  # noqa: E731
        result = await reconnect(attempts(ConnectionRefusedError(), closed(1013), "ws"), jittered,
                                 ABNORMAL_CLOSURE, reconnect_after_ms=800, sleep=fake_sleep)
        check("reconnect goes on past refused and 1013, then returns", result == "ws" and len(sleeps) == 3)
        check("the first wait honours reconnectAfterMs", sleeps[0] >= 0.8)
        check("later waits are backoffs", sleeps[1] < 0.2 and sleeps[2] < 0.4)

        async def stopped(coro: Awaitable[Any]) -> bool:
            try:
                await coro
            except ReconnectStopped as e:
                print(f"      ({e})", flush=True)
                return True
            return False

        sleeps.clear()
        check("4509 on the attempt stops",
              await stopped(reconnect(attempts(closed(4509)), policy, 1006, sleep=fake_sleep)) and len(sleeps) == 1)
        sleeps.clear()
        check("a stop code ends before any attempt",
              await stopped(reconnect(attempts(), policy, 1003, sleep=fake_sleep)) and sleeps == [])
        sleeps.clear()
        check("attempts are bounded",
              await stopped(reconnect(attempts(*[OSError("reset")] * 4), policy, 1006, sleep=fake_sleep))
              and len(sleeps) == 4)
        check("4401 without a way to renew stops",
              await stopped(reconnect(attempts("ws"), policy, 4401, sleep=fake_sleep)))
        renewed: list[bool] = []

        async def renew() -> bool:
            renewed.append(True)
            return True
        check("4401 renews the token, then reconnects",
              await reconnect(attempts("ws"), policy, 4401, renew_token=renew, sleep=fake_sleep) == "ws"
              and renewed == [True])

    asyncio.run(loop_checks())

    def event(seq: int, kind: str, **data: Any) -> dict[str, Any]:
        return {"type": kind, "seq": seq, "runId": RESUME_RUN_ID, "ts": "2025-01-31T12:00:00.123456789Z",
                "data": data}
    text = DEFAULT_TEXT
    good = [event(5, "agent_started"), event(6, "agent_thinking"),
            event(7, "tool_executing", tool="word_count"),
            event(8, "tool_completed", tool="word_count", result=len(words_of(text))),
            event(9, "tool_executing", tool="keywords"),
            event(10, "tool_completed", tool="keywords", result=[most_frequent_word(text)]),
            event(11, "agent_completed", output="summary")]

    def run_through(events: list[dict[str, Any]]) -> str | None:
        followed = ResumedRun(RunCheck(text=text, next_seq=5, run_id=RESUME_RUN_ID))
        try:
            for n, message in enumerate(events):
                followed.accept(message, 1 if n < 3 else 2)
        except ContractViolation as e:
            return str(e)
        return None if followed.run.finished else "not finished"
    check("a whole run over two connections passes", run_through(good) is None)
    check("a replayed seq is refused", "twice" in (run_through(good[:3] + good[2:]) or ""))
    check("a lost seq is refused", "lost" in (run_through(good[:3] + good[4:]) or ""))
    check("an event after the terminal one is refused",
          run_through(good + [event(12, "agent_thinking")]) is not None)

    print(f"self-test: {'ok' if not failures else f'{len(failures)} failed'}", flush=True)
    return 0 if not failures else 1


# ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="agentwire end-to-end client")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080",
                        help="where the WAR is served (default %(default)s)")
    parser.add_argument("--text", default=DEFAULT_TEXT, help="input of the analyze run")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for each message, the handshake and the close (default %(default)s)")
    parser.add_argument("--token", help="a JWT to use instead of asking POST /api/dev/token")
    parser.add_argument("--pings", type=int, default=3, help="ping messages sent before ready (default %(default)s)")
    parser.add_argument("--check-unauthorized", action=argparse.BooleanOptionalAction, default=True,
                        help="also check that a garbage token is closed with 4401 (default on)")
    parser.add_argument("--check-resume", action=argparse.BooleanOptionalAction, default=True,
                        help="also drop a connection mid-run and resume the session (default on)")
    parser.add_argument("--resume-after", type=int, default=3,
                        help="events of the run to receive before dropping the connection (default %(default)s)")
    parser.add_argument("--reconnect-attempts", type=int, default=8,
                        help="reconnect attempts before giving up (default %(default)s)")
    parser.add_argument("--backoff-base", type=float, default=0.1,
                        help="seconds; the backoff ceiling starts here and doubles (default %(default)s)")
    parser.add_argument("--backoff-cap", type=float, default=5.0,
                        help="seconds; the largest backoff ceiling (default %(default)s)")
    parser.add_argument("--self-test", action="store_true",
                        help="only check the reconnect policy and the run checker in-process, no server")
    args = parser.parse_args(argv)
    if args.pings < 0:
        parser.error("--pings must be >= 0")
    if args.resume_after < 1:
        parser.error("--resume-after must be >= 1")
    if args.reconnect_attempts < 1:
        parser.error("--reconnect-attempts must be >= 1")
    if not 0 < args.backoff_base <= args.backoff_cap:
        parser.error("need 0 < --backoff-base <= --backoff-cap")
    if not words_of(args.text):
        parser.error("--text must contain at least one word")
    return args


async def main(args: argparse.Namespace) -> int:
    url = websocket_url(args.base_url)
    policy = ReconnectPolicy(base=args.backoff_base, cap=args.backoff_cap, max_attempts=args.reconnect_attempts)
    try:
        creds = await obtain_token(args)
        if args.check_unauthorized:
            await check_unauthorized(url, args.timeout)
        events, first, last = await run_pipeline(url, creds.token, args)
        if args.check_resume:
            print(await check_resume(url, creds, args, policy), flush=True)
    except ContractViolation as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        return 1
    except ReconnectStopped as e:
        print(f"FAIL: resuming the session: {e}", file=sys.stderr, flush=True)
        return 1
    except (OSError, asyncio.TimeoutError) as e:
        print(f"FAIL: cannot reach {url}: {e!r}", file=sys.stderr, flush=True)
        return 1
    except WebSocketException as e:  # a handshake the protocol does not allow, e.g. a foreign subprotocol
        print(f"FAIL: WebSocket handshake or framing with {url}: {e}", file=sys.stderr, flush=True)
        return 1
    print(f"ok: {events} events, seq {first}..{last}", flush=True)
    return 0


if __name__ == "__main__":
    arguments = parse_args()
    sys.exit(self_test() if arguments.self_test else asyncio.run(main(arguments)))
