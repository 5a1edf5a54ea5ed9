"""The planner: from an owner's declared positions and one chain observation to a ``Plan``.

``plan(positions, observed, in_flight, chain_time_ms, policy)`` is a pure, synchronous
function for ONE owner: no I/O, no clock, no logging; the same inputs give the same plan.
``model`` holds the shapes it returns, ``core`` the algorithm; callers import the package
(``planner.plan(...)``, ``planner.Plan``). The reconciler takes the snapshot first, then
advances the owner's operations (so every operation in a block at or below the snapshot's head
is known as included), then calls ``plan`` and

1. applies each ``PositionUpdate`` with ``apply_update`` (it fires the position machine and
   sets facets, applied operations and conditions) and persists the positions;
2. hands ``plan.actions`` to the executor, in order (one transaction each);
3. looks again after ``plan.requeue_after_s``.

How it decides, in order:

* **Evidence.** Every landed operation (``included``/``solidified``, block at or below the
  snapshot's head) not yet in a position's ``applied_operations`` is applied to the positions
  it names, as the matching inclusion trigger (``freeze_included``, ``vote_included``, …).
  Operations carry exactly what they did to each position (amounts, per-position votes), so
  nothing is inferred from account totals that unmanaged stake could blur.
* **Observation.** Matured unfreezes (``matured``), unfreeze entries gone (withdrawn or swept →
  ``withdraw_included``), unstake of a ``pending`` position with no freeze in flight.
* **Drift.** Managed stake, delegations or votes the chain no longer holds (checked only while
  no operation that could explain the difference is unresolved): positions move back to the
  state the chain supports, get ``Drifted``, and the actions below repair them.
* **Actions**, each only if no operation with the same intent key is in flight, and only within
  every chain limit (balance including bandwidth fees, tron power, ≤ 30 witnesses, the 32
  pending unfreezes, the can-delegate amount, locks, receiver activation); a limit that may
  resolve becomes a ``Stalled`` condition with a retry time, never a failure:
  undelegate (per receiver, resource and lock) → one VoteWitness for the whole account →
  UnfreezeBalanceV2 (per resource, once the re-vote has landed, so java-tron's rescaling never
  touches other positions' votes) → WithdrawExpireUnfreeze → WithdrawBalance → DelegateResource
  (per receiver, resource and lock) → FreezeBalanceV2 (per resource, batching every pending
  position). No action ever takes stake, a delegation or votes from a position it does not
  name.

Intent keys (unique among non-final operations): ``freeze:<owner>:<resource>``,
``unfreeze:<owner>:<resource>``, ``vote:<owner>``,
``delegate:<owner>:<receiver>:<resource>:<locked|unlocked>``,
``undelegate:<owner>:<receiver>:<resource>:<locked|unlocked>``,
``withdraw_expire_unfreeze:<owner>``, ``claim_rewards:<owner>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from tron_staking.controller.planner.core import Planner
from tron_staking.controller.planner.model import (
    Action,
    DriftFinding,
    Notice,
    Plan,
    PlannedTransition,
    PlannerPolicy,
    PositionUpdate,
    intent_key,
)
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.errors import InvalidTransitionError
from tron_staking.statemachine import position as position_machine

__all__ = [
    "Action",
    "DriftFinding",
    "Notice",
    "Plan",
    "PlannedTransition",
    "PlannerPolicy",
    "PositionUpdate",
    "apply_update",
    "intent_key",
    "plan",
]


def plan(
    positions: Sequence[Position],
    observed: AccountSnapshot,
    in_flight: Sequence[Operation],
    chain_time_ms: int,
    policy: PlannerPolicy | None = None,
    *,
    claim_requested: bool = False,
) -> Plan:
    """Decide what to do next for the owner of ``observed``.

    ``positions``: all of the owner's positions (terminal ones are ignored). ``in_flight``: the
    owner's operations that are not final, plus those that became final within the last day
    (landed ones are the evidence of what happened; each position remembers which it has
    applied, so passing more is harmless). ``chain_time_ms``: the head block time of
    ``observed``. ``claim_requested``: a one-shot claim request is pending for the owner.

    Raises ValueError if a position belongs to another owner. Never performs I/O.
    """
    planner = Planner(
        positions,
        observed,
        in_flight,
        chain_time_ms,
        policy or PlannerPolicy(),
        claim_requested,
    )
    planner.apply_evidence()
    planner.observe()
    planner.detect_drift()
    planner.plan_actions()
    updates = planner.updates()
    return Plan(
        owner=planner.owner,
        chain_block=observed.head_block_number,
        chain_time_ms=chain_time_ms,
        actions=tuple(planner.actions),
        updates=updates,
        drift=tuple(planner.drift),
        warnings=tuple(planner.warnings),
        waiting_for=tuple(planner.waiting),
        requeue_after_s=planner.requeue_after_s(),
    )


def apply_update(
    position: Position, update: PositionUpdate, *, at: dt.datetime
) -> tuple[Position, tuple[TransitionRecord, ...]]:
    """``position`` after ``update``: transitions fired through the position machine (with the
    facts the planner saw), facets, applied operations, conditions and observed generation.

    Returns the new position and the history entries to append. Raises
    InvalidTransitionError if the position is not in the state the plan started from (it
    changed since it was read): re-read and plan again.
    """
    if update.position_id != position.id:
        raise ValueError(f"update for {update.position_id} applied to {position.id}")
    current = position
    records: list[TransitionRecord] = []
    for planned in update.transitions:
        if current.state is not planned.from_state:
            raise InvalidTransitionError(
                position_machine.MACHINE_NAME, current.state.value, str(planned.trigger)
            )
        new_state, record = position_machine.fire(
            current,
            planned.trigger,
            at=at,
            reason=planned.reason,
            txid=planned.txid,
            block=planned.block,
            facts=planned.facts,
        )
        if new_state is not planned.to_state:
            raise InvalidTransitionError(
                position_machine.MACHINE_NAME, current.state.value, str(planned.trigger)
            )
        current = current.with_transition(record)
        records.append(record)
    current = (
        current.with_votes_cast(update.votes_cast)
        .with_delegation(update.delegation)
        .with_unfreeze_expire_time(update.unfreeze_expire_time_ms)
        .with_applied_operations(update.applied_operations)
        .with_conditions(update.conditions, at=at)
    )
    if update.observed_generation is not None:
        current = current.with_observed_generation(update.observed_generation)
    return current, tuple(records)
