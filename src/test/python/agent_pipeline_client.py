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
   results;
4. closes with 1000 and prints ``ok: <n> events, seq a..b``.

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
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode, WebSocketException

SUBPROTOCOL = "agentwire.v1"
RUN_ID = "py-1"
DEFAULT_TEXT = (
    "Agents stream events to clients; agents call tools, "
    "and agents report results over the wire."
)
WORD = re.compile(r"[\w']+")
READY_FIELDS = ("connectionId", "sessionId", "resumeToken", "resumed", "lastSeq",
                "heartbeatMs", "limits", "degraded")
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


async def obtain_token(args: argparse.Namespace) -> str:
    if args.token:
        return args.token
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, fetch_dev_token, args.base_url, args.timeout)


def connect(url: str, token: str, timeout: float) -> Any:
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


# ---------------------------------------------------------------------------
# Checks of single messages


def require(condition: bool, message: str) -> None:
    if not condition:
        violation(message)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_ready(message: dict[str, Any]) -> int:
    """Checks ``ready`` against PROTOCOL section 4; returns its ``lastSeq``."""
    require(message["type"] == "ready",
            f"G1: the first message must be ready, got {message['type']!r}")
    missing = [name for name in READY_FIELDS if name not in message]
    require(not missing, f"ready lacks {', '.join(missing)}")
    for name in ("connectionId", "sessionId", "resumeToken"):
        require(isinstance(message[name], str) and message[name] != "",
                f"ready.{name} must be a non-empty string")
    require(message["resumed"] is False, f"ready.resumed must be false for a new session, got {message['resumed']!r}")
    require("resumeFailure" not in message, "ready.resumeFailure present although no resume was asked for")
    require(is_int(message["lastSeq"]) and message["lastSeq"] >= 0,
            f"ready.lastSeq must be an integer >= 0, got {message['lastSeq']!r}")
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
    return message["lastSeq"]


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


def check_event_envelope(message: dict[str, Any], expected_seq: int) -> None:
    kind = message["type"]
    require(message.get("seq") == expected_seq and is_int(message.get("seq")),
            f"G6: {kind} has seq {message.get('seq')!r}, expected {expected_seq}")
    require(message.get("runId") == RUN_ID,
            f"{kind} #{expected_seq} has runId {message.get('runId')!r}, expected {RUN_ID!r}")
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
    first_seq: int = 0
    events: int = 0
    started: bool = False
    finished: bool = False
    thinking: int = 0
    open_tool: str | None = None
    tools_done: list[str] = field(default_factory=list)

    def accept(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        check_event_envelope(message, self.next_seq)
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
    args = parser.parse_args(argv)
    if args.pings < 0:
        parser.error("--pings must be >= 0")
    if not words_of(args.text):
        parser.error("--text must contain at least one word")
    return args


async def main(args: argparse.Namespace) -> int:
    url = websocket_url(args.base_url)
    try:
        token = await obtain_token(args)
        if args.check_unauthorized:
            await check_unauthorized(url, args.timeout)
        events, first, last = await run_pipeline(url, token, args)
    except ContractViolation as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
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
    sys.exit(asyncio.run(main(parse_args())))
