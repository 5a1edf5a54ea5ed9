"""The devnet's world state: records, layered tables and their snapshot encoding.

State is a set of named tables (``TABLES``). A ``Tables`` value is one layer: a dict per
table. The chain keeps the head state and the solid state as full layers and puts overlays
on top: the pending pool (what successful broadcasts changed since the head block), and a
throw-away layer per transaction so a failure rolls everything back. A block's diff is the
pending overlay; it is merged into the head state at once and into the solid state when the
block becomes solid.

Records are shared between layers, so they are never mutated once a layer below the top
holds them: writers go through ``Store.account_for_write`` (and friends), which copies the
record into the top layer first. ``DELETED`` marks a key removed by an overlay.

Tables and keys:
  accounts   address -> Account
  dr         (from, to, locked) -> DelegatedResource  (java-tron's DelegatedResourceStore V2)
  dr_to      address -> {receiver: timestamp}  whom the address delegated to (V2 index)
  dr_from    address -> {delegator: timestamp} who delegated to the address
  witnesses  address -> Witness
  votes      address -> VotesRecord              (pending vote changes, tallied at maintenance)
  deleg      tuple key -> int | votes tuple      (java-tron's DelegationStore, see rewards.py)
  dyn        name -> int | tuple                 (dynamic properties)
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, Final

from tron_devnet.types import ResourceCode

Votes = tuple[tuple[bytes, int], ...]  # (witness address, vote count in TRX), in cast order


@dataclass(frozen=True, slots=True)
class UnfreezeEntry:
    resource: int
    amount: int
    expire_time_ms: int


@dataclass(slots=True)
class Account:
    """``protocol.Account`` for the fields the devnet models (Stake 2.0, votes, resources).

    Resource "latest consume" times are slot numbers, as in java-tron.
    """

    address: bytes
    type: int = 0  # 0 Normal, 1 AssetIssue, 2 Contract
    balance: int = 0
    create_time: int = 0
    latest_operation_time: int = 0
    allowance: int = 0
    latest_withdraw_time: int = 0
    is_witness: bool = False
    votes: Votes = ()
    net_usage: int = 0
    latest_consume_time: int = 0
    free_net_usage: int = 0
    latest_consume_free_time: int = 0
    net_window_size: int = 0
    net_window_optimized: bool = False
    energy_usage: int = 0
    latest_consume_time_for_energy: int = 0
    energy_window_size: int = 0
    energy_window_optimized: bool = False
    frozen_bandwidth: int = 0
    frozen_energy: int = 0
    frozen_tron_power: int = 0
    unfrozen: tuple[UnfreezeEntry, ...] = ()
    delegated_bandwidth: int = 0
    acquired_bandwidth: int = 0
    delegated_energy: int = 0
    acquired_energy: int = 0

    def clone(self) -> Account:
        return copy.copy(self)

    def frozen(self, resource: int) -> int:
        if resource == ResourceCode.BANDWIDTH:
            return self.frozen_bandwidth
        if resource == ResourceCode.ENERGY:
            return self.frozen_energy
        return self.frozen_tron_power

    def add_frozen(self, resource: int, amount: int) -> None:
        if resource == ResourceCode.BANDWIDTH:
            self.frozen_bandwidth += amount
        elif resource == ResourceCode.ENERGY:
            self.frozen_energy += amount
        else:
            self.frozen_tron_power += amount

    def delegated(self, resource: int) -> int:
        return (
            self.delegated_bandwidth
            if resource == ResourceCode.BANDWIDTH
            else (self.delegated_energy)
        )

    def frozen_with_delegated(self, resource: int) -> int:
        """``getFrozenV2BalanceWithDelegated``: what counts toward the total weight."""
        return self.frozen(resource) + self.delegated(resource)

    def tron_power(self) -> int:
        """``AccountCapsule.getTronPower`` (sun): staked BANDWIDTH/ENERGY incl. delegated-out."""
        return (
            self.frozen_bandwidth
            + self.frozen_energy
            + self.delegated_bandwidth
            + self.delegated_energy
        )

    def all_tron_power(self, new_resource_model: bool) -> int:
        """``getAllTronPower`` (model on) or ``getTronPower`` (model off), in sun."""
        if new_resource_model:
            return self.tron_power() + self.frozen_tron_power
        return self.tron_power()

    def vote_total(self) -> int:
        return sum(count for _, count in self.votes)

    def unfreezing_count(self, now_ms: int) -> int:
        return sum(1 for entry in self.unfrozen if entry.expire_time_ms > now_ms)


@dataclass(slots=True)
class DelegatedResource:
    from_address: bytes
    to_address: bytes
    frozen_bandwidth: int = 0
    frozen_energy: int = 0
    expire_bandwidth: int = 0
    expire_energy: int = 0

    def clone(self) -> DelegatedResource:
        return copy.copy(self)

    def frozen(self, resource: int) -> int:
        return self.frozen_bandwidth if resource == ResourceCode.BANDWIDTH else self.frozen_energy

    def expire(self, resource: int) -> int:
        return self.expire_bandwidth if resource == ResourceCode.BANDWIDTH else self.expire_energy

    def add(self, resource: int, amount: int, expire_ms: int) -> None:
        """``addFrozenBalanceFor…(amount, expireTime)``: adds and overwrites the expiry."""
        if resource == ResourceCode.BANDWIDTH:
            self.frozen_bandwidth += amount
            self.expire_bandwidth = expire_ms
        else:
            self.frozen_energy += amount
            self.expire_energy = expire_ms

    def is_empty(self) -> bool:
        return self.frozen_bandwidth == 0 and self.frozen_energy == 0


@dataclass(slots=True)
class Witness:
    address: bytes
    url: str = ""
    vote_count: int = 0
    total_produced: int = 0
    total_missed: int = 0
    latest_block_num: int = 0
    latest_slot_num: int = 0
    is_jobs: bool = False

    def clone(self) -> Witness:
        return copy.copy(self)


@dataclass(frozen=True, slots=True)
class VotesRecord:
    """``VotesCapsule``: the votes in force at the last maintenance and the latest ones."""

    old_votes: Votes
    new_votes: Votes


class _Deleted:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DELETED"


DELETED: Final = _Deleted()
TABLES: tuple[str, ...] = (
    "accounts",
    "dr",
    "dr_to",
    "dr_from",
    "witnesses",
    "votes",
    "deleg",
    "dyn",
)
Tables = dict[str, dict[Any, Any]]
_MISSING: Final = object()


def new_tables() -> Tables:
    return {name: {} for name in TABLES}


def copy_tables(tables: Tables) -> Tables:
    """A shallow copy (records are shared, which is safe: they are copied on write)."""
    return {name: dict(table) for name, table in tables.items()}


def merge_into(target: Tables, overlay: Tables) -> None:
    """Put ``overlay``'s entries into the overlay ``target`` (tombstones kept)."""
    for name, table in overlay.items():
        if table:
            target[name].update(table)


def apply_to_base(base: Tables, overlay: Tables) -> None:
    """Apply ``overlay`` to a full state: entries replace, tombstones remove."""
    for name, table in overlay.items():
        base_table = base[name]
        for key, value in table.items():
            if value is DELETED:
                base_table.pop(key, None)
            else:
                base_table[key] = value


class Store:
    """A read-through stack of layers; writes go to the top (first) layer."""

    __slots__ = ("_layers", "top")

    def __init__(self, *layers: Tables) -> None:
        self._layers = layers
        self.top = layers[0]

    def child(self) -> tuple[Store, Tables]:
        """A new store with a fresh empty top layer above this one's layers."""
        layer = new_tables()
        return Store(layer, *self._layers), layer

    # ---- generic access ----

    def get(self, table: str, key: Any) -> Any:
        for layer in self._layers:
            value = layer[table].get(key, _MISSING)
            if value is not _MISSING:
                return None if value is DELETED else value
        return None

    def put(self, table: str, key: Any, value: Any) -> None:
        self.top[table][key] = value

    def delete(self, table: str, key: Any) -> None:
        self.top[table][key] = DELETED

    def items(self, table: str) -> Iterator[tuple[Any, Any]]:
        """Every live entry of ``table`` (merged through the layers, unordered)."""
        if len(self._layers) == 1:
            yield from list(self._layers[0][table].items())
            return
        merged: dict[Any, Any] = {}
        for layer in reversed(self._layers):
            merged.update(layer[table])
        for key, value in merged.items():
            if value is not DELETED:
                yield key, value

    def _for_write(self, table: str, key: Any) -> Any:
        own = self.top[table].get(key, _MISSING)
        if own is not _MISSING:
            return None if own is DELETED else own
        value = self.get(table, key)
        if value is None:
            return None
        value = value.clone()
        self.top[table][key] = value
        return value

    # ---- typed access ----

    def account(self, address: bytes) -> Account | None:
        result: Account | None = self.get("accounts", address)
        return result

    def account_for_write(self, address: bytes) -> Account | None:
        """The account, copied into the top layer so it may be mutated in place."""
        result: Account | None = self._for_write("accounts", address)
        return result

    def put_account(self, account: Account) -> None:
        self.top["accounts"][account.address] = account

    def witness(self, address: bytes) -> Witness | None:
        result: Witness | None = self.get("witnesses", address)
        return result

    def witness_for_write(self, address: bytes) -> Witness | None:
        result: Witness | None = self._for_write("witnesses", address)
        return result

    def delegated_resource(
        self, owner: bytes, receiver: bytes, locked: bool
    ) -> DelegatedResource | None:
        result: DelegatedResource | None = self.get("dr", (owner, receiver, locked))
        return result

    def delegated_resource_for_write(
        self, owner: bytes, receiver: bytes, locked: bool
    ) -> DelegatedResource:
        """The record, copied into the top layer; a new empty one if it does not exist."""
        key = (owner, receiver, locked)
        record: DelegatedResource | None = self._for_write("dr", key)
        if record is None:
            record = DelegatedResource(owner, receiver)
            self.top["dr"][key] = record
        return record

    def dyn(self, name: str, default: int = 0) -> int:
        value = self.get("dyn", name)
        return default if value is None else int(value)

    def set_dyn(self, name: str, value: int) -> None:
        self.top["dyn"][name] = value

    def add_dyn(self, name: str, delta: int) -> None:
        self.top["dyn"][name] = self.dyn(name) + delta

    def deleg(self, key: tuple[Any, ...], default: Any) -> Any:
        value = self.get("deleg", key)
        return default if value is None else value


# ---------------------------------------------------------------------------------------
# Snapshot encoding (``Chain.to_snapshot``): JSON-safe values, bytes as hex strings.


def _encode_record(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in fields(record):
        value = getattr(record, spec.name)
        if isinstance(value, bytes):
            value = value.hex()
        elif spec.name == "votes":
            value = [[address.hex(), count] for address, count in value]
        elif spec.name == "unfrozen":
            value = [[e.resource, e.amount, e.expire_time_ms] for e in value]
        out[spec.name] = value
    return out


def _decode_votes(raw: list[list[Any]]) -> Votes:
    return tuple((bytes.fromhex(address), int(count)) for address, count in raw)


def _decode_account(raw: dict[str, Any]) -> Account:
    values = dict(raw)
    values["address"] = bytes.fromhex(values["address"])
    values["votes"] = _decode_votes(values["votes"])
    values["unfrozen"] = tuple(UnfreezeEntry(*entry) for entry in values["unfrozen"])
    return Account(**values)


def _decode_dr(raw: dict[str, Any]) -> DelegatedResource:
    values = dict(raw)
    values["from_address"] = bytes.fromhex(values["from_address"])
    values["to_address"] = bytes.fromhex(values["to_address"])
    return DelegatedResource(**values)


def _decode_witness(raw: dict[str, Any]) -> Witness:
    values = dict(raw)
    values["address"] = bytes.fromhex(values["address"])
    return Witness(**values)


def _encode_key(key: Any) -> Any:
    if isinstance(key, bytes):
        return {"b": key.hex()}
    if isinstance(key, tuple):
        return [_encode_key(part) for part in key]
    return key


def _decode_key(raw: Any) -> Any:
    if isinstance(raw, dict):
        return bytes.fromhex(raw["b"])
    if isinstance(raw, list):
        return tuple(_decode_key(part) for part in raw)
    return raw


def _encode_value(table: str, value: Any) -> Any:
    if value is DELETED:
        return {"deleted": True}
    if table in ("accounts", "dr", "witnesses"):
        return _encode_record(value)
    if table in ("dr_to", "dr_from"):
        return [[address.hex(), timestamp] for address, timestamp in value.items()]
    if table == "votes":
        return {
            "old": [[a.hex(), c] for a, c in value.old_votes],
            "new": [[a.hex(), c] for a, c in value.new_votes],
        }
    if isinstance(value, tuple):  # deleg account votes, dyn active witness list
        return {"tuple": [_encode_key(part) for part in value]}
    return value


def _decode_value(table: str, raw: Any) -> Any:
    if isinstance(raw, dict) and raw.get("deleted") is True:
        return DELETED
    if table == "accounts":
        return _decode_account(raw)
    if table == "dr":
        return _decode_dr(raw)
    if table == "witnesses":
        return _decode_witness(raw)
    if table in ("dr_to", "dr_from"):
        return {bytes.fromhex(address): int(timestamp) for address, timestamp in raw}
    if table == "votes":
        return VotesRecord(_decode_votes(raw["old"]), _decode_votes(raw["new"]))
    if isinstance(raw, dict) and "tuple" in raw:
        return tuple(_decode_key(part) for part in raw["tuple"])
    return raw


def encode_tables(tables: Tables) -> dict[str, list[list[Any]]]:
    return {
        name: [[_encode_key(key), _encode_value(name, value)] for key, value in table.items()]
        for name, table in tables.items()
    }


def decode_tables(raw: dict[str, list[list[Any]]]) -> Tables:
    tables = new_tables()
    for name, entries in raw.items():
        tables[name] = {_decode_key(key): _decode_value(name, value) for key, value in entries}
    return tables
