"""The watch streams: a position's (or every readable position's) transitions, condition
changes and operation updates as server-sent events, oldest first from the stored history,
then live.

Each event's ``id`` is an opaque cursor: for every position in the stream, the last history
``seq`` sent, the last condition change sent (its time in ms and type) and the last operation
update sent (its ``updated_at`` in ms and id). A client that reconnects with ``Last-Event-ID``
resumes right after the last event it saw and misses nothing that is stored: every later
history entry, and the current state of every condition and operation that changed since
(conditions and operations are stored as their current state, so a client that was away gets
the latest one, not each intermediate one). ``event`` is ``transition``,
``condition`` or ``operation``; ``data`` is the JSON of the matching resource plus
``position_id``. New history is looked for every ``events_poll_interval_s``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import anyio

from tron_staking.api import models, problems, views
from tron_staking.api.deps import ApiStore
from tron_staking.domain.enums import ConditionType
from tron_staking.domain.position import Position

Cursor = dict[str, dict[str, Any]]
"""position id → {"t": last seq, "c": last condition key, "o": [last operation ms, id]}."""
MAX_OPERATIONS_PER_LOOK = 100
_CONDITION_ORDER = {t.value: i for i, t in enumerate(ConditionType)}


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


def _start() -> dict[str, Any]:
    return {"t": 0, "c": 0, "o": [0, ""]}


def encode(cursor: Cursor) -> str:
    text = json.dumps(cursor, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _valid_mark(mark: object) -> bool:
    if not isinstance(mark, dict) or set(mark) != {"t", "c", "o"}:
        return False
    operation = mark["o"]
    return (
        _int(mark["t"])
        and _int(mark["c"])
        and isinstance(operation, list)
        and len(operation) == 2
        and _int(operation[0])
        and isinstance(operation[1], str)
    )


def decode(text: str | None) -> Cursor:
    """The cursor of a ``Last-Event-ID``; a 422 naming the header when it is not ours."""
    if not text:
        return {}
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise problems.invalid("malformed Last-Event-ID", ["header", "Last-Event-ID"]) from None
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and _valid_mark(v) for k, v in raw.items()
    ):
        raise problems.invalid("malformed Last-Event-ID", ["header", "Last-Event-ID"])
    return raw


def _condition_events(position: Position, mark: dict[str, Any]) -> list[Event]:
    found = []
    for condition in position.conditions:
        at_ms = _ms(condition.last_transition_time)
        rank = _CONDITION_ORDER[condition.type.value]
        key = at_ms * len(_CONDITION_ORDER) + rank
        if key <= mark["c"]:
            continue
        data = views.dump(
            models.ConditionOut(
                type=condition.type.value,
                status=condition.status.value,
                reason=condition.reason,
                message=condition.message,
                last_transition_time=condition.last_transition_time,
            )
        )
        found.append(Event("condition", position.id, (at_ms, 1), data, ("c", key)))
    return found


async def _position_events(
    store: ApiStore, position: Position, mark: dict[str, Any]
) -> list[Event]:
    pid = position.id
    found: list[Event] = []
    for entry in await store.transitions.list(pid, after_seq=mark["t"]):
        data = views.dump(views.transition_out(entry))
        seq = int(entry["seq"])
        found.append(Event("transition", pid, (_ms(entry["at"]), 0), data, ("t", seq)))
    found.extend(_condition_events(position, mark))
    last_ms, last_id = mark["o"]
    since = dt.datetime.fromtimestamp(last_ms / 1000, dt.UTC)
    page = await store.operations.find(
        {"position_ids": pid, "updated_at": {"$gte": since}},
        sort=[("updated_at", 1)],
        limit=MAX_OPERATIONS_PER_LOOK,
    )
    for document in page.items:
        at_ms, op_id = _ms(document["updated_at"]), str(document["id"])
        if (at_ms, op_id) <= (last_ms, last_id):
            continue
        data = views.dump(views.operation_out(document))
        found.append(Event("operation", pid, (at_ms, 2), data, ("o", [at_ms, op_id])))
    return found


async def stream(
    store: ApiStore,
    positions: Callable[[], Awaitable[Sequence[Position]]],
    cursor: Cursor,
    poll_interval_s: float,
) -> AsyncIterator[dict[str, str]]:
    """Server-sent events (dicts for sse-starlette) for the positions ``positions()`` returns
    at each look, starting after ``cursor``; runs until the client goes away."""
    while True:
        pending: list[Event] = []
        for position in await positions():
            mark = cursor.setdefault(position.id, _start())
            pending.extend(await _position_events(store, position, mark))
        pending.sort(key=lambda e: (e.order, e.position_id))
        for event in pending:
            field, value = event.mark
            cursor[event.position_id][field] = value
            yield {
                "id": encode(cursor),
                "event": event.kind,
                "data": json.dumps({**event.data, "position_id": event.position_id}),
            }
        await anyio.sleep(poll_interval_s)
