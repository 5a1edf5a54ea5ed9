"""Every MongoDB index of tron-staking, and :func:`ensure_indexes` that creates them.

``tron-staking migrate`` and the service's start-up call :func:`ensure_indexes`; it is
idempotent (existing indexes are left alone) and safe to run from several replicas at once.
An index that exists under one of our names with other options is reported, never dropped:
an operator decides.

The unique indexes carry invariants the code relies on: ``id`` per collection, one lease
document per owner (fencing tokens only grow), one transition per (position, seq), one key per
address, one idempotency record per (key, subject), at most one operation per ``txid``
(operations without a txid yet — missing or null — are not indexed), and at most one
non-final operation per ``intent_key`` (the store's guard against a second transaction for
one intent; final operations are not indexed, so a proven-expired intent can be retried).
Operations whose effect is pending (``effect_pending``) are indexed by owner apart, so the
controller loads them at any age without scanning an owner's whole history.

Every listing of positions (sorted by ``created_at`` then ``id``) has an index that serves its
sort: by owner, by state, or none (the other filters — resource, labels — are applied along
the ``created_at`` order). A position's operations (its ``transactions`` in a response) are
found by ``position_ids``, oldest first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from tron_staking.domain.enums import OperationState
from tron_staking.errors import PermanentError
from tron_staking.store import idempotency, names, translate
from tron_staking.store.records import Document


@dataclasses.dataclass(frozen=True)
class IndexSpec:
    """One index: its name, its key ((field, 1 | -1) pairs) and its options."""

    name: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    expire_after_s: int | None = None
    partial_filter: Mapping[str, Any] | None = None

    def model(self) -> IndexModel:
        options: dict[str, Any] = {"name": self.name}
        if self.unique:
            options["unique"] = True
        if self.expire_after_s is not None:
            options["expireAfterSeconds"] = self.expire_after_s
        if self.partial_filter is not None:
            options["partialFilterExpression"] = dict(self.partial_filter)
        return IndexModel(list(self.keys), **options)

    def differences(self, existing: Mapping[str, Any]) -> list[str]:
        """How the index ``existing`` (from ``index_information()``) differs from this spec."""
        found: list[str] = []
        if _key(existing.get("key", [])) != _key(self.keys):
            found.append(f"key {existing.get('key')}")
        if bool(existing.get("unique", False)) != self.unique:
            found.append(f"unique={bool(existing.get('unique', False))}")
        if existing.get("expireAfterSeconds") != self.expire_after_s:
            found.append(f"expireAfterSeconds={existing.get('expireAfterSeconds')}")
        if _plain(existing.get("partialFilterExpression")) != _plain(self.partial_filter):
            found.append(f"partialFilterExpression={existing.get('partialFilterExpression')}")
        return found


def _key(pairs: Any) -> list[tuple[str, Any]]:
    """Key pairs in one form: MongoDB may report a direction as 1 or 1.0."""
    return [
        (str(field), int(direction) if isinstance(direction, int | float) else direction)
        for field, direction in pairs
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


_IN_FLIGHT_STATES = [state.value for state in OperationState if not state.final]


def _unique_id() -> IndexSpec:
    return IndexSpec("id_unique", (("id", 1),), unique=True)


INDEXES: Mapping[str, tuple[IndexSpec, ...]] = {
    names.STAKING_RECORDS: (
        _unique_id(),
        IndexSpec("owner_state", (("owner", 1), ("state", 1))),
        # The due poller's order (an older ``next_reconcile_at`` index, if present, is unused).
        IndexSpec("next_reconcile_at_id", (("next_reconcile_at", 1), ("id", 1))),
        IndexSpec("owner_created_at", (("owner", 1), ("created_at", 1), ("id", 1))),
        IndexSpec("state_created_at", (("state", 1), ("created_at", 1), ("id", 1))),
        IndexSpec("created_at", (("created_at", 1), ("id", 1))),
        # Labels are a free-form map filtered as labels.<key> = <value>.
        IndexSpec("labels", (("labels.$**", 1),)),
    ),
    names.STAKING_REWARDS: (
        _unique_id(),
        IndexSpec("owner", (("owner", 1),)),
    ),
    names.RESOURCE_DELEGATIONS: (
        _unique_id(),
        IndexSpec("owner", (("owner", 1),)),
        IndexSpec("receiver", (("receiver", 1),)),
    ),
    names.VOTING_HISTORY: (
        _unique_id(),
        IndexSpec("owner", (("owner", 1),)),
    ),
    names.STAKING_OPERATIONS: (
        _unique_id(),
        IndexSpec(
            "txid_unique",
            (("txid", 1),),
            unique=True,
            partial_filter={"txid": {"$type": "string"}},
        ),
        IndexSpec(
            "intent_in_flight_unique",
            (("intent_key", 1),),
            unique=True,
            partial_filter={"state": {"$in": _IN_FLIGHT_STATES}},
        ),
        IndexSpec("owner_state", (("owner", 1), ("state", 1))),
        IndexSpec("position_ids_created_at", (("position_ids", 1), ("created_at", 1))),
        # The operations whose effect is not yet recorded on their positions, at any age.
        IndexSpec(
            "owner_effect_pending",
            (("owner", 1), ("created_at", 1)),
            partial_filter={"effect_pending": True},
        ),
    ),
    names.STATE_TRANSITIONS: (
        IndexSpec("position_seq_unique", (("position_id", 1), ("seq", 1)), unique=True),
    ),
    names.CONTROLLER_LEASES: (
        IndexSpec("owner_unique", (("owner", 1),), unique=True),
        IndexSpec("holder", (("holder", 1),)),
    ),
    names.SIGNING_KEYS: (IndexSpec("address_unique", (("address", 1),), unique=True),),
    names.IDEMPOTENCY_KEYS: (
        IndexSpec("key_subject_unique", (("key", 1), ("subject", 1)), unique=True),
        IndexSpec("created_at_ttl", (("created_at", 1),), expire_after_s=idempotency.RETENTION_S),
    ),
}


@dataclasses.dataclass(frozen=True)
class IndexReport:
    """What :func:`ensure_indexes` did with one index."""

    collection: str
    index: str
    action: Literal["created", "present"]


async def ensure_indexes(database: AsyncDatabase[Document]) -> list[IndexReport]:
    """Create every missing index of :data:`INDEXES`; report each one as created or present.

    Raises PermanentError when an index exists under one of our names with other options
    (drop it and run again), StoreUnavailableError when MongoDB cannot be reached.
    """
    reports: list[IndexReport] = []
    for collection_name, specs in INDEXES.items():
        collection = database[collection_name]
        with translate.driver_errors(f"list indexes of {collection_name}"):
            existing = await collection.index_information()
        missing: list[IndexSpec] = []
        for spec in specs:
            if spec.name not in existing:
                missing.append(spec)
                continue
            differences = spec.differences(existing[spec.name])
            if differences:
                raise PermanentError(
                    f"index {spec.name} of {collection_name} exists with other options "
                    f"({', '.join(differences)}); drop it and run migrate again"
                )
            reports.append(IndexReport(collection_name, spec.name, "present"))
        if missing:
            with translate.driver_errors(f"create indexes of {collection_name}"):
                await collection.create_indexes([spec.model() for spec in missing])
            reports.extend(IndexReport(collection_name, spec.name, "created") for spec in missing)
    return reports
