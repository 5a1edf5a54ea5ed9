"""Unstaking: UnfreezeBalanceV2 for leaving positions whose stake is in the pool (or will be,
by an undelegate sent in the same reconcile), within the 32 pending unfreezes, and
WithdrawExpireUnfreeze for matured ones.

An unfreeze takes only what the leaving positions hold: the pool must still cover every
other position's claim afterwards. Its re-vote (so java-tron's rescale never cuts other
positions' votes) is planned by the vote rule in the same reconcile and sent before it; when
a lost re-vote would let the rescale cut anyone else's votes, ``Round.held_unfreezes`` holds
the unfreeze back until the re-vote is visible (see ``vote.check_rescale``).
"""

from __future__ import annotations

from tron_staking.controller.planner import gate
from tron_staking.controller.planner.emit import emit
from tron_staking.controller.planner.model import intent_key
from tron_staking.controller.planner.work import Location, Round, Work, first_fit
from tron_staking.domain.enums import StakingOperationType, StakingResourceType, StakingStatusType

Kind = StakingOperationType
State = StakingStatusType


def plan_unfreezes(rnd: Round) -> None:
    for resource in StakingResourceType:
        ready = [
            w
            for w in rnd.works.values()
            if w.unstaking
            and w.resource is resource
            and w.location is Location.POOL
            and w.state in (State.FROZEN, State.VOTING, State.DELEGATED)
        ]
        if not ready:
            continue
        if resource in rnd.held_unfreezes:
            rnd.wait("VoteFirst", "the unfreeze would rescale other positions' votes", ready)
            for w in ready:
                w.progress.append("the unfreeze waits for a re-vote")
            continue
        key = intent_key(Kind.UNFREEZE, rnd.owner, resource)
        ready = gate.admit(rnd, Kind.UNFREEZE, key, ready, "unfreeze")
        if ready and _slot_free(rnd, ready):
            _unfreeze(rnd, key, resource, ready)


def _slot_free(rnd: Round, ready: list[Work]) -> bool:
    if rnd.ledger.unfreeze_slots > 0:
        return True
    pending = rnd.observed.unfreezing_pending(rnd.now)
    soonest = min((e.expire_time_ms for e in pending), default=rnd.now)
    for w in ready:
        w.stall("UnfreezeLimit", "32 unfreezes are pending on this account")
    rnd.warn("UnfreezeLimit", f"32 unfreezes are pending; the next frees at {soonest}", ready)
    rnd.wait("UnfreezeLimit", "waiting for a pending unfreeze to mature", ready, until_ms=soonest)
    return False


def _unfreeze(rnd: Round, key: str, resource: StakingResourceType, ready: list[Work]) -> None:
    ledger = rnd.ledger
    others = rnd.pool_claims(resource) - sum(w.amount_sun for w in ready)
    chosen, left_out = first_fit(ready, ledger.frozen[resource] - others)
    for w, _ in left_out:
        w.stall(
            "FrozenBalanceInUse",
            f"frozen {resource} on chain does not cover this position besides the others",
        )
    if left_out:
        rnd.retry_later([w for w, _ in left_out], contention=True)
    amount = sum(w.amount_sun for w in chosen)
    if chosen and not gate.rides_with_dependency(rnd, Kind.UNFREEZE, chosen, amount):
        arriving = [w for w in chosen if w.arriving_by is not None]
        for w in arriving:
            w.progress.append(f"the unfreeze waits for the {w.arriving_by} to be included")
        rnd.wait(
            "AwaitingInclusion",
            "the frozen pool could cover this unfreeze without the pending undelegate: it "
            "waits for its inclusion",
            arriving,
        )
        chosen = [w for w in chosen if w.arriving_by is None]
        amount = sum(w.amount_sun for w in chosen)
    if not chosen:
        return
    emit(
        rnd,
        Kind.UNFREEZE,
        key,
        {"owner_address": rnd.owner, "unfreeze_balance": amount, "resource": resource.value},
        chosen,
        f"unfreeze {amount} sun of {resource} for {len(chosen)} unstaked positions",
        facts={"staked": rnd.observed.staked(resource)},
    )


def plan_withdraw_expired(rnd: Round) -> None:
    claimable = rnd.active(State.CLAIMABLE)
    # Matured unfreezes made outside the service also pay for freezes that lack balance.
    short = [
        w
        for w in rnd.active(State.PENDING)
        if not w.unstaking and w.amount_sun > rnd.ledger.balance_sun
    ]
    withdrawable = rnd.ledger.withdrawable_sun
    if rnd.planned(Kind.UNFREEZE) or withdrawable <= 0 or not (claimable or short):
        return
    key = intent_key(Kind.WITHDRAW_EXPIRE_UNFREEZE, rnd.owner)
    if gate.intent_in_flight(rnd, key) is not None:
        gate.admit(rnd, Kind.WITHDRAW_EXPIRE_UNFREEZE, key, claimable, "withdraw")
        return
    why = "matured unstakes" if claimable else "balance for pending freezes"
    emit(
        rnd,
        Kind.WITHDRAW_EXPIRE_UNFREEZE,
        key,
        {"owner_address": rnd.owner},
        claimable,
        f"withdraw {withdrawable} sun of matured unfreezes ({why})",
        facts={"withdrawable": withdrawable},
        amount_sun=withdrawable,
    )
