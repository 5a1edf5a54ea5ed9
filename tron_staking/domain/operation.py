"""An operation: one TRON transaction the controller sends for an intent, and its fate.

The executor creates an ``Operation`` from a planned action (same ``kind``, ``params``,
``position_ids``, ``intent_key``) and persists it as ``recorded`` with its ``txid``, raw data
and ``expiration_ms`` **before** signing or broadcasting; the operation machine
(:mod:`tron_staking.statemachine.operation`) then moves it to ``broadcast``, ``included``
(``block``, ``block_time_ms``, ``fee_sun`` known), ``solidified``, or to ``rejected`` /
``expired``. ``fencing_token`` is the owner lease's token at the time of recording.

``intent_key`` names what the operation is for (``freeze:<owner>:ENERGY``): at most one
non-final operation may exist per intent key, which is what keeps additive operations from
taking effect twice. ``RawOperation`` is the stored document; ``for_storage`` /
``from_storage`` convert.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TypeAlias, TypedDict

from tron_staking.domain import conditions, ids
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import OperationState, StakingOperationType
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.ids import OperationId, PositionId, TxId
from tron_staking.domain.votes import RawWitnessVote, WitnessVote

JsonValue: TypeAlias = "str | int | bool | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
"""A JSON value as the contract parameters use it (no floats: amounts are integers of sun)."""


class RawOperation(TypedDict):
    id: str
    kind: str
    owner: str
    intent_key: str
    position_ids: list[str]
    params: dict[str, JsonValue]
    position_votes: dict[str, list[RawWitnessVote]]
    reason: str
    txid: str
    raw_data: dict[str, JsonValue] | None
    raw_data_hex: str | None
    signatures: list[str]
    expiration_ms: int
    state: str
    block: int | None
    block_time_ms: int | None
    fee_sun: int | None
    error: str | None
    fencing_token: int | None
    maybe_delivered: bool
    basis: str
    final_at_ms: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class Operation:
    """One transaction. ``params`` are the TRON contract parameters (base58 addresses, sun);
    ``position_votes`` (vote operations only) says which votes each named position gets from
    this vote list — a position named with no votes has its votes removed by it."""

    id: OperationId
    kind: StakingOperationType
    owner: Address
    intent_key: str
    position_ids: tuple[PositionId, ...]
    params: Mapping[str, JsonValue]
    txid: TxId
    expiration_ms: int
    created_at: dt.datetime
    updated_at: dt.datetime
    position_votes: Mapping[PositionId, tuple[WitnessVote, ...]] = dataclasses.field(
        default_factory=dict
    )
    reason: str = ""
    raw_data: Mapping[str, JsonValue] | None = None
    raw_data_hex: str | None = None
    signatures: tuple[str, ...] = ()
    state: OperationState = OperationState.RECORDED
    block: int | None = None
    block_time_ms: int | None = None
    fee_sun: int | None = None
    error: str | None = None
    fencing_token: int | None = None
    maybe_delivered: bool = False
    """True once any attempt to send the signed bytes ended without a definitive answer
    (timeout, connection error, accepted): the bytes may be on a node, so only inclusion or
    the expiry proof can end the operation; a later rejection is an attempt's outcome."""
    basis: str = ""
    """The ``Action.basis`` it was built from (the spec generations and chain facts the
    planner decided on): a rejection backs off the same intent only while the basis stays."""
    final_at_ms: int | None = None
    """Chain time (head block ms) at which it became ``rejected`` or ``expired``."""
    version: int = 0

    @classmethod
    def new(
        cls,
        *,
        kind: StakingOperationType,
        owner: Address,
        intent_key: str,
        position_ids: Sequence[PositionId],
        params: Mapping[str, JsonValue],
        txid: TxId,
        expiration_ms: int,
        at: dt.datetime,
        position_votes: Mapping[PositionId, tuple[WitnessVote, ...]] | None = None,
        reason: str = "",
        raw_data: Mapping[str, JsonValue] | None = None,
        raw_data_hex: str | None = None,
        fencing_token: int | None = None,
        operation_id: OperationId | None = None,
        basis: str = "",
    ) -> Operation:
        """A ``recorded`` operation: what the executor persists before signing."""
        return cls(
            id=operation_id or ids.new_operation_id(),
            kind=kind,
            owner=owner,
            intent_key=intent_key,
            position_ids=tuple(position_ids),
            params=dict(params),
            position_votes=dict(position_votes or {}),
            reason=reason,
            txid=txid,
            raw_data=raw_data,
            raw_data_hex=raw_data_hex,
            expiration_ms=expiration_ms,
            fencing_token=fencing_token,
            basis=basis,
            created_at=at,
            updated_at=at,
        )

    @property
    def in_flight(self) -> bool:
        """Not final: it may still take effect, so no equivalent operation may be planned."""
        return not self.state.final

    def with_transition(self, record: TransitionRecord) -> Operation:
        if record.subject_id != self.id or record.from_state != self.state.value:
            raise ValueError(f"{record} does not start from {self.id} in {self.state}")
        return dataclasses.replace(
            self, state=OperationState(record.to_state), updated_at=record.at
        )

    def with_signatures(self, signatures: Sequence[str], *, at: dt.datetime) -> Operation:
        return dataclasses.replace(self, signatures=tuple(signatures), updated_at=at)

    def with_inclusion(
        self, *, block: int, block_time_ms: int, fee_sun: int, at: dt.datetime
    ) -> Operation:
        return dataclasses.replace(
            self, block=block, block_time_ms=block_time_ms, fee_sun=fee_sun, updated_at=at
        )

    def with_error(self, error: str, *, at: dt.datetime) -> Operation:
        """Record the outcome of an attempt (a decoded node error); the state is unchanged."""
        return dataclasses.replace(self, error=error, updated_at=at)

    def with_maybe_delivered(self, *, at: dt.datetime) -> Operation:
        """An attempt ended without a definitive answer: the bytes may be on a node."""
        return dataclasses.replace(self, maybe_delivered=True, updated_at=at)

    def with_final_at(self, chain_time_ms: int, *, at: dt.datetime) -> Operation:
        """The head block time at which the operation became rejected or expired."""
        return dataclasses.replace(self, final_at_ms=chain_time_ms, updated_at=at)

    def with_version(self, version: int) -> Operation:
        return dataclasses.replace(self, version=version)

    def for_storage(self) -> RawOperation:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "owner": self.owner,
            "intent_key": self.intent_key,
            "position_ids": list(self.position_ids),
            "params": dict(self.params),
            "position_votes": {
                pid: [vote.for_storage() for vote in votes]
                for pid, votes in self.position_votes.items()
            },
            "reason": self.reason,
            "txid": self.txid,
            "raw_data": dict(self.raw_data) if self.raw_data is not None else None,
            "raw_data_hex": self.raw_data_hex,
            "signatures": list(self.signatures),
            "expiration_ms": self.expiration_ms,
            "state": self.state.value,
            "block": self.block,
            "block_time_ms": self.block_time_ms,
            "fee_sun": self.fee_sun,
            "error": self.error,
            "fencing_token": self.fencing_token,
            "maybe_delivered": self.maybe_delivered,
            "basis": self.basis,
            "final_at_ms": self.final_at_ms,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_storage(cls, raw: RawOperation) -> Operation:
        return cls(
            id=OperationId(raw["id"]),
            kind=StakingOperationType(raw["kind"]),
            owner=Address(raw["owner"]),
            intent_key=raw["intent_key"],
            position_ids=tuple(PositionId(p) for p in raw.get("position_ids") or []),
            params=dict(raw.get("params") or {}),
            position_votes={
                PositionId(pid): tuple(WitnessVote.from_storage(v) for v in votes)
                for pid, votes in (raw.get("position_votes") or {}).items()
            },
            reason=raw.get("reason", ""),
            txid=TxId(raw["txid"]),
            raw_data=raw.get("raw_data"),
            raw_data_hex=raw.get("raw_data_hex"),
            signatures=tuple(raw.get("signatures") or []),
            expiration_ms=raw["expiration_ms"],
            state=OperationState(raw["state"]),
            block=raw.get("block"),
            block_time_ms=raw.get("block_time_ms"),
            fee_sun=raw.get("fee_sun"),
            error=raw.get("error"),
            fencing_token=raw.get("fencing_token"),
            maybe_delivered=raw.get("maybe_delivered", False),
            basis=raw.get("basis", ""),
            final_at_ms=raw.get("final_at_ms"),
            version=raw.get("version", 0),
            created_at=conditions.as_utc(raw["created_at"]),
            updated_at=conditions.as_utc(raw["updated_at"]),
        )
