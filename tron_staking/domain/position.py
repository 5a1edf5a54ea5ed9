"""A position: a declared spec plus the status the controller has established on chain.

``Position`` is immutable; every change returns a new one through a ``with_…`` method, and
the reconciler persists it in one compare-and-set write on ``version``. The status has:

* ``state`` — the position machine's state (:mod:`tron_staking.statemachine.position`);
  only :func:`with_transition` changes it, from a record the machine produced;
* facets that say exactly what the chain holds for this position, so that the planner never
  guesses from account totals: ``votes_cast`` (its part of the account's votes),
  ``delegation`` (the delegation it has in place), ``unfreeze_expire_time_ms`` (its entry in
  the account's unfreezing list), and ``applied_operations`` (the operations whose effect
  has been applied to it: applying an operation twice is thereby impossible);
* ``generation`` (bumped by every spec change and by the unstake request) and
  ``observed_generation`` (the generation the chain last fully reflected, set with
  ``Ready``), and Kubernetes-style ``conditions``.

``RawPosition`` is the stored document (flat, like the API resource); ``for_storage`` /
``from_storage`` convert. The store owns ``version``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import TypedDict

from tron_staking.domain import conditions, ids, spec
from tron_staking.domain.addresses import Address
from tron_staking.domain.conditions import Condition, ConditionUpdate, RawCondition
from tron_staking.domain.enums import (
    ConditionStatus,
    ConditionType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.ids import OperationId, PositionId
from tron_staking.domain.spec import DelegateSpec, PositionSpec, RawDelegateSpec, RawVoteWeight
from tron_staking.domain.votes import RawWitnessVote, WitnessVote
from tron_staking.errors import ValidationError

MAX_APPLIED_OPERATIONS = 128
"""How many applied operation ids a position remembers (newest kept). The reconciler passes
the planner the operations of the last day plus those whose effect is not yet stored (cleared
right after the position that records them is written), far fewer than this for one
position."""


class RawChainDelegation(TypedDict):
    receiver: str
    resource: str
    lock: bool
    lock_period_blocks: int | None
    amount_sun: int


class RawPosition(TypedDict):
    id: str
    owner: str
    resource: str
    amount_sun: int
    votes: list[RawVoteWeight]
    delegate: RawDelegateSpec | None
    auto_claim: bool
    labels: dict[str, str]
    state: str
    unstake_requested: bool
    generation: int
    observed_generation: int
    conditions: list[RawCondition]
    unfreeze_expire_time_ms: int | None
    votes_cast: list[RawWitnessVote]
    delegation: RawChainDelegation | None
    applied_operations: list[str]
    next_reconcile_at: dt.datetime | None
    version: int
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class ChainDelegation:
    """The delegation a position has in place: ``amount_sun`` of ``resource`` to
    ``receiver``, locked for ``lock_period_blocks`` when ``lock``."""

    receiver: Address
    resource: StakingResourceType
    lock: bool
    lock_period_blocks: int | None
    amount_sun: int

    def matches(self, wanted: DelegateSpec | None) -> bool:
        """True if this is the delegation ``wanted`` asks for."""
        return (
            wanted is not None
            and wanted.receiver == self.receiver
            and wanted.lock == self.lock
            and wanted.effective_lock_period_blocks == self.lock_period_blocks
        )

    def for_storage(self) -> RawChainDelegation:
        return {
            "receiver": self.receiver,
            "resource": self.resource.value,
            "lock": self.lock,
            "lock_period_blocks": self.lock_period_blocks,
            "amount_sun": self.amount_sun,
        }

    @classmethod
    def from_storage(cls, raw: RawChainDelegation) -> ChainDelegation:
        return cls(
            receiver=Address(raw["receiver"]),
            resource=StakingResourceType(raw["resource"]),
            lock=raw["lock"],
            lock_period_blocks=raw["lock_period_blocks"],
            amount_sun=raw["amount_sun"],
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Position:
    id: PositionId
    spec: PositionSpec
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    state: StakingStatusType = StakingStatusType.PENDING
    unstake_requested: bool = False
    generation: int = 1
    observed_generation: int = 0
    conditions: tuple[Condition, ...] = ()
    unfreeze_expire_time_ms: int | None = None
    votes_cast: tuple[WitnessVote, ...] = ()
    delegation: ChainDelegation | None = None
    applied_operations: tuple[OperationId, ...] = ()
    next_reconcile_at: dt.datetime | None = None
    version: int = 0

    @classmethod
    def new(
        cls,
        position_spec: PositionSpec,
        *,
        created_by: str,
        at: dt.datetime,
        position_id: PositionId | None = None,
    ) -> Position:
        """A freshly declared position: ``pending``, generation 1, not Ready."""
        return cls(
            id=position_id or ids.new_position_id(),
            spec=position_spec,
            created_by=created_by,
            created_at=at,
            updated_at=at,
            next_reconcile_at=at,
            conditions=conditions.apply_updates(
                (),
                (
                    ConditionUpdate.false(
                        ConditionType.READY, "Pending", "declared; nothing is frozen yet"
                    ),
                    ConditionUpdate.true(
                        ConditionType.PROGRESSING, "Declared", "waiting for the controller"
                    ),
                ),
                at,
            ),
        )

    @property
    def owner(self) -> Address:
        return self.spec.owner

    @property
    def resource(self) -> StakingResourceType:
        return self.spec.resource

    @property
    def amount_sun(self) -> int:
        return self.spec.amount_sun

    @property
    def target_state(self) -> StakingStatusType:
        """Where the spec leads: ``withdrawn`` once unstake is requested, else the furthest
        step of ``frozen → voting → delegated`` the spec asks for."""
        if self.unstake_requested:
            return StakingStatusType.WITHDRAWN
        if self.spec.delegate is not None:
            return StakingStatusType.DELEGATED
        if self.spec.votes:
            return StakingStatusType.VOTING
        return StakingStatusType.FROZEN

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    @property
    def ready(self) -> bool:
        return conditions.is_true(self.conditions, ConditionType.READY)

    def condition(self, type_: ConditionType) -> Condition | None:
        return conditions.find(self.conditions, type_)

    # -- changes of the spec (API) ------------------------------------------------------------

    def with_spec(self, new_spec: PositionSpec, *, at: dt.datetime) -> Position:
        """The position with ``new_spec``; bumps ``generation`` when anything changed.

        ``owner``, ``resource`` and ``amount_sun`` are immutable, and a position whose unstake
        was requested or that is withdrawn cannot change: ValidationError(field=...).
        """
        for name in ("owner", "resource", "amount_sun"):
            if getattr(new_spec, name) != getattr(self.spec, name):
                raise ValidationError(f"{name} cannot be changed", field=name)
        if new_spec == self.spec:
            return self
        if self.unstake_requested or self.terminal:
            raise ValidationError("the position is being unstaked", field="id")
        return dataclasses.replace(
            self,
            spec=new_spec,
            generation=self.generation + 1,
            updated_at=at,
            next_reconcile_at=at,
        )

    def with_unstake_requested(self, *, at: dt.datetime) -> Position:
        """Unstake requested (idempotent): target becomes ``withdrawn``, generation bumped."""
        if self.unstake_requested:
            return self
        return dataclasses.replace(
            self,
            unstake_requested=True,
            generation=self.generation + 1,
            updated_at=at,
            next_reconcile_at=at,
        )

    # -- changes of the status (controller) -----------------------------------------------------

    def with_transition(self, record: TransitionRecord) -> Position:
        """The position after the machine fired ``record`` (from the current state)."""
        if record.subject_id != self.id or record.from_state != self.state.value:
            raise ValueError(f"{record} does not start from {self.id} in {self.state}")
        return dataclasses.replace(
            self, state=StakingStatusType(record.to_state), updated_at=record.at
        )

    def with_conditions(self, updates: Iterable[ConditionUpdate], *, at: dt.datetime) -> Position:
        merged = conditions.apply_updates(self.conditions, updates, at)
        if merged == self.conditions:
            return self
        return dataclasses.replace(self, conditions=merged, updated_at=at)

    def with_votes_cast(self, votes: tuple[WitnessVote, ...]) -> Position:
        return dataclasses.replace(self, votes_cast=votes)

    def with_delegation(self, delegation: ChainDelegation | None) -> Position:
        return dataclasses.replace(self, delegation=delegation)

    def with_unfreeze_expire_time(self, expire_time_ms: int | None) -> Position:
        return dataclasses.replace(self, unfreeze_expire_time_ms=expire_time_ms)

    def with_applied_operations(self, operation_ids: Iterable[OperationId]) -> Position:
        added = tuple(op for op in operation_ids if op not in self.applied_operations)
        if not added:
            return self
        kept = (self.applied_operations + added)[-MAX_APPLIED_OPERATIONS:]
        return dataclasses.replace(self, applied_operations=kept)

    def with_observed_generation(self, generation: int) -> Position:
        return dataclasses.replace(self, observed_generation=generation)

    def with_next_reconcile_at(self, at: dt.datetime | None) -> Position:
        return dataclasses.replace(self, next_reconcile_at=at)

    def with_version(self, version: int) -> Position:
        return dataclasses.replace(self, version=version)

    # -- storage ------------------------------------------------------------------------------

    def for_storage(self) -> RawPosition:
        return {
            "id": self.id,
            "owner": self.spec.owner,
            "resource": self.spec.resource.value,
            "amount_sun": self.spec.amount_sun,
            "votes": [vote.for_storage() for vote in self.spec.votes],
            "delegate": self.spec.delegate.for_storage() if self.spec.delegate else None,
            "auto_claim": self.spec.auto_claim,
            "labels": dict(self.spec.labels),
            "state": self.state.value,
            "unstake_requested": self.unstake_requested,
            "generation": self.generation,
            "observed_generation": self.observed_generation,
            "conditions": [condition.for_storage() for condition in self.conditions],
            "unfreeze_expire_time_ms": self.unfreeze_expire_time_ms,
            "votes_cast": [vote.for_storage() for vote in self.votes_cast],
            "delegation": self.delegation.for_storage() if self.delegation else None,
            "applied_operations": list(self.applied_operations),
            "next_reconcile_at": self.next_reconcile_at,
            "version": self.version,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_storage(cls, raw: RawPosition) -> Position:
        """The position of a stored document; ValidationError if the spec no longer
        validates (a document written by hand, or by an incompatible version)."""
        delegate = raw.get("delegate")
        delegation = raw.get("delegation")
        next_at = raw.get("next_reconcile_at")
        return cls(
            id=PositionId(raw["id"]),
            spec=PositionSpec(
                owner=Address(raw["owner"]),
                resource=spec.parse_resource(raw["resource"]),
                amount_sun=raw["amount_sun"],
                votes=spec.parse_votes(raw.get("votes") or []),
                delegate=DelegateSpec.from_storage(delegate) if delegate else None,
                auto_claim=raw.get("auto_claim", False),
                labels=raw.get("labels") or {},
            ),
            state=StakingStatusType(raw["state"]),
            unstake_requested=raw.get("unstake_requested", False),
            generation=raw.get("generation", 1),
            observed_generation=raw.get("observed_generation", 0),
            conditions=tuple(Condition.from_storage(c) for c in raw.get("conditions") or []),
            unfreeze_expire_time_ms=raw.get("unfreeze_expire_time_ms"),
            votes_cast=tuple(WitnessVote.from_storage(v) for v in raw.get("votes_cast") or []),
            delegation=ChainDelegation.from_storage(delegation) if delegation else None,
            applied_operations=tuple(OperationId(o) for o in raw.get("applied_operations") or []),
            next_reconcile_at=conditions.as_utc(next_at) if next_at else None,
            version=raw.get("version", 0),
            created_by=raw["created_by"],
            created_at=conditions.as_utc(raw["created_at"]),
            updated_at=conditions.as_utc(raw["updated_at"]),
        )


def condition_status(position: Position, type_: ConditionType) -> ConditionStatus | None:
    found = position.condition(type_)
    return found.status if found else None
