"""A generic repository of versioned documents: insert, get, find with cursor pagination, and
compare-and-set updates on ``version``.

One instance per collection of records that change over time (positions, operations, rewards,
delegations, votes) is built by :class:`~tron_staking.store.client.MongoStore`. Documents are
plain mappings keyed by a string ``id`` (unique index); ``_id`` never leaves the store. A new
document gets ``version`` 1 and every successful update adds one, so two writers that read the
same version cannot both win.

Writes made under an owner's lease pass ``lease=``: they run fenced by it (see
:mod:`~tron_staking.store.fencing`), so a replica that lost the lease writes nothing, and the
document records the lease's token in ``fencing_token``. Writes without a lease (the API's
spec edits) are not fenced and leave ``fencing_token`` as it is.

Pagination is by key set: the listing is sorted by the given fields plus ``id`` as the final
tie-breaker, and the opaque cursor carries the sort values of the last item returned. Sort
fields must be present (and not null) in every document of the listing. The next page is
asked for with a plain range on the first sort field (which the sort's index serves) and the
ties with the cursor on that field are skipped here.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import bson.errors
import bson.json_util
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from tron_staking.errors import (
    LeaseLostError,
    NotFoundError,
    ValidationError,
    VersionConflictError,
)
from tron_staking.store import fencing, translate
from tron_staking.store.fencing import FENCING_TOKEN, LeaseFence
from tron_staking.store.records import Document, Lease, Page

_NO_ID = {"_id": False}
_CURSOR_SCALARS = (str, int, float, dt.datetime)
_TIE_ALLOWANCE = 32
"""Documents asked for beyond a page, for those tied with the cursor on the first sort field."""
_RESERVED = frozenset({"_id", "id", "version", FENCING_TOKEN})
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


def _from(
    query: dict[str, Any], sort: Sequence[tuple[str, int]], values: Sequence[Any]
) -> dict[str, Any]:
    """``query`` narrowed to the documents at or after ``values`` in the first sort field: a
    plain range on that field (merged into the query's own condition on it), which a query
    planner serves from the sort's index, where an ``$or`` over the sort fields would make
    some servers scan the collection. The ties on that field up to ``values`` are skipped by
    :func:`_is_after` on the way back."""
    field, direction = sort[0]
    bound = {"$gte" if direction == 1 else "$lte": values[0]}
    current = query.get(field)
    if current is None:
        return {**query, field: bound}
    if (
        isinstance(current, Mapping)
        and all(str(op).startswith("$") for op in current)
        and not set(bound) & set(current)
    ):
        return {**query, field: {**current, **bound}}
    return {"$and": [query, {field: bound}]}


def _is_after(
    document: Mapping[str, Any], sort: Sequence[tuple[str, int]], values: Sequence[Any]
) -> bool:
    """Whether ``document`` comes strictly after ``values`` in ``sort`` order."""
    for (field, direction), value in zip(sort, values, strict=True):
        mine = _value_at(document, field)
        if mine == value:
            continue
        try:
            return bool(mine > value) if direction == 1 else bool(mine < value)
        except TypeError:
            return True  # another BSON type: the server ordered it after the tie already
    return False


def stamped(document: Mapping[str, Any], lease: Lease | None) -> Document:
    """``document`` without ``_id``; written under ``lease``, its ``fencing_token`` is the
    lease's (whatever token the caller's copy carried)."""
    stored = {key: value for key, value in document.items() if key != "_id"}
    if lease is not None:
        stored[FENCING_TOKEN] = lease.token
    return stored


class VersionedRepository:
    """The Mongo implementation of :class:`~tron_staking.store.ports.VersionedStore`."""

    def __init__(
        self, collection: AsyncCollection[Document], fence: LeaseFence | None = None
    ) -> None:
        self._collection = collection
        self._name = collection.name
        self._fence = fence

    async def insert(self, document: Mapping[str, Any], *, lease: Lease | None = None) -> Document:
        """Store a new document with ``version`` 1 and return it as stored.

        With ``lease``, the insert happens only while the lease holds and the document gets
        its ``fencing_token``. Raises DuplicateKeyError when the ``id`` (or another unique
        field) exists, LeaseLostError when ``lease`` no longer holds, and
        StoreUnavailableError when MongoDB cannot be reached.
        """
        if not isinstance(document.get("id"), str) or not document["id"]:
            raise ValueError("a document needs a non-empty string 'id'")
        stored = stamped(document, lease)
        stored["version"] = 1

        async def statement(session: AsyncClientSession | None) -> None:
            await self._collection.insert_one(dict(stored), session=session)

        await fencing.write(self._fence, lease, f"insert into {self._name}", statement)
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
        fields: Sequence[str] | None = None,
    ) -> Page:
        """One page of the documents matching ``filter_``, in ``sort`` order then by ``id``.

        With ``fields``, each document carries only those fields (and the sort fields and
        ``id``, which the cursor needs): the server sends no more than the caller reads.
        Raises ValidationError(field="cursor") for a cursor that this listing did not issue.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        spec = _normalize_sort(sort)
        query: dict[str, Any] = dict(filter_ or {})
        after: list[Any] | None = None
        if cursor is not None:
            after = decode_cursor(cursor, spec)
            query = _from(query, spec, after)
        projection: dict[str, bool] = dict(_NO_ID)
        if fields is not None:
            projection.update((field, True) for field in (*fields, *(f for f, _ in spec)))
        wanted = limit + 1
        asked = wanted + (_TIE_ALLOWANCE if after is not None else 0)
        while True:
            with translate.driver_errors(f"find in {self._name}"):
                found = (
                    await self._collection.find(query, projection).sort(spec).limit(asked).to_list()
                )
            documents = found
            if after is not None:
                skip = 0
                while skip < len(found) and not _is_after(found[skip], spec, after):
                    skip += 1
                documents = found[skip:]
            if len(documents) >= wanted or len(found) < asked:
                break
            asked *= 2  # more ties with the cursor's first sort value than allowed for
        if len(documents) <= limit:
            return Page(items=tuple(documents), next_cursor=None)
        last = documents[limit - 1]
        next_cursor = encode_cursor(spec, [_value_at(last, field) for field, _ in spec])
        return Page(items=tuple(documents[:limit]), next_cursor=next_cursor)

    async def distinct(self, field: str, filter_: Mapping[str, Any] | None = None) -> list[Any]:
        """The distinct values of ``field`` among the documents matching ``filter_``, in one
        round trip (no document is sent back)."""
        with translate.driver_errors(f"distinct in {self._name}"):
            return list(await self._collection.distinct(field, dict(filter_ or {})))

    async def count(self, filter_: Mapping[str, Any] | None = None) -> int:
        with translate.driver_errors(f"count in {self._name}"):
            return await self._collection.count_documents(dict(filter_ or {}))

    async def update(
        self,
        id_: str,
        expected_version: int,
        changes: Mapping[str, Any],
        *,
        lease: Lease | None = None,
    ) -> Document:
        """Set ``changes`` (``$set`` semantics, dotted paths allowed) if the stored version is
        still ``expected_version``; return the document as now stored (version + 1).

        With ``lease``, the update happens only while the lease holds and only if no newer
        lease wrote the document; it sets the lease's ``fencing_token``. Raises
        VersionConflictError when someone else updated it first (re-read and decide again),
        LeaseLostError when ``lease`` no longer holds or a newer lease wrote the document
        (stop working on the owner), NotFoundError when it does not exist.
        """
        reserved = _RESERVED.intersection(changes)
        if reserved:
            raise ValueError(f"update must not change {sorted(reserved)}")
        filter_: dict[str, Any] = {"id": id_, "version": expected_version}
        to_set = dict(changes)
        if lease is not None:
            filter_.update(fencing.token_filter(lease))
            to_set[FENCING_TOKEN] = lease.token
        update: dict[str, Any] = {"$inc": {"version": 1}}
        if to_set:
            update["$set"] = to_set

        async def statement(session: AsyncClientSession | None) -> Document | None:
            return await self._collection.find_one_and_update(
                filter_,
                update,
                projection=_NO_ID,
                return_document=ReturnDocument.AFTER,
                session=session,
            )

        updated = await fencing.write(self._fence, lease, f"update {self._name}", statement)
        if updated is None:
            raise await self.miss(id_, expected_version, lease)
        return updated

    async def replace(
        self,
        id_: str,
        expected_version: int,
        document: Mapping[str, Any],
        *,
        lease: Lease | None = None,
    ) -> Document:
        """Replace the whole document if the stored version is still ``expected_version``.

        ``document`` keeps ``id_``; its ``version`` is set to ``expected_version + 1``. Without
        a lease the stored ``fencing_token`` becomes whatever ``document`` carries (keep the
        one read). With ``lease`` it is fenced and stamped like :meth:`update`, and raises
        like it.
        """
        if document.get("id", id_) != id_:
            raise ValueError(f"replace must keep id {id_!r}")
        stored = stamped(document, lease)
        stored["id"] = id_
        stored["version"] = expected_version + 1
        filter_: dict[str, Any] = {"id": id_, "version": expected_version}
        if lease is not None:
            filter_.update(fencing.token_filter(lease))

        async def statement(session: AsyncClientSession | None) -> Document | None:
            return await self._collection.find_one_and_replace(
                filter_,
                dict(stored),
                projection=_NO_ID,
                return_document=ReturnDocument.AFTER,
                session=session,
            )

        replaced = await fencing.write(self._fence, lease, f"replace in {self._name}", statement)
        if replaced is None:
            raise await self.miss(id_, expected_version, lease)
        return stored

    async def miss(
        self, id_: str, expected_version: int, lease: Lease | None
    ) -> NotFoundError | VersionConflictError | LeaseLostError:
        """Why a compare-and-set matched nothing: absent, another version, a newer lease."""
        current = await self.find_one({"id": id_})
        if current is None:
            return NotFoundError(f"{self._name}: no document with id {id_!r}")
        token = current.get(FENCING_TOKEN)
        if lease is not None and isinstance(token, int) and token > lease.token:
            return LeaseLostError(
                f"{self._name}: {id_!r} was written under a newer lease (token {token}) than "
                f"ours ({lease.token})"
            )
        return VersionConflictError(
            f"{self._name}: {id_!r} is at version {current.get('version')}, not {expected_version}"
        )
