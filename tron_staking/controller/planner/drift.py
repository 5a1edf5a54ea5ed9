"""Observations and drift: what the account shows beyond the service's own operations.

``observe`` handles what needs no confirmation: an unfreeze that matured, a matured unfreeze
swept by the service's own withdrawal or unfreeze, a ``pending`` position unstaked before
anything was frozen. ``findings`` detects drift — managed stake, delegations, votes or
unfreeze entries the positions hold and the account lacks (checked only where no unresolved
operation could explain the difference) — and moves the positions back to the state the
chain supports; the rules then repair them, which moves funds. So ``reconcile`` acts on
drift only when a second snapshot (the solid state, or another head) shows the same findings;
otherwise the round is held (no decision) and the caller is asked for a confirmation.
"""

from __future__ import annotations

from collections.abc import Sequence

from tron_staking.controller.planner.model import DriftFinding
from tron_staking.controller.planner.work import Round, Work, unresolved
from tron_staking.domain import votes
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType, StakingResourceType, StakingStatusType
from tron_staking.domain.ids import PositionId
from tron_staking.domain.operation import Operation
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.statemachine.position import Trigger

Kind = StakingOperationType
State = StakingStatusType
EXACT_FIT_LIMIT = 12

Finding = tuple[PositionId, str]


def observe(rnd: Round) -> None:
    """Maturity, the service's own sweeps, and unstakes of positions never frozen."""
    entries = {(e.resource, e.expire_time_ms) for e in rnd.observed.unfreezing}
    freeze_ops = [op for op in rnd.operations if op.in_flight and op.kind is Kind.FREEZE]
    sweepers = sorted(
        (
            op
            for op in rnd.operations
            if op.state.landed
            and op.kind in (Kind.WITHDRAW_EXPIRE_UNFREEZE, Kind.UNFREEZE)
            and op.block is not None
            and op.block <= rnd.head
        ),
        key=lambda op: op.block or 0,
    )
    for work in rnd.works.values():
        expire = work.unfreeze_expire_time_ms
        if work.state is State.UNFREEZING and expire is not None and rnd.now >= expire:
            work.fire(Trigger.MATURED, f"the unfreeze matured at {expire}", rnd.now)
        if work.state is State.CLAIMABLE and (work.resource, expire) not in entries:
            sweeper = next(
                (
                    op
                    for op in reversed(sweepers)
                    if expire is None or (op.block_time_ms or 0) >= expire
                ),
                None,
            )
            if sweeper is not None and work.fire(
                Trigger.WITHDRAW_INCLUDED,
                f"withdrawn by {sweeper.kind.value} {sweeper.txid}",
                rnd.now,
                operation=sweeper,
            ):
                work.unfreeze_expire_time_ms = None
        if work.state is State.PENDING and work.unstaking:
            if any(work.id in op.position_ids for op in freeze_ops):
                rnd.wait(
                    "FreezeInFlight",
                    "unstake waits for the outcome of the freeze already sent",
                    [work],
                )
            else:
                work.fire(Trigger.UNSTAKE, "unstake requested before anything was frozen", rnd.now)


def findings(rnd: Round, works: Sequence[Work], snapshot: AccountSnapshot) -> list[DriftFinding]:
    """Drift of ``works`` against ``snapshot``; fires the drift triggers on ``works`` (pass
    copies to only look). Operations not visible at the snapshot's head excuse a difference."""
    pending = [op for op in rnd.operations if unresolved(op, snapshot.head_block_number)]
    found: list[DriftFinding] = []
    _entry_drift(rnd, works, snapshot, pending, found)
    _delegation_drift(rnd, works, snapshot, pending, found)
    _stake_drift(rnd, works, snapshot, pending, found)
    _vote_drift(rnd, works, snapshot, pending, found)
    return found


def key_of(finding: DriftFinding) -> set[Finding]:
    return {(pid, finding.kind) for pid in finding.position_ids}


def _drifted(
    rnd: Round, work: Work, trigger: Trigger, code: str, message: str, found: list[DriftFinding]
) -> None:
    if work.fire(trigger, message, rnd.now):
        work.drifted.append((code, message))
        found.append(DriftFinding(str(trigger), message, (work.id,)))


def _entry_drift(
    rnd: Round,
    works: Sequence[Work],
    snapshot: AccountSnapshot,
    pending: list[Operation],
    found: list[DriftFinding],
) -> None:
    """Unfreeze entries gone before maturity (cancelled), or matured ones withdrawn outside."""
    if any(op.kind in (Kind.UNFREEZE, Kind.WITHDRAW_EXPIRE_UNFREEZE) for op in pending):
        return
    entries = {(e.resource, e.expire_time_ms) for e in snapshot.unfreezing}
    for work in works:
        expire = work.unfreeze_expire_time_ms
        if (work.resource, expire) in entries:
            continue
        if work.state is State.UNFREEZING and expire is not None:
            work.unfreeze_expire_time_ms = None
            _drifted(
                rnd,
                work,
                Trigger.UNFREEZE_CANCELLED,
                "UnfreezeCancelled",
                f"the unfreeze entry expiring at {expire} is gone before maturity "
                "(cancelled outside the service); the stake is frozen again",
                found,
            )
        elif work.state is State.CLAIMABLE and work.fire(
            Trigger.WITHDRAW_INCLUDED, "the matured unfreeze was withdrawn outside", rnd.now
        ):
            work.unfreeze_expire_time_ms = None
            found.append(
                DriftFinding(str(Trigger.WITHDRAW_INCLUDED), "withdrawn outside", (work.id,))
            )


def keep_within(works: list[Work], amount_of: dict[PositionId, int], have: int) -> list[Work]:
    """The works to drop so that the rest fit in ``have``.

    The chain cannot say whose part went missing, so the planner keeps the set of positions
    that fits best (the largest total not above ``have``, which finds the exact survivors
    whenever the loss was whole positions); among equally good sets it drops unstaking
    positions first, then the newest. Beyond ``EXACT_FIT_LIMIT`` positions it falls back
    to first fit in that order.
    """
    if sum(amount_of[w.id] for w in works) <= have:
        return []
    ranked = sorted(works, key=lambda w: (w.unstaking, w.position.created_at, w.id))
    if len(ranked) > EXACT_FIT_LIMIT:
        left, dropped = have, []
        for w in ranked:
            if amount_of[w.id] <= left:
                left -= amount_of[w.id]
            else:
                dropped.append(w)
        return dropped
    best: tuple[int, tuple[int, ...]] | None = None
    best_mask = 0
    for mask in range(1 << len(ranked)):
        kept = sum(amount_of[w.id] for i, w in enumerate(ranked) if mask >> i & 1)
        if kept > have:
            continue
        dropped_ranks = tuple(
            sorted((i for i in range(len(ranked)) if not mask >> i & 1), reverse=True)
        )
        score = (kept, dropped_ranks)
        if best is None or score > best:
            best, best_mask = score, mask
    return [w for i, w in enumerate(ranked) if not best_mask >> i & 1]


def _delegation_drift(
    rnd: Round,
    works: Sequence[Work],
    snapshot: AccountSnapshot,
    pending: list[Operation],
    found: list[DriftFinding],
) -> None:
    groups: dict[tuple[Address, StakingResourceType], list[Work]] = {}
    for w in works:
        if w.state is State.DELEGATED and w.delegation is not None:
            groups.setdefault((w.delegation.receiver, w.delegation.resource), []).append(w)
    for (receiver, resource), group in groups.items():
        if any(
            op.kind in (Kind.DELEGATE, Kind.UNDELEGATE)
            and op.params.get("receiver_address") == receiver
            and op.params.get("resource") == resource.value
            for op in pending
        ):
            continue
        amounts = {w.id: w.delegation.amount_sun if w.delegation else 0 for w in group}
        have = snapshot.delegated_to(receiver, resource)
        record = snapshot.locked_record(receiver, resource)
        locked_amount = record.amount_sun if record else 0
        # the locked record backs locked positions first; the rest, the unlocked record
        locked = [w for w in group if w.delegation and w.delegation.lock]
        overflow = keep_within(locked, amounts, locked_amount)
        unlocked = [w for w in group if w not in locked or w in overflow]
        for w in keep_within(unlocked, amounts, have - locked_amount):
            message = (
                f"the chain delegates {have} sun of {resource} to {receiver}; the positions "
                f"claim {sum(amounts.values())}"
            )
            w.delegation = None
            _drifted(rnd, w, Trigger.DELEGATION_LOST, "DelegationLost", message, found)


def _stake_drift(
    rnd: Round,
    works: Sequence[Work],
    snapshot: AccountSnapshot,
    pending: list[Operation],
    found: list[DriftFinding],
) -> None:
    for resource in StakingResourceType:
        if any(
            op.params.get("resource") == resource.value
            and op.kind in (Kind.UNFREEZE, Kind.FREEZE, Kind.DELEGATE, Kind.UNDELEGATE)
            for op in pending
        ):
            continue
        # Delegated positions are backed by their delegations (checked per receiver just
        # before); what is left of the stake backs the positions that are only frozen.
        delegated = [
            w
            for w in works
            if w.resource is resource and w.state is State.DELEGATED and w.delegation
        ]
        frozen = [
            w for w in works if w.resource is resource and w.state in (State.FROZEN, State.VOTING)
        ]
        claimed = sum(w.amount_sun for w in frozen) + sum(w.amount_sun for w in delegated)
        have = snapshot.staked(resource) - sum(w.amount_sun for w in delegated)
        if have < 0:
            frozen, have = frozen + delegated, snapshot.staked(resource)
        amounts = {w.id: w.amount_sun for w in frozen}
        dropped = keep_within(frozen, amounts, have)
        left = have - sum(w.amount_sun for w in frozen) + sum(w.amount_sun for w in dropped)
        message = (
            f"the chain holds {snapshot.staked(resource)} sun of {resource} stake; "
            f"the positions claim {claimed}"
        )
        for w in dropped:
            kept = max(min(left, w.amount_sun), 0)
            left -= kept
            if kept > 0 and not w.unstaking and w.state in (State.FROZEN, State.VOTING):
                w.short_sun = w.amount_sun - kept
                w.drifted.append(("StakeLost", f"{message}; {w.short_sun} sun of it is gone"))
                found.append(DriftFinding("stake_short", message, (w.id,)))
                continue
            w.votes_cast = ()
            w.delegation = None
            _drifted(rnd, w, Trigger.STAKE_LOST, "StakeLost", message, found)


def _vote_drift(
    rnd: Round,
    works: Sequence[Work],
    snapshot: AccountSnapshot,
    pending: list[Operation],
    found: list[DriftFinding],
) -> None:
    if any(op.kind in (Kind.VOTE, Kind.UNFREEZE) for op in pending):
        return
    expected = votes.add(*(votes.by_witness(w.votes_cast) for w in works))
    have = snapshot.votes_by_witness
    short = {witness for witness, count in expected.items() if have.get(witness, 0) < count}
    if not short:
        return
    for w in works:
        lost = sorted({v.witness for v in w.votes_cast} & short)
        if not lost:
            continue
        message = f"the account's votes for {', '.join(lost)} are lower than the positions cast"
        w.votes_cast = ()
        if w.state in (State.VOTING, State.DELEGATED):
            _drifted(rnd, w, Trigger.VOTES_LOST, "VotesLost", message, found)
        else:
            w.drifted.append(("VotesLost", message))
            found.append(DriftFinding(str(Trigger.VOTES_LOST), message, (w.id,)))


def confirmed(rnd: Round, confirmation: AccountSnapshot | None) -> bool:
    """True when the drift the head snapshot shows (on copies of the works) shows in
    ``confirmation`` too, for every position; a snapshot at the same head confirms nothing."""
    on_head = findings(rnd, [w.copy() for w in rnd.works.values()], rnd.observed)
    if not on_head:
        return True
    if (
        confirmation is None
        or not confirmation.exists
        or confirmation.head_block_number == rnd.observed.head_block_number
    ):
        return False
    seen = findings(rnd, [w.copy() for w in rnd.works.values()], confirmation)
    agreed = set().union(*(key_of(f) for f in seen)) if seen else set()
    needed = set().union(*(key_of(f) for f in on_head))
    return needed <= agreed
