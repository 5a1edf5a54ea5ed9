"""The position state machine (design §4) as a table, and ``fire`` for position records.

States are :class:`~tron_staking.domain.enums.StakingStatusType`. The happy path is
``pending → frozen → voting → delegated`` (steps skipped when the spec has no votes or no
delegation); unstaking is ``delegated → voting|frozen → unfreezing → claimable →
withdrawn``, and a ``pending`` position that is unstaken goes straight to ``withdrawn``.
``voting`` means the position's tron power is cast; ``delegated`` means its resource is
delegated (its votes, if it wants any, are cast too or on their way — the ``votes_cast``
facet says which).

Triggers name what the chain showed:

* inclusions, fired when an operation serving the position is in a block:
  ``freeze_included``, ``vote_included``, ``votes_removed`` (a vote list without the
  position's votes), ``delegate_included``, ``undelegate_included``, ``unfreeze_included``,
  ``withdraw_included`` (its matured unfreeze was withdrawn or swept);
* observations: ``matured`` (chain time reached the unfreeze expiry), ``unstake`` (of a
  ``pending`` position with no freeze in flight);
* drift back-steps, when the chain no longer holds what the position had: ``stake_lost``,
  ``votes_lost``, ``delegation_lost``, ``unfreeze_cancelled``;
* ``spec_changed``: a reflexive entry recording a new generation in the history.

Guards are pure functions of :class:`Facts`. The executor performs the effect and only then is
the trigger fired (by the reconciler, from the planner's ``PositionUpdate``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

import transitions

from tron_staking.domain.enums import StakingStatusType
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.ids import TxId
from tron_staking.domain.position import Position
from tron_staking.statemachine import engine
from tron_staking.statemachine.engine import TransitionSpec

MACHINE_NAME = "position"
State = StakingStatusType


class Trigger(enum.StrEnum):
    FREEZE_INCLUDED = "freeze_included"
    VOTE_INCLUDED = "vote_included"
    VOTES_REMOVED = "votes_removed"
    DELEGATE_INCLUDED = "delegate_included"
    UNDELEGATE_INCLUDED = "undelegate_included"
    UNFREEZE_INCLUDED = "unfreeze_included"
    MATURED = "matured"
    WITHDRAW_INCLUDED = "withdraw_included"
    UNSTAKE = "unstake"
    STAKE_LOST = "stake_lost"
    VOTES_LOST = "votes_lost"
    DELEGATION_LOST = "delegation_lost"
    UNFREEZE_CANCELLED = "unfreeze_cancelled"
    SPEC_CHANGED = "spec_changed"


DRIFT_TRIGGERS = frozenset(
    {Trigger.STAKE_LOST, Trigger.VOTES_LOST, Trigger.DELEGATION_LOST, Trigger.UNFREEZE_CANCELLED}
)


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the guards may look at, as the caller knows it at the moment of the transition.

    ``votes_cast``: the position's votes are in the account's vote list after this event;
    ``freeze_in_flight``: a freeze serving the position may still land;
    ``chain_time_ms``: the head block time the decision was made at.
    """

    votes_cast: bool = False
    unstake_requested: bool = False
    freeze_in_flight: bool = False
    chain_time_ms: int | None = None
    unfreeze_expire_time_ms: int | None = None

    @classmethod
    def of(
        cls,
        position: Position,
        *,
        chain_time_ms: int | None = None,
        freeze_in_flight: bool = False,
    ) -> Facts:
        return cls(
            votes_cast=bool(position.votes_cast),
            unstake_requested=position.unstake_requested,
            freeze_in_flight=freeze_in_flight,
            chain_time_ms=chain_time_ms,
            unfreeze_expire_time_ms=position.unfreeze_expire_time_ms,
        )


def _facts(event: transitions.EventData) -> Facts:
    facts: Facts = engine.guard_context(event)
    return facts


def votes_cast(event: transitions.EventData) -> bool:
    """votes cast"""
    return _facts(event).votes_cast


def unstake_requested(event: transitions.EventData) -> bool:
    """unstake requested"""
    return _facts(event).unstake_requested


def freeze_in_flight(event: transitions.EventData) -> bool:
    """freeze in flight"""
    return _facts(event).freeze_in_flight


def unfreeze_matured(event: transitions.EventData) -> bool:
    """chain time at or past the unfreeze expiry"""
    facts = _facts(event)
    return (
        facts.chain_time_ms is not None
        and facts.unfreeze_expire_time_ms is not None
        and facts.chain_time_ms >= facts.unfreeze_expire_time_ms
    )


_ACTIVE = [s for s in State if s is not State.WITHDRAWN]

TABLE: list[TransitionSpec] = [
    # forward: inclusions of the position's own operations
    {"trigger": Trigger.FREEZE_INCLUDED, "source": State.PENDING, "dest": State.FROZEN},
    {"trigger": Trigger.VOTE_INCLUDED, "source": State.FROZEN, "dest": State.VOTING},
    {"trigger": Trigger.VOTE_INCLUDED, "source": [State.VOTING, State.DELEGATED], "dest": "="},
    {"trigger": Trigger.VOTES_REMOVED, "source": State.VOTING, "dest": State.FROZEN},
    {"trigger": Trigger.VOTES_REMOVED, "source": State.DELEGATED, "dest": "="},
    {
        "trigger": Trigger.DELEGATE_INCLUDED,
        "source": [State.FROZEN, State.VOTING],
        "dest": State.DELEGATED,
    },
    {
        "trigger": Trigger.UNDELEGATE_INCLUDED,
        "source": State.DELEGATED,
        "dest": State.VOTING,
        "conditions": [votes_cast],
    },
    {
        "trigger": Trigger.UNDELEGATE_INCLUDED,
        "source": State.DELEGATED,
        "dest": State.FROZEN,
        "unless": [votes_cast],
    },
    {
        "trigger": Trigger.UNFREEZE_INCLUDED,
        "source": [State.FROZEN, State.VOTING],
        "dest": State.UNFREEZING,
        "conditions": [unstake_requested],
    },
    {
        "trigger": Trigger.MATURED,
        "source": State.UNFREEZING,
        "dest": State.CLAIMABLE,
        "conditions": [unfreeze_matured],
    },
    {"trigger": Trigger.WITHDRAW_INCLUDED, "source": State.CLAIMABLE, "dest": State.WITHDRAWN},
    {
        "trigger": Trigger.UNSTAKE,
        "source": State.PENDING,
        "dest": State.WITHDRAWN,
        "conditions": [unstake_requested],
        "unless": [freeze_in_flight],
    },
    # drift: back to the state the chain supports
    {
        "trigger": Trigger.STAKE_LOST,
        "source": [State.FROZEN, State.VOTING, State.DELEGATED],
        "dest": State.PENDING,
    },
    {"trigger": Trigger.VOTES_LOST, "source": State.VOTING, "dest": State.FROZEN},
    {"trigger": Trigger.VOTES_LOST, "source": State.DELEGATED, "dest": "="},
    {
        "trigger": Trigger.DELEGATION_LOST,
        "source": State.DELEGATED,
        "dest": State.VOTING,
        "conditions": [votes_cast],
    },
    {
        "trigger": Trigger.DELEGATION_LOST,
        "source": State.DELEGATED,
        "dest": State.FROZEN,
        "unless": [votes_cast],
    },
    {"trigger": Trigger.UNFREEZE_CANCELLED, "source": State.UNFREEZING, "dest": State.FROZEN},
    # history only
    {"trigger": Trigger.SPEC_CHANGED, "source": list(_ACTIVE), "dest": "="},
]

MACHINE: engine.TableMachine[StakingStatusType] = engine.TableMachine(
    MACHINE_NAME, State, TABLE, initial=State.PENDING, final=[State.WITHDRAWN]
)


def allowed_triggers(state: StakingStatusType) -> tuple[str, ...]:
    """The triggers that have a transition from ``state`` (before guards)."""
    return MACHINE.allowed_triggers(state)


def next_state(
    state: StakingStatusType, trigger: Trigger | str, facts: Facts
) -> StakingStatusType | None:
    """Where ``trigger`` would lead from ``state``, or None if it would be refused."""
    return MACHINE.peek(state, str(trigger), facts)


def fire(
    position: Position,
    trigger: Trigger | str,
    *,
    at: dt.datetime,
    reason: str = "",
    txid: TxId | None = None,
    block: int | None = None,
    facts: Facts | None = None,
) -> tuple[StakingStatusType, TransitionRecord]:
    """Fire ``trigger`` on ``position``: its new state and the history entry to append.

    ``facts`` default to what the position itself says (no chain time, no freeze in flight).
    Raises InvalidTransitionError if the trigger is not allowed in the position's state, or
    GuardRefusedError if a guard refuses; both mean the caller's view is stale — re-read and
    plan again. The position itself is not changed: apply the record with
    ``position.with_transition(record)``.
    """
    new_state = MACHINE.fire(position.state, str(trigger), facts or Facts.of(position))
    record = TransitionRecord(
        machine=MACHINE_NAME,
        subject_id=position.id,
        from_state=position.state.value,
        to_state=new_state.value,
        trigger=str(trigger),
        reason=reason,
        at=at,
        txid=txid,
        block=block,
        generation=position.generation,
    )
    return new_state, record
