"""FreezeBalanceV2: one per resource, batching every ``pending`` position that fits.

A freeze must leave the balance able to pay the fees of what it makes necessary in the same
reconcile — the position's vote and its delegate — so those fees are reserved with it.
Positions that do not fit wait with ``InsufficientBalance``. A position an outside unfreeze
took part of (drift, ``Work.short_sun``) is repaired by freezing only that part.
"""

from __future__ import annotations

from tron_staking.controller.planner import gate
from tron_staking.controller.planner.emit import emit
from tron_staking.controller.planner.model import intent_key
from tron_staking.controller.planner.work import Location, Round, Work, first_fit
from tron_staking.domain import amounts, bandwidth
from tron_staking.domain.enums import StakingOperationType, StakingResourceType, StakingStatusType

Kind = StakingOperationType
State = StakingStatusType


def plan_freezes(rnd: Round) -> None:
    for resource in StakingResourceType:
        pending = [
            w
            for w in rnd.works.values()
            if w.state is State.PENDING
            and not w.unstaking
            and w.resource is resource
            and w.location is Location.NONE
        ]
        short = [
            w
            for w in rnd.works.values()
            if w.short_sun > 0
            and not w.unstaking
            and w.resource is resource
            and w.state in (State.FROZEN, State.VOTING)
        ]
        if not pending and not short:
            continue
        key = intent_key(Kind.FREEZE, rnd.owner, resource)
        admitted = gate.admit(rnd, Kind.FREEZE, key, [*pending, *short], "freeze")
        if admitted:
            _freeze(rnd, key, resource, admitted)


def follow_up_sizes(rnd: Round, works: list[Work]) -> tuple[int, ...]:
    """The transactions the freeze of ``works`` makes necessary in this reconcile: one vote
    (unless one is planned already) and one delegate per receiver and lock."""
    sizes: list[int] = []
    if any(w.position.spec.votes for w in works) and not rnd.planned(Kind.VOTE):
        entries = {v.witness for w in works for v in w.position.spec.votes}
        sizes.append(bandwidth.estimate_bytes(Kind.VOTE, vote_entries=len(entries)))
    delegations = {
        (d.receiver, d.lock) for w in works if (d := w.position.spec.delegate) is not None
    }
    for _, lock in sorted(delegations):
        sizes.append(bandwidth.estimate_bytes(Kind.DELEGATE, resource=works[0].resource, lock=lock))
    return tuple(sizes)


def _freeze(rnd: Round, key: str, resource: StakingResourceType, admitted: list[Work]) -> None:
    size = bandwidth.estimate_bytes(Kind.FREEZE, resource=resource)
    ledger = rnd.ledger
    pending = [w for w in admitted if w.state is State.PENDING]
    fees = ledger.fees_for((size, *follow_up_sizes(rnd, pending)))
    room = ledger.balance_sun - fees
    chosen, left_out = first_fit(pending, room)
    room -= sum(w.amount_sun for w in chosen)
    repairs = []
    for w in (w for w in admitted if w.state is not State.PENDING):
        if repair_sun(w) <= room:
            repairs.append(w)
            room -= repair_sun(w)
        else:
            left_out.append((w, room))
    if left_out:
        for w, left in left_out:
            w.stall(
                "InsufficientBalance",
                f"freezing {w.amount_sun} sun needs that much balance plus the fees of the "
                f"freeze and what follows it; {max(left, 0)} sun is left",
            )
        short = [w for w, _ in left_out]
        needed = fees + sum(
            w.amount_sun if w.state is State.PENDING else repair_sun(w) for w in admitted
        )
        until = rnd.balance_frees_at(needed)
        rnd.wait(
            "InsufficientBalance",
            f"the balance does not cover every pending {resource} position",
            short,
            until_ms=until,
        )
        rnd.retry_later(short, until_ms=until)
    if not chosen and not repairs:
        return
    if gate.pool_growth_held(rnd, resource, [*chosen, *repairs], "freeze", covered=chosen):
        return
    amount = sum(w.amount_sun for w in chosen) + sum(repair_sun(w) for w in repairs)
    emit(
        rnd,
        Kind.FREEZE,
        key,
        {"owner_address": rnd.owner, "frozen_balance": amount, "resource": resource.value},
        [*chosen, *repairs],
        f"freeze {amount} sun for {resource} ({len(chosen)} positions, {len(repairs)} repaired)",
        facts={"balance": rnd.observed.balance_sun},
        reserve_sizes=follow_up_sizes(rnd, chosen),
    )


def repair_sun(w: Work) -> int:
    """What a position's repair freezes: the part an outside unfreeze took (java-tron's
    minimum freeze is 1 TRX)."""
    return max(w.short_sun, amounts.SUN_PER_TRX)
