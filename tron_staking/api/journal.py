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
Several recorders (streams, replicas) may append the same change twice, and a slower replica
may append a state older than one another appended: :class:`Fold` (and :func:`significant`)
drops an entry whose key equals its subject's last kept entry or which is older than it (an
earlier operation ``version``, an earlier ``at``), so readers never see either. A recorder skips
such changes too, and compares with the subject's last kept entry however long the journal
is: reads page through the whole journal (no cap), and each process keeps the fold of the
journals it recorded (:data:`MAX_FOLDS` at most), reading only the entries added since.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
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
ENTRIES_PAGE = 500
"""Journal entries read per round trip (a read pages on until the end)."""
MAX_FOLDS = 10_000
"""Journals whose fold a :class:`Journal` keeps (least recently recorded dropped first)."""
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
    version: int | None = None
    """The operation document's ``version`` (None for a condition)."""

    def for_storage(self) -> dict[str, Any]:
        stored = {
            "kind": self.kind,
            "subject": self.subject,
            "key": self.key,
            "data": self.data,
            "at": self.at,
        }
        if self.version is not None:
            stored["version"] = self.version
        return stored


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
    version = document.get("version")
    return Change(
        "operation",
        str(document["id"]),
        key,
        data,
        at,
        version if isinstance(version, int) and not isinstance(version, bool) else None,
    )


def _older(version: object, at: object, last: Document) -> bool:
    """Whether a state of a subject (its operation ``version``, its ``at``) is earlier than
    ``last``, the subject's last kept entry: an earlier ``version`` or, without versions to
    compare, an earlier ``at``."""
    last_version = last.get("version")
    if isinstance(version, int) and isinstance(last_version, int):
        return version < last_version
    last_at = last.get("at")
    if isinstance(at, dt.datetime) and isinstance(last_at, dt.datetime):
        return conditions_module.as_utc(at) < conditions_module.as_utc(last_at)
    return False


@dataclasses.dataclass
class Fold:
    """A journal read up to ``seq``: the ``key``, ``at`` and ``version`` of each subject's
    last kept entry."""

    seq: int = 0
    last: dict[tuple[str, str], Document] = dataclasses.field(default_factory=dict)

    def add(self, entries: Iterable[Document]) -> list[Document]:
        """Fold ``entries`` (in ``seq`` order, after ``seq``) in; returns those kept: not
        repeating their subject's last kept key and not older than that entry."""
        kept = []
        for entry in entries:
            self.seq = max(self.seq, int(entry["seq"]))
            subject = (str(entry["kind"]), str(entry["subject"]))
            previous = self.last.get(subject)
            if previous is not None and (
                previous["key"] == entry["key"]
                or _older(entry.get("version"), entry.get("at"), previous)
            ):
                continue
            self.last[subject] = {k: entry.get(k) for k in ("key", "at", "version")}
            kept.append(entry)
        return kept

    def is_new(self, change: Change) -> bool:
        """Whether ``change`` is neither its subject's last kept state nor older than it."""
        previous = self.last.get((change.kind, change.subject))
        if previous is None:
            return True
        return previous["key"] != change.key and not _older(change.version, change.at, previous)


def significant(entries: Sequence[Document]) -> list[Document]:
    """``entries`` (in ``seq`` order) without those repeating their subject's previous key or
    older than its previous kept entry (see :class:`Fold`)."""
    return Fold().add(entries)


class Journal:
    """Reads and appends the journals of positions through ``store.transitions``."""

    def __init__(self, store: ApiStore) -> None:
        self._store = store
        self._locks: weakref.WeakValueDictionary[str, anyio.Lock] = weakref.WeakValueDictionary()
        self._folds: OrderedDict[str, Fold] = OrderedDict()

    async def entries(self, position_id: str, *, after_seq: int = 0) -> list[Document]:
        """The position's whole journal after ``after_seq``, in ``seq`` order, repeats
        included (paged: no cap)."""
        found: list[Document] = []
        while True:
            page = await self._store.transitions.list(
                journal_id(position_id), after_seq=after_seq, limit=ENTRIES_PAGE
            )
            found.extend(page)
            if len(page) < ENTRIES_PAGE:
                return found
            after_seq = int(page[-1]["seq"])

    async def read(self, position_id: str, fold: Fold) -> list[Document]:
        """The kept entries of the position's journal after ``fold.seq`` (see :class:`Fold`),
        folded into ``fold``: a reader keeps its fold and reads only what was added since."""
        return fold.add(await self.entries(position_id, after_seq=fold.seq))

    async def record(self, position_id: str) -> None:
        """Append every change of the position's conditions and operations that is newer than
        its subject's last kept journal entry (oldest first).

        One record at a time per position in this process, reading the position and its
        operations under that lock and the journal again just before appending: a change
        older than what any look (of this or another replica) appended is skipped, and
        readers drop one appended all the same (see :class:`Fold`)."""
        lock = self._locks.setdefault(position_id, anyio.Lock())
        async with lock:
            fold = self._folds.pop(position_id, None) or Fold()
            self._folds[position_id] = fold
            while len(self._folds) > MAX_FOLDS:
                self._folds.popitem(last=False)
            try:
                raw = await self._store.positions.get(position_id)
            except NotFoundError:
                return
            position = Position.from_storage(raw)  # type: ignore[arg-type]
            page = await self._store.operations.find(
                {"position_ids": position_id}, sort=[("updated_at", -1)], limit=MAX_OPERATIONS
            )
            changes = [*condition_changes(position), *map(operation_change, page.items)]
            await self.read(position_id, fold)
            fresh = [c for c in changes if fold.is_new(c)]
            fresh.sort(key=lambda c: (c.at, c.kind, c.subject))
            for change in fresh:
                try:
                    await self._store.transitions.append(
                        journal_id(position_id), change.for_storage()
                    )
                except DuplicateKeyError:  # other replicas kept appending: the next look retries
                    break


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
