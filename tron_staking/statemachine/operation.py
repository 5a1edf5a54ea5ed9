"""The operation state machine (design §5) as a table, and ``fire`` for operation records.

::

    recorded ──sent──▶ broadcast ──seen_in_block──▶ included ──became_solid──▶ solidified
        │                 │  ▲                         │  ▲
        │                 │  └────────reorganized──────┘  │
        ├──seen_in_block──┼───────────────────────────────┤
        ├──refused──▶ rejected ──seen_in_block (late)─────┘
        └──proven_expired─────▶ expired   (also from broadcast)
    attempt_failed: recorded → recorded, broadcast → broadcast (an attempt's outcome)

``planned`` is not a state: a planned effect is an ``Action`` of a ``Plan``, in memory only;
an operation starts as ``recorded`` when the executor persists it with its txid before
signing. ``seen_in_block`` from ``recorded`` covers a crash between broadcasting and
recording the broadcast. ``reorganized`` covers a block that left the chain before it became
solid. Guards: ``became_solid`` requires the operation's block at or below the solid block;
``proven_expired`` requires the solid block's time past the expiration and the txid absent
from the chain — only then may the planner build a replacement.

Once the signed bytes may have reached a node (the operation is ``broadcast``, or an earlier
attempt ended without a definitive answer: ``maybe_delivered``), only inclusion or the expiry
proof ends it: ``refused`` fires only from ``recorded`` on a first, definitive answer. A node
error to a re-send (``TRANSACTION_EXPIRATION_ERROR``, TaPoS, even a validation error — the
expiry checks run before the duplicate check) is ``attempt_failed``: the executor records the
error on the operation, the state stays. ``rejected`` still accepts a late ``seen_in_block``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

import transitions

from tron_staking.domain.enums import OperationState
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.operation import Operation
from tron_staking.statemachine import engine
from tron_staking.statemachine.engine import TransitionSpec

MACHINE_NAME = "operation"
State = OperationState


class Trigger(enum.StrEnum):
    SENT = "sent"
    SEEN_IN_BLOCK = "seen_in_block"
    BECAME_SOLID = "became_solid"
    REORGANIZED = "reorganized"
    REFUSED = "refused"
    ATTEMPT_FAILED = "attempt_failed"
    PROVEN_EXPIRED = "proven_expired"


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the guards may look at: the operation's block and expiration, whether its bytes
    may have reached a node, and the chain's solid block and whether the txid was found
    (``gettransactioninfobyid`` non-empty)."""

    block: int | None = None
    expiration_ms: int | None = None
    solid_block_number: int | None = None
    solid_block_time_ms: int | None = None
    found_on_chain: bool = False
    maybe_delivered: bool = False

    @classmethod
    def of(
        cls,
        operation: Operation,
        *,
        solid_block_number: int | None = None,
        solid_block_time_ms: int | None = None,
        found_on_chain: bool = False,
    ) -> Facts:
        return cls(
            block=operation.block,
            expiration_ms=operation.expiration_ms,
            solid_block_number=solid_block_number,
            solid_block_time_ms=solid_block_time_ms,
            found_on_chain=found_on_chain,
            maybe_delivered=operation.maybe_delivered,
        )


def _facts(event: transitions.EventData) -> Facts:
    facts: Facts = engine.guard_context(event)
    return facts


def block_is_solid(event: transitions.EventData) -> bool:
    """its block at or below the solid block"""
    facts = _facts(event)
    return (
        facts.block is not None
        and facts.solid_block_number is not None
        and facts.block <= facts.solid_block_number
    )


def expiry_proven(event: transitions.EventData) -> bool:
    """solid block time past the expiration and txid absent"""
    facts = _facts(event)
    return (
        not facts.found_on_chain
        and facts.expiration_ms is not None
        and facts.solid_block_time_ms is not None
        and facts.solid_block_time_ms > facts.expiration_ms
    )


def maybe_delivered(event: transitions.EventData) -> bool:
    """bytes may have reached a node"""
    return _facts(event).maybe_delivered


_UNCONFIRMED = [State.RECORDED, State.BROADCAST]

TABLE: list[TransitionSpec] = [
    {"trigger": Trigger.SENT, "source": State.RECORDED, "dest": State.BROADCAST},
    {
        "trigger": Trigger.SEEN_IN_BLOCK,
        "source": [*_UNCONFIRMED, State.REJECTED],
        "dest": State.INCLUDED,
    },
    {
        "trigger": Trigger.BECAME_SOLID,
        "source": State.INCLUDED,
        "dest": State.SOLIDIFIED,
        "conditions": [block_is_solid],
    },
    {"trigger": Trigger.REORGANIZED, "source": State.INCLUDED, "dest": State.BROADCAST},
    {
        "trigger": Trigger.REFUSED,
        "source": State.RECORDED,
        "dest": State.REJECTED,
        "unless": [maybe_delivered],
    },
    {"trigger": Trigger.ATTEMPT_FAILED, "source": list(_UNCONFIRMED), "dest": "="},
    {
        "trigger": Trigger.PROVEN_EXPIRED,
        "source": list(_UNCONFIRMED),
        "dest": State.EXPIRED,
        "conditions": [expiry_proven],
    },
]

MACHINE: engine.TableMachine[OperationState] = engine.TableMachine(
    MACHINE_NAME,
    State,
    TABLE,
    initial=State.RECORDED,
    final=[State.SOLIDIFIED, State.REJECTED, State.EXPIRED],
)


def allowed_triggers(state: OperationState) -> tuple[str, ...]:
    return MACHINE.allowed_triggers(state)


def next_state(
    state: OperationState, trigger: Trigger | str, facts: Facts
) -> OperationState | None:
    return MACHINE.peek(state, str(trigger), facts)


def fire(
    operation: Operation,
    trigger: Trigger | str,
    *,
    at: dt.datetime,
    reason: str = "",
    facts: Facts | None = None,
) -> tuple[OperationState, TransitionRecord]:
    """Fire ``trigger`` on ``operation``: its new state and the history entry.

    Raises InvalidTransitionError (or GuardRefusedError) when the trigger is not allowed or
    its guard refuses — e.g. ``proven_expired`` before the solid block passed the expiration.
    Apply the record with ``operation.with_transition(record)``.
    """
    new_state = MACHINE.fire(operation.state, str(trigger), facts or Facts.of(operation))
    record = TransitionRecord(
        machine=MACHINE_NAME,
        subject_id=operation.id,
        from_state=operation.state.value,
        to_state=new_state.value,
        trigger=str(trigger),
        reason=reason,
        at=at,
        txid=operation.txid,
        block=operation.block,
    )
    return new_state, record
