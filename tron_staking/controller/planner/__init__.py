"""The planner: from an owner's declared positions and one chain observation to a ``Plan``.

``plan(positions, observed, in_flight, chain_time_ms, policy, *, claim_requested,
confirmation)`` is a pure, synchronous function for ONE owner: no I/O, no clock, no logging;
the same inputs give the same plan. ``model`` holds the shapes it returns; the phases live in
their own modules (evidence, drift, resource ledger, one rule module per action kind, the
dependency gate, status). Callers import the package (``planner.plan(...)``,
``planner.Plan``).

The reconciler takes the snapshot first, then advances the owner's operations (so every
operation in a block at or below the snapshot's head is known as included), then calls
``plan`` and

1. if ``plan.needs_confirmation``: the head snapshot contradicts the positions (drift) and
   acting on it would move funds; it reads a confirming snapshot (``walletsolidity``, or the
   head again at a later block) and calls ``plan`` again with ``confirmation=``. The first
   plan holds no action that depends on the contradiction, so executing it is safe too;
2. applies each ``PositionUpdate`` with ``apply_update`` (it fires the position machine and
   sets facets, applied operations and conditions) and persists the positions;
3. hands ``plan.actions`` to the executor, in order (one transaction each), creating each
   operation with the action's ``intent_key``, ``position_ids``, ``position_votes`` and
   ``basis`` (``Operation.new(..., basis=action.basis)``);
4. looks again after ``plan.requeue_after_s``.

Inputs the executor keeps on operations and the planner reads: ``maybe_delivered`` (an
attempt ended without a definitive answer), ``error`` (the decoded java-tron reason of a
rejection), ``final_at_ms`` (head block time when it became rejected/expired) and ``basis``.

Rules (issue 8; design §4–§5):

* **Evidence.** Every landed operation (``included``/``solidified``, block at or below the
  snapshot's head) not yet in a position's ``applied_operations`` is applied to the positions
  it names, as the matching inclusion trigger. ``state`` follows inclusion on the head.
* **Trustworthy evidence.** ``observed.exists`` False for an owner with managed stake or
  landed operations is a read fault (TRON accounts cannot be deleted): no decision, condition
  ``Progressing``/``ReadFault``, requeue one block. Drift (stake, delegation, votes or an
  unfreeze entry the positions hold and the chain lacks) is acted on only when
  ``confirmation`` shows the same drift; until then the round is held: no transition, no
  action, ``Progressing``/``AwaitingConfirmation``, requeue one block, ``needs_confirmation``.
  A snapshot that lacks the effect of an operation included at or below its head (a lagging
  node) shows as such drift, and no confirmation can agree while the operation is above the
  confirming snapshot's head — so a stale snapshot yields no decision, only a requeue.
* **Exactly once per position.** No new additive action (freeze, unfreeze, delegate,
  undelegate) names a position that a non-final additive operation of the same kind already
  names, whatever its intent key; no action reuses the intent key of a non-final operation.
  Finality is waited for only before sending the same intent again.
* **One-block convergence.** Independent intents go out in the same reconcile, in the order
  undelegate → withdraw → claim → freeze → vote → unfreeze → delegate (``rules.SEND_ORDER``;
  java-tron applies a block's transactions in that order). A delegate (or unfreeze) rides
  with the freeze (or undelegate) it depends on only if the frozen pool without that pending
  transaction could not cover it; else it waits for its inclusion (``gate.DEPENDS_ON``). A
  re-vote goes out in the same reconcile as the unfreeze it prepares, never earlier.
* **Drift repair.** A position whose stake an outside unfreeze took only in part keeps its
  state; a freeze of the missing part repairs it (never the whole amount again).
* **Requeue.** A stall whose end is a known chain time (a lock's end, an unfreeze maturing,
  the 32-unfreeze limit freeing) is looked at again then, not after ``stalled_retry_s``.
* **One resource ledger** (balance, staked and free bandwidth, frozen pool, delegatable,
  undelegatable, tron power, votes) with every unresolved operation's effect and every action
  already planned applied; a limit that may resolve becomes ``Stalled`` with a retry time.
* **Rejections.** A rejected operation's decoded reason becomes ``Stalled`` on the positions
  it named; the same intent with the same ``basis`` is retried after one resync period,
  doubling per rejection, capped at ``policy.max_backoff_s``. A spec change or changed chain
  fact changes the basis and resets the back-off.
* **Readiness.** ``Ready=True`` only when the spec's effects are final (at or below the solid
  block); between inclusion and finality ``Progressing=True`` reason ``AwaitingFinality``.
  Claiming rewards is an owner-level chore and never changes a position's Ready.

Intent keys (unique among non-final operations): ``freeze:<owner>:<resource>``,
``unfreeze:<owner>:<resource>``, ``vote:<owner>``,
``delegate:<owner>:<receiver>:<resource>:<locked|unlocked>``,
``undelegate:<owner>:<receiver>:<resource>:<locked|unlocked>``,
``withdraw_expire_unfreeze:<owner>``, ``claim_rewards:<owner>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from tron_staking.controller.planner import drift, evidence, rules, status
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
from tron_staking.controller.planner.rules import claim, delegation, freeze, unstake, vote
from tron_staking.controller.planner.work import Round
from tron_staking.domain.enums import StakingResourceType, StakingStatusType
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
    confirmation: AccountSnapshot | None = None,
) -> Plan:
    """Decide what to do next for the owner of ``observed``.

    ``positions``: all of the owner's positions (terminal ones are ignored). ``in_flight``: the
    owner's operations that are not final, plus those that became final within the last day
    (landed ones are the evidence of what happened, rejected ones drive the back-off; each
    position remembers which it has applied, so passing more is harmless). ``chain_time_ms``:
    the head block time of ``observed``. ``claim_requested``: a one-shot claim request is
    pending for the owner. ``confirmation``: a second observation of the same owner — the
    solid state (``walletsolidity``) or a snapshot at another head — read because a previous
    plan said ``needs_confirmation``; drift is acted on only when it holds there too.

    Raises ValueError if a position (or ``confirmation``) belongs to another owner. Never
    performs I/O.
    """
    policy = policy or PlannerPolicy()
    if confirmation is not None and confirmation.owner != observed.owner:
        raise ValueError(f"confirmation of {confirmation.owner}, not {observed.owner}")
    held: set[StakingResourceType] = set()
    while True:
        rnd = Round(positions, observed, in_flight, chain_time_ms, policy, claim_requested)
        rnd.held_unfreezes = set(held)
        result = _decide(rnd, confirmation)
        if rnd.held_unfreezes <= held:
            return result
        held |= rnd.held_unfreezes


def _decide(rnd: Round, confirmation: AccountSnapshot | None) -> Plan:
    """The phases of one round, in order (see the module docstring)."""
    if _read_fault(rnd):
        return status.hold(
            rnd,
            "ReadFault",
            f"getaccount answered nothing for {rnd.owner}, which holds managed stake; TRON "
            "accounts cannot be deleted, so this is a read fault",
            needs_confirmation=False,
        )
    evidence.apply_landed(rnd)
    drift.observe(rnd)
    if not drift.confirmed(rnd, confirmation):
        return status.hold(
            rnd,
            "AwaitingConfirmation",
            "the snapshot contradicts the positions or an included operation; a second "
            "snapshot (the solid state or a later head) must agree before anything is done",
            needs_confirmation=True,
        )
    rnd.drift.extend(drift.findings(rnd, list(rnd.works.values()), rnd.observed))
    if not rnd.observed.exists:
        _owner_not_activated(rnd)
        return status.result(rnd)
    evidence.locate(rnd)
    delegation.plan_undelegations(rnd)
    unstake.plan_unfreezes(rnd)
    unstake.plan_withdraw_expired(rnd)
    claim.plan_claim(rnd)
    freeze.plan_freezes(rnd)
    vote.plan_vote(rnd)
    vote.check_rescale(rnd)
    delegation.plan_delegations(rnd)
    rnd.actions.sort(key=lambda a: rules.SEND_ORDER[a.kind])
    return status.result(rnd)


def _read_fault(rnd: Round) -> bool:
    """An empty account for an owner the service holds stake for (or has landed for)."""
    if rnd.observed.exists:
        return False
    holds = any(w.state is not StakingStatusType.PENDING for w in rnd.works.values())
    landed = any(op.state.landed for op in rnd.operations)
    return holds or landed


def _owner_not_activated(rnd: Round) -> None:
    for w in rnd.works.values():
        w.stall("OwnerNotActivated", f"the owner account {rnd.owner} does not exist")
    if rnd.works:
        rnd.wait(
            "OwnerNotActivated",
            "the owner account is not activated: send it TRX first",
            rnd.works.values(),
        )
        rnd.retry_later(rnd.works.values())


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
