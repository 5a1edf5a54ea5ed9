"""The planner's public shapes: its policy, the ``Plan`` it returns and what a plan holds.

The reconciler and the executor read these: ``Action`` (one transaction to send, with its
intent key), ``PositionUpdate`` (transitions, facets, applied operations and conditions for one
position), ``Notice`` (warnings and reasons to wait), ``DriftFinding`` and ``Plan`` itself.
``intent_key`` names the intent of an operation; at most one non-final operation may exist per
key. All frozen; nothing here computes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

from tron_staking.domain import bandwidth
from tron_staking.domain.addresses import Address
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import (
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.ids import OperationId, PositionId, TxId
from tron_staking.domain.operation import JsonValue
from tron_staking.domain.position import ChainDelegation
from tron_staking.domain.spec import MAX_VOTE_WITNESSES
from tron_staking.domain.votes import WitnessVote
from tron_staking.statemachine.position import Facts, Trigger


@dataclasses.dataclass(frozen=True)
class PlannerPolicy:
    """Tunables of the planner; built from settings by the composition root."""

    block_interval_s: float = 3.0
    """Requeue delay while anything is in flight or was just planned: one block of the chain
    (3 s on TRON; ``STAKING_BLOCK_INTERVAL_S`` for a chain with another interval)."""
    resync_period_s: int = 300
    """Requeue delay when nothing is due (drift detection)."""
    stalled_retry_s: int = 60
    """Retry delay of a condition that may resolve by itself (balance, activation, usage)."""
    keep_unmanaged_votes: bool = True
    """Keep votes the owner cast outside the service when re-voting (else they are replaced)."""
    fee_sun_per_byte: int = bandwidth.FEE_SUN_PER_BYTE
    claim_interval_ms: int = 86_400_000
    """WithdrawBalance is allowed once per 24 h."""
    unfreeze_delay_ms: int = 14 * 86_400_000
    """Only used to estimate an unfreeze expiry the snapshot does not show."""
    max_vote_witnesses: int = MAX_VOTE_WITNESSES
    min_claim_sun: int = 1_000_000
    """Never claim a reward below this (``STAKING_MIN_CLAIM_SUN``), nor below the claim's fee."""
    max_backoff_s: int = 86_400
    """Cap of the per-intent back-off after rejections (first retry after ``resync_period_s``)."""

    def __post_init__(self) -> None:
        if not self.block_interval_s > 0:
            raise ValueError(f"block_interval_s must be positive, not {self.block_interval_s}")


@dataclasses.dataclass(frozen=True)
class Action:
    """One transaction to send now: TRON contract ``params`` (base58 addresses, sun) for
    ``kind``, on behalf of ``position_ids``. ``position_votes`` (votes only) is what each named
    position gets from the list; named positions without an entry lose their votes.
    ``fee_sun`` is the bandwidth fee the planner expects to be burned (0 when covered)."""

    kind: StakingOperationType
    intent_key: str
    params: Mapping[str, JsonValue]
    position_ids: tuple[PositionId, ...]
    reason: str
    amount_sun: int = 0
    estimated_bytes: int = 0
    fee_sun: int = 0
    position_votes: Mapping[PositionId, tuple[WitnessVote, ...]] = dataclasses.field(
        default_factory=dict
    )
    basis: str = ""
    """What the decision rested on (the named positions' generations and the chain facts the
    rule read); copied onto the operation so a rejection backs off only this same decision."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "kind": self.kind.value,
            "intent_key": self.intent_key,
            "params": dict(self.params),
            "positions": list(self.position_ids),
            "reason": self.reason,
        }


@dataclasses.dataclass(frozen=True)
class PlannedTransition:
    """Fire ``trigger`` (``from_state`` → ``to_state``) with ``facts``; ``txid``/``block`` name
    the transaction that caused it when one did."""

    trigger: Trigger
    from_state: StakingStatusType
    to_state: StakingStatusType
    reason: str
    facts: Facts
    txid: TxId | None = None
    block: int | None = None
    operation_id: OperationId | None = None


@dataclasses.dataclass(frozen=True)
class PositionUpdate:
    """Everything the plan changes on one position: transitions in order, the final facets,
    the operations newly applied, condition updates, and ``observed_generation`` when the
    chain fully reflects the spec (None = unchanged)."""

    position_id: PositionId
    transitions: tuple[PlannedTransition, ...]
    votes_cast: tuple[WitnessVote, ...]
    delegation: ChainDelegation | None
    unfreeze_expire_time_ms: int | None
    applied_operations: tuple[OperationId, ...]
    conditions: tuple[ConditionUpdate, ...]
    observed_generation: int | None = None


@dataclasses.dataclass(frozen=True)
class Notice:
    """A warning or a reason to wait, for operators and the plan endpoint."""

    code: str
    message: str
    position_ids: tuple[PositionId, ...] = ()
    until_ms: int | None = None

    def to_json(self) -> dict[str, JsonValue]:
        result: dict[str, JsonValue] = {
            "code": self.code,
            "message": self.message,
            "positions": list(self.position_ids),
        }
        if self.until_ms is not None:
            result["until_ms"] = self.until_ms
        return result


@dataclasses.dataclass(frozen=True)
class DriftFinding:
    """The chain lost something managed positions held (``kind`` is the drift trigger)."""

    kind: str
    message: str
    position_ids: tuple[PositionId, ...]

    def to_json(self) -> dict[str, JsonValue]:
        return {"kind": self.kind, "message": self.message, "positions": list(self.position_ids)}


@dataclasses.dataclass(frozen=True)
class Plan:
    owner: Address
    chain_block: int
    chain_time_ms: int
    actions: tuple[Action, ...]
    updates: tuple[PositionUpdate, ...]
    drift: tuple[DriftFinding, ...]
    warnings: tuple[Notice, ...]
    waiting_for: tuple[Notice, ...]
    requeue_after_s: float
    needs_confirmation: bool = False
    """The head snapshot shows drift that would move funds: read a confirming snapshot (the
    solid state, or the head at a later block) and plan again with ``confirmation=``."""

    @property
    def transitions(self) -> tuple[tuple[PositionId, PlannedTransition], ...]:
        """Every planned position transition, in order."""
        return tuple((u.position_id, t) for u in self.updates for t in u.transitions)

    @property
    def conditions(self) -> Mapping[PositionId, tuple[ConditionUpdate, ...]]:
        return {u.position_id: u.conditions for u in self.updates}

    def update_for(self, position_id: PositionId) -> PositionUpdate | None:
        for update in self.updates:
            if update.position_id == position_id:
                return update
        return None

    def to_json(self) -> dict[str, JsonValue]:
        """The plan endpoint's body (contract: owner, actions, waiting_for, warnings)."""
        return {
            "owner": self.owner,
            "actions": [action.to_json() for action in self.actions],
            "waiting_for": [notice.to_json() for notice in self.waiting_for],
            "warnings": [notice.to_json() for notice in self.warnings],
            "drift": [finding.to_json() for finding in self.drift],
            "requeue_after_s": math.ceil(self.requeue_after_s),
            "observed_block": self.chain_block,
        }


def intent_key(
    kind: StakingOperationType,
    owner: Address,
    resource: StakingResourceType | None = None,
    receiver: Address | None = None,
    *,
    lock: bool = False,
) -> str:
    """The intent key of an operation: ``freeze:<owner>:<resource>``, ``vote:<owner>``,
    ``delegate:<owner>:<receiver>:<resource>:<locked|unlocked>`` … (see the package docstring)."""
    if kind in (
        StakingOperationType.VOTE,
        StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE,
        StakingOperationType.CLAIM_REWARDS,
    ):
        return f"{kind.value}:{owner}"
    if kind in (StakingOperationType.FREEZE, StakingOperationType.UNFREEZE):
        return f"{kind.value}:{owner}:{resource}"
    return f"{kind.value}:{owner}:{receiver}:{resource}:{'locked' if lock else 'unlocked'}"
