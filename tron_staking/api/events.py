"""The watch streams: a position's (or every readable position's) transitions, condition
changes and operation updates as server-sent events, oldest first from the stored history,
then live.

Transitions come from the position's state history; condition changes and operation updates
from its watch journal (:mod:`~tron_staking.api.journal`), which each look brings up to date
first. Each event's ``id`` is an opaque cursor: for every position in the stream, the last
history ``seq`` sent and the last journal ``seq`` sent. A client that reconnects with
``Last-Event-ID`` resumes right after the last event it saw and gets every later entry of
both, in the order they were stored: each intermediate condition and operation state, not only
the latest. ``event`` is ``transition``, ``condition`` or ``operation``; ``data`` is the JSON
of the matching resource plus ``position_id``. New history is looked for every
``events_poll_interval_s``.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any

import anyio

from tron_staking.api import problems, views
from tron_staking.api.deps import ApiStore
from tron_staking.api.journal import Fold, Journal
from tron_staking.domain.position import Position
from tron_staking.store.ports import TransitionLog

Cursor = dict[str, dict[str, int]]
"""position id → {"t": last history seq sent, "j": last journal seq sent}."""
_RANK = {"transition": 0, "condition": 1, "operation": 2}


@dataclasses.dataclass(frozen=True)
class Event:
    kind: str
    position_id: str
    order: tuple[int, int]
    """(time in ms, rank within that ms) — the order in which events are sent."""
    data: dict[str, Any]
    mark: tuple[str, Any]
    """The position cursor's field and its value once this event is sent."""


def _ms(at: dt.datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return int(at.timestamp() * 1000)


def _start() -> dict[str, int]:
    return {"t": 0, "j": 0}


def encode(cursor: Cursor) -> str:
    text = json.dumps(cursor, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _mark(raw: object) -> dict[str, int] | None:
    """A position's cursor; one of the earlier form ``{"t", "c", "o"}`` (latest states only)
    resumes its history and replays its journal from the start."""
    if not isinstance(raw, dict):
        return None
    if set(raw) == {"t", "j"} and _int(raw["t"]) and _int(raw["j"]):
        return {"t": raw["t"], "j": raw["j"]}
    if set(raw) == {"t", "c", "o"} and _int(raw["t"]):
        return {"t": raw["t"], "j": 0}
    return None


def decode(text: str | None) -> Cursor:
    """The cursor of a ``Last-Event-ID``; a 422 naming the header when it is not ours."""
    if not text:
        return {}
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise problems.invalid("malformed Last-Event-ID", ["header", "Last-Event-ID"]) from None
    marks = {key: _mark(value) for key, value in raw.items()} if isinstance(raw, dict) else None
    if marks is None or any(mark is None for mark in marks.values()):
        raise problems.invalid("malformed Last-Event-ID", ["header", "Last-Event-ID"])
    return {key: mark for key, mark in marks.items() if mark is not None}


async def _position_events(
    journal: Journal,
    history_log: TransitionLog,
    position: Position,
    mark: dict[str, int],
    fold: Fold,
) -> tuple[list[Event], list[Event]]:
    """The position's history entries and journal entries after ``mark``, each in ``seq``
    order; ``fold`` is this stream's read of the position's journal so far (the first look
    reads it whole, to drop repeats of entries before ``mark``; later looks what was added)."""
    pid = position.id
    history = []
    for entry in await history_log.list(pid, after_seq=mark["t"]):
        data = views.dump(views.transition_out(entry))
        seq = int(entry["seq"])
        history.append(
            Event("transition", pid, _order(entry["at"], "transition"), data, ("t", seq))
        )
    changes = []
    await journal.record(pid)
    for entry in await journal.read(pid, fold):
        seq = int(entry["seq"])
        if seq <= mark["j"]:
            continue
        kind = str(entry["kind"])
        changes.append(Event(kind, pid, _order(entry["at"], kind), dict(entry["data"]), ("j", seq)))
    return history, changes


def _order(at: dt.datetime, kind: str) -> tuple[int, int]:
    return (_ms(at), _RANK[kind])


def _merge(queues: Sequence[Sequence[Event]]) -> Iterator[Event]:
    """Every event of ``queues``, each queue's own order kept, earliest head first."""
    heads = [collections.deque(q) for q in queues if q]
    while heads:
        best = min(heads, key=lambda q: (q[0].order, q[0].position_id))
        yield best.popleft()
        heads = [q for q in heads if q]


async def stream(
    store: ApiStore,
    journal: Journal,
    positions: Callable[[], Awaitable[Sequence[Position]]],
    cursor: Cursor,
    poll_interval_s: float,
) -> AsyncIterator[dict[str, str]]:
    """Server-sent events (dicts for sse-starlette) for the positions ``positions()`` returns
    at each look, starting after ``cursor``; runs until the client goes away. ``journal`` is
    the app's one :class:`~tron_staking.api.journal.Journal`."""
    folds: dict[str, Fold] = {}
    while True:
        queues: list[list[Event]] = []
        for position in await positions():
            mark = cursor.setdefault(position.id, _start())
            fold = folds.setdefault(position.id, Fold())
            queues.extend(await _position_events(journal, store.transitions, position, mark, fold))
        for event in _merge(queues):
            field, value = event.mark
            cursor[event.position_id][field] = value
            yield {
                "id": encode(cursor),
                "event": event.kind,
                "data": json.dumps({**event.data, "position_id": event.position_id}),
            }
        await anyio.sleep(poll_interval_s)
