"""The watch journal: each position's condition changes and operation updates, in order.

Positions and operations are stored as their current state, so their history is kept here for
the watch streams (:mod:`~tron_staking.api.events`): one entry per change the API observed,
``{"kind": "condition" | "operation", "subject": <condition type | operation id>, "key",
"data", "at", "seq"}``, ``data`` being the resource as the API serves it and ``at`` the
change's own time (the condition's ``last_transition_time``, the operation's ``updated_at``).

The journal is appended through the store's transition log under the key ``watch:<position
id>`` (its own sequence, never listed as the position's transitions): ``seq`` grows by one per
entry and a later entry never takes an earlier ``seq``.

Who records: :meth:`Journal.record` compares a position's current conditions and operations
with the last entry of each subject and appends what changed; each watch stream calls it
before every look, and :class:`Recorder` (run by the app's lifespan) calls it for every
position or operation changed since its previous pass, so the history is kept while nobody
watches. A state that lasted less than one pass (``events_poll_interval_s``) may be missed.
Several recorders (streams, replicas) may append the same change twice: :func:`significant`
drops an entry whose key equals the previous entry of its subject, so readers never see it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import weakref
from collections.abc import Sequence
from typing import Any

import anyio
import structlog

from tron_staking.api import models, views
from tron_staking.api.deps import ApiStore
from tron_staking.domain import conditions as conditions_module
from tron_staking.domain.position import Position
from tron_staking.errors import DuplicateKeyError, NotFoundError, StakingError
from tron_staking.store.ports import Clock
from tron_staking.store.records import Document

PREFIX = "watch:"
MAX_ENTRIES = 1000
"""Entries read per position (a position's whole journal in practice)."""
MAX_OPERATIONS = 100
"""The most recently updated operations of a position compared at each record."""
PAGE = 500
RECORDER_LOOKBACK = dt.timedelta(days=1)
"""At start, the recorder looks at what changed within this much time."""
RECORDER_MARGIN = dt.timedelta(seconds=5)
"""Overlap between passes: writes stamped by another process's clock are still seen."""

_log = structlog.get_logger(__name__)


def journal_id(position_id: str) -> str:
    """The transition-log key under which ``position_id``'s journal is kept."""
    return PREFIX + position_id


@dataclasses.dataclass(frozen=True)
class Change:
    kind: str
    subject: str
    key: str
    data: dict[str, Any]
    at: dt.datetime

    def for_storage(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "key": self.key,
            "data": self.data,
            "at": self.at,
        }


def _digest(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def condition_changes(position: Position) -> list[Change]:
    """The position's conditions as journal changes: a condition changes when its status or
    reason does (a new message alone is not a change)."""
    found = []
    for condition in position.conditions:
        data = views.dump(
            models.ConditionOut(
                type=condition.type.value,
                status=condition.status.value,
                reason=condition.reason,
                message=condition.message,
                last_transition_time=condition.last_transition_time,
            )
        )
        key = _digest({k: data[k] for k in ("status", "reason", "last_transition_time")})
        at = conditions_module.as_utc(condition.last_transition_time)
        found.append(Change("condition", condition.type.value, key, data, at))
    return found


def operation_change(document: Document) -> Change:
    """An operation as a journal change: any change of what the API shows of it but its
    ``updated_at`` (state, block, fee, error)."""
    data = views.dump(views.operation_out(document))
    key = _digest({k: v for k, v in data.items() if k != "updated_at"})
    at = conditions_module.as_utc(document["updated_at"])
    return Change("operation", str(document["id"]), key, data, at)


def significant(entries: Sequence[Document]) -> list[Document]:
    """``entries`` (in ``seq`` order) without those repeating their subject's previous key."""
    last: dict[tuple[str, str], str] = {}
    kept = []
    for entry in entries:
        subject = (str(entry["kind"]), str(entry["subject"]))
        if last.get(subject) == entry["key"]:
            continue
        last[subject] = str(entry["key"])
        kept.append(entry)
    return kept


class Journal:
    """Reads and appends the journals of positions through ``store.transitions``."""

    def __init__(self, store: ApiStore) -> None:
        self._store = store
        self._locks: weakref.WeakValueDictionary[str, anyio.Lock] = weakref.WeakValueDictionary()

    async def entries(self, position_id: str, *, after_seq: int = 0) -> list[Document]:
        """The position's journal after ``after_seq``, in ``seq`` order, repeats included."""
        return await self._store.transitions.list(
            journal_id(position_id), after_seq=after_seq, limit=MAX_ENTRIES
        )

    async def record(self, position_id: str) -> list[Document]:
        """Append every change of the position's conditions and operations not yet in its
        journal (oldest first) and return the whole journal as stored now.

        One record at a time per position in this process, reading the position and its
        operations under that lock: a slower look never appends a state older than one
        another look appended (another replica still may; readers see it as a change)."""
        lock = self._locks.setdefault(position_id, anyio.Lock())
        async with lock:
            log = await self.entries(position_id)
            try:
                raw = await self._store.positions.get(position_id)
            except NotFoundError:
                return log
            position = Position.from_storage(raw)  # type: ignore[arg-type]
            last = {(str(e["kind"]), str(e["subject"])): e["key"] for e in significant(log)}
            page = await self._store.operations.find(
                {"position_ids": position_id}, sort=[("updated_at", -1)], limit=MAX_OPERATIONS
            )
            changes = [*condition_changes(position), *map(operation_change, page.items)]
            fresh = [c for c in changes if last.get((c.kind, c.subject)) != c.key]
            fresh.sort(key=lambda c: (c.at, c.kind, c.subject))
            for change in fresh:
                try:
                    await self._store.transitions.append(
                        journal_id(position_id), change.for_storage()
                    )
                except DuplicateKeyError:  # other replicas kept appending: the next look retries
                    break
            # Read again after appending: another replica may have taken a seq between ours.
            return await self.entries(position_id) if fresh else log


class Recorder:
    """Records the journal of every position that changed, pass after pass (the app's
    lifespan runs :meth:`run` in a task of its own)."""

    def __init__(self, store: ApiStore, journal: Journal, clock: Clock, interval_s: float) -> None:
        self._store = store
        self._journal = journal
        self._clock = clock
        self._interval_s = interval_s
        self._since = clock.now() - RECORDER_LOOKBACK

    async def run(self) -> None:
        while True:
            try:
                await self.record_changed()
            except StakingError as exc:  # the store is down: the next pass catches up
                _log.warning("watch journal pass failed", error=str(exc))
            await anyio.sleep(self._interval_s)

    async def record_changed(self) -> int:
        """One pass: record the positions changed since the previous pass (or named by an
        operation changed since); returns how many were looked at."""
        started = self._clock.now()
        since = {"updated_at": {"$gte": self._since}}
        position_ids: set[str] = set()
        for document in await self._all(self._store.positions, since):
            position_ids.add(str(document["id"]))
        for document in await self._all(self._store.operations, since):
            position_ids.update(str(p) for p in document.get("position_ids") or [])
        for position_id in sorted(position_ids):
            await self._journal.record(position_id)
        self._since = started - RECORDER_MARGIN
        return len(position_ids)

    @staticmethod
    async def _all(repository: Any, filter_: dict[str, Any]) -> list[Document]:
        found: list[Document] = []
        cursor = None
        while True:
            page = await repository.find(
                filter_, sort=[("updated_at", 1)], limit=PAGE, cursor=cursor
            )
            found.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return found
