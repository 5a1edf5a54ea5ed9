"""Status: each position's conditions, facets and observed generation, and the requeue delay.

Readiness (design §4): ``state`` follows inclusion on the head. A position whose state and
facets match its spec on the head is ``Ready=True`` only when every operation that served it
is final (its block at or below the solid block); until then ``Ready=False`` and
``Progressing=True``, both with reason ``AwaitingFinality``. A problem that may resolve is
``Stalled=True`` with its reason. Owner-level chores (claims) never touch a position.

``hold`` is the answer when the snapshot cannot be trusted (an empty account for a managed
owner, unconfirmed drift): no transition, no action, ``Progressing=True`` with the reason, a
look again after one block.
"""

from __future__ import annotations

from tron_staking.controller.planner.model import Notice, Plan, PositionUpdate
from tron_staking.controller.planner.work import Round, Work, work_of
from tron_staking.domain import votes
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import (
    ConditionType,
    OperationState,
    StakingOperationType,
    StakingStatusType,
)
from tron_staking.domain.operation import Operation

Kind = StakingOperationType
State = StakingStatusType
READY, PROGRESSING, STALLED, DRIFTED = (
    ConditionType.READY,
    ConditionType.PROGRESSING,
    ConditionType.STALLED,
    ConditionType.DRIFTED,
)
_OWNER_CHORES = frozenset({Kind.CLAIM_REWARDS})


def result(rnd: Round) -> Plan:
    updates = [_update(rnd, w) for w in rnd.works.values()]
    updates += [_finished(p_work) for p_work in (work_of(p) for p in rnd.finished)]
    return Plan(
        owner=rnd.owner,
        chain_block=rnd.head,
        chain_time_ms=rnd.now,
        actions=tuple(rnd.actions),
        updates=tuple(updates),
        drift=tuple(rnd.drift),
        warnings=tuple(rnd.warnings),
        waiting_for=tuple(rnd.waiting),
        requeue_after_s=_requeue_after_s(rnd),
    )


def hold(rnd: Round, reason: str, message: str, *, needs_confirmation: bool) -> Plan:
    """No decision on this snapshot: see the module docstring."""
    updates = []
    for w in (work_of(x.position) for x in rnd.works.values()):
        updates.append(
            PositionUpdate(
                position_id=w.id,
                transitions=(),
                votes_cast=w.votes_cast,
                delegation=w.delegation,
                unfreeze_expire_time_ms=w.unfreeze_expire_time_ms,
                applied_operations=(),
                conditions=(ConditionUpdate.true(PROGRESSING, reason, message),),
            )
        )
    return Plan(
        owner=rnd.owner,
        chain_block=rnd.head,
        chain_time_ms=rnd.now,
        actions=(),
        updates=tuple(updates),
        drift=(),
        warnings=(),
        waiting_for=(Notice(reason, message, tuple(u.position_id for u in updates)),),
        requeue_after_s=rnd.policy.block_interval_s,
        needs_confirmation=needs_confirmation,
    )


def _serves(op: Operation, w: Work) -> bool:
    if op.kind in _OWNER_CHORES or (w.id not in op.position_ids and w.id not in op.position_votes):
        return False
    return not recasts_ready_votes(op, w)


def recasts_ready_votes(op: Operation, w: Work) -> bool:
    """``op`` is a vote casting the votes of ``w`` — Ready for its generation — again as they
    are (a new position of the owner needs a new list, and a list replaces the account's):
    it changes nothing for ``w`` whether it lands, is dropped or is refused, so ``w`` keeps
    its Ready while it is in flight and until it is final."""
    position = w.position
    return (
        op.kind is Kind.VOTE
        and position.ready
        and position.observed_generation == position.generation
        and op.position_votes.get(w.id, ()) == w.votes_cast
    )


def _awaiting_finality(rnd: Round, w: Work) -> list[Operation]:
    """Landed operations serving ``w`` whose block is above the solid block."""
    solid = rnd.observed.solid_block_number
    return [
        op
        for op in rnd.operations
        if op.state is OperationState.INCLUDED
        and op.block is not None
        and solid < op.block <= rnd.head
        and _serves(op, w)
    ]


def _converged(w: Work) -> bool:
    spec = w.position.spec
    target = w.position.target_state
    if w.state is not target:
        return False
    if target is State.WITHDRAWN:
        return True
    wanted_votes = votes.allocate_position_votes(w.amount_sun, spec.votes)
    if spec.votes and (not wanted_votes or w.votes_cast != wanted_votes):
        return False
    if not spec.votes and w.votes_cast:
        return False
    if spec.delegate is None:
        return w.delegation is None
    return w.delegation is not None and w.delegation.matches(spec.delegate)


def _update(rnd: Round, w: Work) -> PositionUpdate:
    for op in rnd.unresolved:
        if _serves(op, w):
            w.progress.append(f"{op.kind.value} {op.txid} is {op.state.value}")
    if w.state is State.UNFREEZING and w.unfreeze_expire_time_ms is not None:
        rnd.requeue_at(w.unfreeze_expire_time_ms)
        w.progress.append(f"unfreezing until {w.unfreeze_expire_time_ms}")
    on_head = w.state is State.WITHDRAWN or (_converged(w) and not w.problems and not w.progress)
    pending = _awaiting_finality(rnd, w) if on_head else []
    if on_head and not pending:
        conditions = _ready(w)
    elif on_head:
        txids = ", ".join(f"{op.kind.value} {op.txid}" for op in pending)
        conditions = [
            ConditionUpdate.false(READY, "AwaitingFinality", f"{txids}: not final yet"),
            ConditionUpdate.true(PROGRESSING, "AwaitingFinality", f"waiting for {txids}"),
            ConditionUpdate.false(STALLED, "NoProblem"),
        ]
    else:
        conditions = _not_ready(w)
    if w.drifted:
        code, message = w.drifted[0]
        conditions.append(ConditionUpdate.true(DRIFTED, code, message))
    elif on_head:
        conditions.append(ConditionUpdate.false(DRIFTED, "InSync", "the chain matches"))
    final = on_head and not pending
    return PositionUpdate(
        position_id=w.id,
        transitions=tuple(w.transitions),
        votes_cast=w.votes_cast,
        delegation=w.delegation,
        unfreeze_expire_time_ms=w.unfreeze_expire_time_ms,
        applied_operations=tuple(w.applied),
        conditions=tuple(conditions),
        observed_generation=w.position.generation if final else None,
    )


def _finished(w: Work) -> PositionUpdate:
    conditions = [*_ready(w), ConditionUpdate.false(DRIFTED, "InSync", "the chain matches")]
    return PositionUpdate(
        position_id=w.id,
        transitions=(),
        votes_cast=w.votes_cast,
        delegation=w.delegation,
        unfreeze_expire_time_ms=w.unfreeze_expire_time_ms,
        applied_operations=(),
        conditions=tuple(conditions),
        observed_generation=w.position.generation,
    )


def _ready(w: Work) -> list[ConditionUpdate]:
    reason = "Withdrawn" if w.state is State.WITHDRAWN else "Converged"
    return [
        ConditionUpdate.true(READY, reason, f"the chain matches the spec ({w.state}), final"),
        ConditionUpdate.false(PROGRESSING, reason, "nothing to do"),
        ConditionUpdate.false(STALLED, "NoProblem"),
    ]


def _not_ready(w: Work) -> list[ConditionUpdate]:
    target = w.position.target_state
    conditions = [
        ConditionUpdate.false(READY, _not_ready_reason(w), f"{w.state} on the way to {target}")
    ]
    if w.problems:
        reason, message = w.problems[0]
        conditions += [
            ConditionUpdate.true(STALLED, reason, "; ".join(m for _, m in w.problems)),
            ConditionUpdate.false(PROGRESSING, reason, message),
        ]
    else:
        conditions += [
            ConditionUpdate.false(STALLED, "NoProblem"),
            ConditionUpdate.true(
                PROGRESSING,
                "Reconciling",
                "; ".join(dict.fromkeys(w.progress)) or f"moving to {target}",
            ),
        ]
    return conditions


def _not_ready_reason(w: Work) -> str:
    if w.problems:
        return w.problems[0][0]
    if w.drifted:
        return w.drifted[0][0]
    if w.position.unstake_requested:
        return "Unstaking"
    return {
        State.PENDING: "Pending",
        State.FROZEN: "Frozen",
        State.VOTING: "Voting",
        State.DELEGATED: "Delegated",
    }.get(w.state, "Converging")


def _requeue_after_s(rnd: Round) -> float:
    """The soonest of: one block while anything is planned or in flight, the known chain
    times waited for (a lock's end, an unfreeze's maturity, a back-off), the resync period,
    and the stall retry for stalls whose end is not known. A position waiting for a known
    time is not retried before it; nor is one held only by the account's own contention
    when something in the account frees at a known time. Never sooner than one block or
    one second, whichever is shorter."""
    if rnd.actions or any(op.in_flight for op in rnd.operations):
        rnd.requeue.append(rnd.policy.block_interval_s)
    timed = [n for n in rnd.waiting if n.until_ms is not None and n.until_ms > rnd.now]
    known = {pid for n in timed for pid in n.position_ids}
    for ids, contention in rnd.retries:
        if (ids and set(ids) <= known) or (contention and timed):
            continue
        rnd.requeue.append(rnd.policy.stalled_retry_s)
        break
    return max(min(1.0, rnd.policy.block_interval_s), min(rnd.requeue))
