"""Fault injection for the devnet's TRON endpoints (``POST /devnet/faults``).

A rule ``{path, mode, probability, count, delay_ms, lag_blocks}`` matches requests whose path
(without the leading ``/``) equals ``path`` or matches it as a glob (``wallet/*``). Admin paths
(``devnet/…``) are never faulted. Modes:

* ``http_503`` / ``http_429`` — answer that status (429 with ``Retry-After: 1``), process nothing;
* ``delay`` — process normally, answer after ``delay_ms``;
* ``timeout`` — process nothing and never answer: the request is held open until the client
  gives up or the server stops;
* ``drop`` — process nothing and close the connection without an HTTP response;
* ``accept_then_timeout`` — process the request (a broadcast enters the pending pool), then
  never answer;
* ``accept_then_drop`` — answer normally, but a broadcast is executed with ``discard=True``: it
  is answered as accepted yet never enters the pool, so it is never packed and expires;
* ``lag`` — answer a read from the chain as it was ``lag_blocks`` blocks behind the head (a
  load-balanced node behind its peers): its head block, state, receipts and transactions.
  The state of blocks below the solid block is not kept, so a lag reaching past the solid
  block answers from the solid block. Writes are not affected;
* ``empty`` — process nothing and answer ``{}`` (what an unsynced node returns for a read).

``count`` limits how many requests a rule hits (null = unlimited); ``probability`` is drawn
from a seeded RNG so runs are reproducible. Installing rules replaces the earlier ones.

``FaultMiddleware`` applies the rules at the ASGI level, so ``drop`` really closes the
socket: the server's protocol exposes the connection's transport in ``scope["state"]``
(see ``server.DevnetH11Protocol``).
"""

from __future__ import annotations

import asyncio
import enum
import fnmatch
import random
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TRANSPORT_STATE_KEY: Final = "tron_devnet.transport"
DISCARD_SCOPE_KEY: Final = "tron_devnet.discard"
LAG_SCOPE_KEY: Final = "tron_devnet.lag_blocks"
ADMIN_PREFIX: Final = "devnet/"


class FaultMode(enum.StrEnum):
    HTTP_503 = "http_503"
    HTTP_429 = "http_429"
    DELAY = "delay"
    TIMEOUT = "timeout"
    DROP = "drop"
    ACCEPT_THEN_TIMEOUT = "accept_then_timeout"
    ACCEPT_THEN_DROP = "accept_then_drop"
    LAG = "lag"
    EMPTY = "empty"


class FaultRuleError(ValueError):
    """A fault rule document is invalid; the message names the problem."""


@dataclass(slots=True)
class FaultRule:
    path: str
    mode: FaultMode
    probability: float = 1.0
    count: int | None = None
    delay_ms: int = 0
    lag_blocks: int = 0
    hits: int = 0

    def matches(self, path: str) -> bool:
        return path == self.path or fnmatch.fnmatchcase(path, self.path)

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.hits >= self.count

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "mode": self.mode.value,
            "probability": self.probability,
            "count": self.count,
            "delay_ms": self.delay_ms,
            "lag_blocks": self.lag_blocks,
            "hits": self.hits,
        }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_rule(obj: object, index: int = 0) -> FaultRule:
    """Validate one rule document."""
    where = f"rules[{index}]"
    if not isinstance(obj, dict):
        raise FaultRuleError(f"{where} must be an object")
    unknown = set(obj) - {"path", "mode", "probability", "count", "delay_ms", "lag_blocks"}
    if unknown:
        raise FaultRuleError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    path = obj.get("path")
    if not isinstance(path, str) or not path.strip("/"):
        raise FaultRuleError(f"{where}: path must be a non-empty string")
    modes = ", ".join(m.value for m in FaultMode)
    mode_value = obj.get("mode")
    if not isinstance(mode_value, str):
        raise FaultRuleError(f"{where}: mode must be one of {modes}")
    try:
        mode = FaultMode(mode_value)
    except ValueError:
        raise FaultRuleError(f"{where}: mode must be one of {modes}") from None
    probability = obj.get("probability", 1.0)
    if probability is None:
        probability = 1.0
    if (
        isinstance(probability, bool)
        or not isinstance(probability, int | float)
        or not 0.0 <= probability <= 1.0
    ):
        raise FaultRuleError(f"{where}: probability must be a number in [0, 1]")
    count = obj.get("count")
    if count is not None and (not _is_int(count) or count < 0):
        raise FaultRuleError(f"{where}: count must be null or a non-negative integer")
    delay_ms = obj.get("delay_ms", 0)
    if delay_ms is None:
        delay_ms = 0
    if not _is_int(delay_ms) or delay_ms < 0:
        raise FaultRuleError(f"{where}: delay_ms must be a non-negative integer")
    lag_blocks = obj.get("lag_blocks", 0)
    if lag_blocks is None:
        lag_blocks = 0
    if not _is_int(lag_blocks) or lag_blocks < 0:
        raise FaultRuleError(f"{where}: lag_blocks must be a non-negative integer")
    if mode is FaultMode.LAG and lag_blocks < 1:
        raise FaultRuleError(f"{where}: mode lag needs lag_blocks >= 1")
    return FaultRule(path.strip("/"), mode, float(probability), count, delay_ms, lag_blocks)


class FaultRules:
    """The installed rules and the seeded RNG that decides probabilistic hits."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)  # noqa: S311 - reproducible fault draws, not crypto

    @property
    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def install(self, rules: Sequence[object], *, seed: int | None = None) -> list[FaultRule]:
        """Replace the rules (validated first: on error nothing changes)."""
        parsed = [parse_rule(rule, index) for index, rule in enumerate(rules)]
        self._rules = parsed
        if seed is not None:
            self._rng.seed(seed)
        return list(parsed)

    def clear(self) -> None:
        self._rules = []

    def match(self, path: str) -> FaultRule | None:
        """The first rule that hits ``path`` (its hit is counted), or None."""
        if not self._rules or path.startswith(ADMIN_PREFIX):
            return None
        for rule in self._rules:
            if rule.exhausted or not rule.matches(path):
                continue
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            rule.hits += 1
            return rule
        return None

    def to_json(self) -> dict[str, Any]:
        return {"rules": [rule.to_json() for rule in self._rules]}


async def _read_body(receive: Receive) -> list[Message]:
    """Consume the request body; the messages are kept so the request can be replayed."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


async def _send_body(
    send: Send, status: int, body: bytes, media_type: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_plain(
    send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]]
) -> None:
    await _send_body(send, status, text.encode(), b"text/plain; charset=utf-8", headers)


class FaultMiddleware:
    """ASGI middleware applying ``FaultRules`` in front of the devnet's app."""

    def __init__(self, app: ASGIApp, rules: FaultRules) -> None:
        self.app = app
        self.rules = rules
        self._held: set[asyncio.Future[None]] = set()
        self._stopping = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self.rules.match(scope["path"].lstrip("/"))
        if rule is None:
            await self.app(scope, receive, send)
            return
        mode = rule.mode
        if mode is FaultMode.HTTP_503:
            await _read_body(receive)
            await _send_plain(send, 503, "Service Unavailable", [])
        elif mode is FaultMode.HTTP_429:
            await _read_body(receive)
            await _send_plain(send, 429, "Too Many Requests", [(b"retry-after", b"1")])
        elif mode is FaultMode.DELAY:
            await asyncio.sleep(rule.delay_ms / 1000)
            await self.app(scope, receive, send)
        elif mode is FaultMode.TIMEOUT:
            await _read_body(receive)
            await self._hold(scope, receive, send)
        elif mode is FaultMode.DROP:
            await _read_body(receive)
            await self._drop(scope, send)
        elif mode is FaultMode.ACCEPT_THEN_TIMEOUT:
            await self._process_silently(scope, receive)
            await self._hold(scope, receive, send)
        elif mode is FaultMode.ACCEPT_THEN_DROP:
            scope[DISCARD_SCOPE_KEY] = True
            await self.app(scope, receive, send)
        elif mode is FaultMode.LAG:
            scope[LAG_SCOPE_KEY] = rule.lag_blocks
            await self.app(scope, receive, send)
        else:  # EMPTY
            await _read_body(receive)
            await _send_body(send, 200, b"{}\n", b"application/json", [])

    async def _process_silently(self, scope: Scope, receive: Receive) -> None:
        """Run the request through the app and throw the answer away."""
        messages = await _read_body(receive)
        replay = iter(messages)

        async def replay_receive() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        async def discard(message: Message) -> None:
            return None

        await self.app(scope, replay_receive, discard)

    async def _hold(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Never answer: wait for the client to disconnect or the server to stop."""
        if not self._stopping:
            release: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._held.add(release)

            async def wait_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass

            watcher = asyncio.ensure_future(wait_disconnect())
            try:
                await asyncio.wait({release, watcher}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                watcher.cancel()
                self._held.discard(release)
                if not release.done():
                    release.cancel()
        await self._drop(scope, send)

    async def _drop(self, scope: Scope, send: Send) -> None:
        """Close the connection without sending any HTTP response."""
        transport = (scope.get("state") or {}).get(TRANSPORT_STATE_KEY)
        if transport is not None:
            transport.abort()
            # let the protocol see the connection loss before the app returns
            for _ in range(3):
                await asyncio.sleep(0)
            return
        # Fallback for servers that do not expose the transport: promise a body and close.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"1")],
            }
        )

    def release_held(self) -> None:
        """Let every held request go (their connections are closed); used at shutdown."""
        self._stopping = True
        for future in list(self._held):
            if not future.done():
                future.set_result(None)

    @property
    def held_count(self) -> int:
        return len(self._held)
