"""A generic repository of versioned documents: insert, get, find with cursor pagination, and
compare-and-set updates on ``version``.

One instance per collection of records that change over time (positions, operations, rewards,
delegations, votes) is built by :class:`~tron_staking.store.client.MongoStore`. Documents are
plain mappings keyed by a string ``id`` (unique index); ``_id`` never leaves the store. A new
document gets ``version`` 1 and every successful update adds one, so two writers that read the
same version cannot both win.

Pagination is by key set: the listing is sorted by the given fields plus ``id`` as the final
tie-breaker, and the opaque cursor carries the sort values of the last item returned. Sort
fields must be present (and not null) in every document of the listing.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import bson.errors
import bson.json_util
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.errors import NotFoundError, ValidationError, VersionConflictError
from tron_staking.store import translate
from tron_staking.store.records import Document, Page

_NO_ID = {"_id": False}
_CURSOR_SCALARS = (str, int, float, dt.datetime)
_RESERVED = frozenset({"_id", "id", "version"})
_JSON_OPTIONS = bson.json_util.JSONOptions(
    json_mode=bson.json_util.JSONMode.CANONICAL, tz_aware=True, tzinfo=dt.UTC
)


def _value_at(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _normalize_sort(sort: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    spec = [(field, direction) for field, direction in sort]
    for field, direction in spec:
        if direction not in (1, -1):
            raise ValueError(f"sort direction of {field!r} must be 1 or -1, not {direction!r}")
    if all(field != "id" for field, _ in spec):
        spec.append(("id", 1))
    return spec


def encode_cursor(sort: Sequence[tuple[str, int]], values: Sequence[Any]) -> str:
    """The opaque cursor that resumes a listing sorted by ``sort`` after ``values``."""
    payload = bson.json_util.dumps(
        {"s": [list(pair) for pair in sort], "v": list(values)}, json_options=_JSON_OPTIONS
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sequence[tuple[str, int]]) -> list[Any]:
    """The sort values carried by ``cursor``; ValidationError(field="cursor") if not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = bson.json_util.loads(
            base64.urlsafe_b64decode(padded.encode()).decode(), json_options=_JSON_OPTIONS
        )
    except (ValueError, TypeError, KeyError, bson.errors.BSONError) as exc:
        # Anything a crafted cursor can make the extended-JSON decoder raise.
        raise ValidationError("malformed cursor", field="cursor") from exc
    if (
        not isinstance(payload, dict)
        or payload.get("s") != [list(pair) for pair in sort]
        or not isinstance(payload.get("v"), list)
        or len(payload["v"]) != len(sort)
    ):
        raise ValidationError("cursor does not belong to this listing", field="cursor")
    # Only plain scalars: a document or pattern would act as a query operator or regex.
    if not all(isinstance(value, _CURSOR_SCALARS) for value in payload["v"]):
        raise ValidationError("malformed cursor", field="cursor")
    values: list[Any] = payload["v"]
    return values


def _after(sort: Sequence[tuple[str, int]], values: Sequence[Any]) -> dict[str, Any]:
    """The filter selecting documents strictly after ``values`` in ``sort`` order."""
    branches: list[dict[str, Any]] = []
    for index, (field, direction) in enumerate(sort):
        branch: dict[str, Any] = {sort[i][0]: values[i] for i in range(index)}
        branch[field] = {"$gt" if direction == 1 else "$lt": values[index]}
        branches.append(branch)
    return {"$or": branches}


class VersionedRepository:
    """The Mongo implementation of :class:`~tron_staking.store.ports.VersionedStore`."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection
        self._name = collection.name

    async def insert(self, document: Mapping[str, Any]) -> Document:
        """Store a new document with ``version`` 1 and return it as stored.

        Raises DuplicateKeyError when the ``id`` (or another unique field) exists, and
        StoreUnavailableError when MongoDB cannot be reached.
        """
        if not isinstance(document.get("id"), str) or not document["id"]:
            raise ValueError("a document needs a non-empty string 'id'")
        stored = {key: value for key, value in document.items() if key != "_id"}
        stored["version"] = 1
        with translate.driver_errors(f"insert into {self._name}"):
            await self._collection.insert_one(dict(stored))
        return stored

    async def get(self, id_: str) -> Document:
        """The document with ``id_``; NotFoundError when there is none."""
        document = await self.find_one({"id": id_})
        if document is None:
            raise NotFoundError(f"{self._name}: no document with id {id_!r}")
        return document

    async def find_one(self, filter_: Mapping[str, Any]) -> Document | None:
        with translate.driver_errors(f"find in {self._name}"):
            return await self._collection.find_one(dict(filter_), _NO_ID)

    async def find(
        self,
        filter_: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] = (),
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        """One page of the documents matching ``filter_``, in ``sort`` order then by ``id``.

        Raises ValidationError(field="cursor") for a cursor that this listing did not issue.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        spec = _normalize_sort(sort)
        query: dict[str, Any] = dict(filter_ or {})
        if cursor is not None:
            query = {"$and": [query, _after(spec, decode_cursor(cursor, spec))]}
        with translate.driver_errors(f"find in {self._name}"):
            found = self._collection.find(query, _NO_ID).sort(spec).limit(limit + 1)
            documents = await found.to_list()
        if len(documents) <= limit:
            return Page(items=tuple(documents), next_cursor=None)
        last = documents[limit - 1]
        next_cursor = encode_cursor(spec, [_value_at(last, field) for field, _ in spec])
        return Page(items=tuple(documents[:limit]), next_cursor=next_cursor)

    async def count(self, filter_: Mapping[str, Any] | None = None) -> int:
        with translate.driver_errors(f"count in {self._name}"):
            return await self._collection.count_documents(dict(filter_ or {}))

    async def update(self, id_: str, expected_version: int, changes: Mapping[str, Any]) -> Document:
        """Set ``changes`` (``$set`` semantics, dotted paths allowed) if the stored version is
        still ``expected_version``; return the document as now stored (version + 1).

        Raises VersionConflictError when someone else updated it first (re-read and decide
        again), NotFoundError when it does not exist.
        """
        reserved = _RESERVED.intersection(changes)
        if reserved:
            raise ValueError(f"update must not change {sorted(reserved)}")
        with translate.driver_errors(f"update {self._name}"):
            updated = await self._collection.find_one_and_update(
                {"id": id_, "version": expected_version},
                {"$set": dict(changes), "$inc": {"version": 1}}
                if changes
                else {"$inc": {"version": 1}},
                projection=_NO_ID,
                return_document=ReturnDocument.AFTER,
            )
        if updated is None:
            raise await self._miss(id_, expected_version)
        result: Document = updated
        return result

    async def replace(
        self, id_: str, expected_version: int, document: Mapping[str, Any]
    ) -> Document:
        """Replace the whole document if the stored version is still ``expected_version``.

        ``document`` keeps ``id_``; its ``version`` is set to ``expected_version + 1``. Raises
        like :meth:`update`.
        """
        if document.get("id", id_) != id_:
            raise ValueError(f"replace must keep id {id_!r}")
        stored = {key: value for key, value in document.items() if key != "_id"}
        stored["id"] = id_
        stored["version"] = expected_version + 1
        with translate.driver_errors(f"replace in {self._name}"):
            replaced = await self._collection.find_one_and_replace(
                {"id": id_, "version": expected_version},
                dict(stored),
                projection=_NO_ID,
                return_document=ReturnDocument.AFTER,
            )
        if replaced is None:
            raise await self._miss(id_, expected_version)
        return stored

    async def _miss(self, id_: str, expected_version: int) -> NotFoundError | VersionConflictError:
        """Why a compare-and-set matched nothing: absent, or another version is stored."""
        current = await self.find_one({"id": id_})
        if current is None:
            return NotFoundError(f"{self._name}: no document with id {id_!r}")
        return VersionConflictError(
            f"{self._name}: {id_!r} is at version {current.get('version')}, not {expected_version}"
        )
