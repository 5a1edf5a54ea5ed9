"""The watch streams: a position's (or every readable position's) transitions, condition
changes and operation updates as server-sent events, oldest first from the stored history,
then live.

Each event's ``id`` is an opaque cursor: for every position in the stream, the last history
``seq`` sent, the time (ms) of the last condition change sent and the ``updated_at`` (ms) of
the last operation update sent. A client that reconnects with ``Last-Event-ID`` resumes right
after the last event it saw and misses nothing that is stored. ``event`` is ``transition``,
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
from tron_staking.domain.position import Position

Cursor = dict[str, list[int]]
"""position id → [last seq, last condition ms, last operation ms]."""
MAX_OPERATIONS_PER_LOOK = 100


@dataclasses.dataclass(frozen=True)
class Event:
    kind: str
    position_id: str
    at_ms: int
    data: dict[str, Any]
    advance: tuple[int, int]
    """(index in the position's cursor, new value)."""


def _ms(at: dt.datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return int(at.timestamp() * 1000)


def encode(cursor: Cursor) -> str:
    text = json.dumps(cursor, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(text: str | None) -> Cursor:
    """The cursor of a ``Last-Event-ID``; a 422 naming the header when it is not ours."""
    if not text:
        return {}
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise problems.invalid("malformed Last-Event-ID", ["header", "Last-Event-ID"]) from None
    valid = isinstance(raw, dict) and all(
        isinstance(k, str)
        and isinstance(v, list)
        and len(v) == 3
        and all(isinstance(n, int) and not isinstance(n, bool) for n in v)
        for k, v in raw.items()
    )
    if not valid:
        raise problems.invalid("malformed Last-Event-ID", ["header", "Last-Event-ID"])
    return {k: list(v) for k, v in raw.items()}


async def _position_events(store: ApiStore, position: Position, mark: list[int]) -> list[Event]:
    pid = position.id
    found: list[Event] = []
    for entry in await store.transitions.list(pid, after_seq=mark[0]):
        data = views.dump(views.transition_out(entry))
        found.append(Event("transition", pid, _ms(entry["at"]), data, (0, int(entry["seq"]))))
    for condition in position.conditions:
        at_ms = _ms(condition.last_transition_time)
        if at_ms > mark[1]:
            data = views.dump(
                models.ConditionOut(
                    type=condition.type.value,
                    status=condition.status.value,
                    reason=condition.reason,
                    message=condition.message,
                    last_transition_time=condition.last_transition_time,
                )
            )
            found.append(Event("condition", pid, at_ms, data, (1, at_ms)))
    since = dt.datetime.fromtimestamp(mark[2] / 1000, dt.UTC)
    page = await store.operations.find(
        {"position_ids": pid, "updated_at": {"$gt": since}},
        sort=[("updated_at", 1)],
        limit=MAX_OPERATIONS_PER_LOOK,
    )
    for document in page.items:
        at_ms = _ms(document["updated_at"])
        data = views.dump(views.operation_out(document))
        found.append(Event("operation", pid, at_ms, data, (2, at_ms)))
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
            mark = cursor.setdefault(position.id, [0, 0, 0])
            pending.extend(await _position_events(store, position, mark))
        pending.sort(key=lambda e: (e.at_ms, e.position_id))
        for event in pending:
            index, value = event.advance
            mark = cursor[event.position_id]
            mark[index] = max(mark[index], value)
            yield {
                "id": encode(cursor),
                "event": event.kind,
                "data": json.dumps({**event.data, "position_id": event.position_id}),
            }
        await anyio.sleep(poll_interval_s)
