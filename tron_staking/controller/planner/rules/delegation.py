"""Delegations: UnDelegateResource when a position leaves or its delegation changed, and
DelegateResource for positions whose stake is (or will be, this reconcile) in the pool.

Both group positions per receiver, resource and lock (one transaction per group), respect
locks (an undelegate waits for the lock; a new lock must not end before the existing one,
and restarts the lock of the whole locked amount), and never touch another position's or
unmanaged delegation: an undelegate takes only what the named positions delegated, a
delegate only what the pool holds beyond every other position's claim.
"""

from __future__ import annotations

from tron_staking.controller.planner import gate
from tron_staking.controller.planner.emit import emit
from tron_staking.controller.planner.model import intent_key
from tron_staking.controller.planner.work import (
    BLOCK_INTERVAL_MS,
    Location,
    Round,
    Work,
    first_fit,
)
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType, StakingResourceType, StakingStatusType
from tron_staking.domain.operation import JsonValue

Kind = StakingOperationType
State = StakingStatusType
Group = tuple[Address, StakingResourceType, bool, int | None]


def plan_undelegations(rnd: Round) -> None:
    groups: dict[tuple[Address, StakingResourceType, bool], list[Work]] = {}
    for w in rnd.active(State.DELEGATED):
        d = w.delegation
        if d is None or w.location is not Location.DELEGATED:
            continue
        if w.unstaking or not d.matches(w.position.spec.delegate):
            groups.setdefault((d.receiver, d.resource, d.lock), []).append(w)
    for (receiver, resource, lock), works in sorted(groups.items()):
        key = intent_key(Kind.UNDELEGATE, rnd.owner, resource, receiver, lock=lock)
        works = gate.admit(rnd, Kind.UNDELEGATE, key, works, "undelegate")
        if works and gate.pool_growth_held(rnd, resource, works, "undelegate", covered=works):
            continue
        if works and not (lock and _locked(rnd, receiver, resource, works)):
            _undelegate(rnd, key, receiver, resource, works)


def _locked(
    rnd: Round, receiver: Address, resource: StakingResourceType, works: list[Work]
) -> bool:
    record = rnd.observed.locked_record(receiver, resource)
    ends = record.lock_expire_time_ms if record else None
    if ends is None or ends < rnd.now:
        return False
    for w in works:
        w.stall("LockNotExpired", f"the delegation to {receiver} is locked until {ends}")
    rnd.wait(
        "LockNotExpired",
        f"the locked delegation to {receiver} can be undone after {ends}",
        works,
        until_ms=ends + BLOCK_INTERVAL_MS,
    )
    return True


def _undelegate(
    rnd: Round, key: str, receiver: Address, resource: StakingResourceType, works: list[Work]
) -> None:
    amount = sum(w.delegation.amount_sun for w in works if w.delegation)
    pair = (receiver, resource)
    others = sum(
        o.delegation.amount_sun
        for o in rnd.active(State.DELEGATED)
        if o.delegation
        and (o.delegation.receiver, o.delegation.resource) == pair
        and o.location is Location.DELEGATED
        and o not in works
    )
    available = rnd.ledger.undelegatable.get(pair, 0)
    remains = rnd.ledger.delegated.get(pair, 0) - amount
    if amount > available or remains < others:
        record = rnd.observed.locked_record(receiver, resource)
        ends = record.lock_expire_time_ms if record else None
        rnd.stall_all(
            works,
            "DelegationUnavailable",
            f"only {available} sun of {resource} delegated to {receiver} can be undelegated "
            "now without touching other delegations",
            contention=True,
            until_ms=ends + BLOCK_INTERVAL_MS if ends is not None and ends > rnd.now else None,
        )
        return
    why = "unstake" if all(w.unstaking for w in works) else "delegation changed"
    emit(
        rnd,
        Kind.UNDELEGATE,
        key,
        {
            "owner_address": rnd.owner,
            "receiver_address": receiver,
            "balance": amount,
            "resource": resource.value,
        },
        works,
        f"undelegate {amount} sun of {resource} from {receiver} ({why})",
        facts={"delegated": rnd.observed.delegated_to(receiver, resource)},
    )


def plan_delegations(rnd: Round) -> None:
    groups: dict[Group, list[Work]] = {}
    for w in rnd.works.values():
        wanted = w.position.spec.delegate
        if wanted is None or w.unstaking or w.location is not Location.POOL:
            continue
        group = (wanted.receiver, w.resource, wanted.lock, wanted.effective_lock_period_blocks)
        groups.setdefault(group, []).append(w)
    planned_keys: set[str] = set()
    for group, works in sorted(groups.items(), key=lambda item: _order(item[0])):
        receiver, resource, lock, _ = group
        key = intent_key(Kind.DELEGATE, rnd.owner, resource, receiver, lock=lock)
        works = gate.admit(rnd, Kind.DELEGATE, key, works, "delegate")
        if not works:
            continue
        if key in planned_keys:
            # Another lock period to the same receiver: one locked delegation at a time.
            for w in works:
                w.progress.append("waiting for the other locked delegation to land")
            rnd.wait("SameIntentPlanned", f"{key} is planned with another lock period", works)
            continue
        if not _receiver_ready(rnd, receiver, works) or not _lock_allows(rnd, group, works):
            continue
        if _delegate(rnd, key, group, works):
            planned_keys.add(key)


def _order(group: Group) -> tuple[str, str, bool, int]:
    return (group[0], group[1].value, group[2], group[3] or 0)


def _receiver_ready(rnd: Round, receiver: Address, works: list[Work]) -> bool:
    activated = rnd.observed.receivers_activated.get(receiver)
    if activated is True:
        return True
    code = "ReceiverNotActivated" if activated is False else "ReceiverUnknown"
    message = (
        f"the receiver {receiver} is not an activated account"
        if activated is False
        else f"the receiver {receiver} was not observed"
    )
    for w in works:
        w.stall(code, message)
    rnd.warn(code, message, works)
    rnd.retry_later(works)
    return False


def _lock_allows(rnd: Round, group: Group, works: list[Work]) -> bool:
    receiver, resource, lock, period = group
    if not lock or period is None:
        return True
    record = rnd.observed.locked_record(receiver, resource)
    ends = record.lock_expire_time_ms if record else None
    if ends is None or ends <= rnd.now:
        return True
    remaining = ends - rnd.now
    if period * BLOCK_INTERVAL_MS < remaining:
        for w in works:
            w.stall(
                "LockPeriodTooShort",
                f"a lock of {period} blocks is shorter than the {remaining} ms left on the "
                f"existing lock to {receiver}",
            )
        rnd.wait(
            "LockPeriodTooShort",
            "the new lock must not end before the existing one",
            works,
            until_ms=ends - period * BLOCK_INTERVAL_MS,
        )
        return False
    locked_others = [
        o
        for o in rnd.active(State.DELEGATED)
        if o.delegation
        and o.delegation.lock
        and o.delegation.receiver == receiver
        and o.delegation.resource == resource
    ]
    if locked_others:
        rnd.warn(
            "LockReset",
            f"a new locked delegation to {receiver} restarts the lock of the whole locked "
            f"{resource} amount ({period} blocks)",
            locked_others,
        )
    return True


def _delegate(rnd: Round, key: str, group: Group, works: list[Work]) -> bool:
    receiver, resource, lock, period = group
    ledger = rnd.ledger
    others = rnd.pool_claims(resource) - sum(w.amount_sun for w in works)
    room = min(ledger.can_delegate[resource], ledger.frozen[resource] - others)
    chosen, left_out = first_fit(works, room)
    for w, left in left_out:
        w.stall(
            "CanDelegateInsufficient",
            f"only {max(left, 0)} sun of {resource} can be delegated now (resource usage or "
            "stake held elsewhere)",
        )
    if left_out:
        rnd.retry_later([w for w, _ in left_out], contention=True)
    amount = sum(w.amount_sun for w in chosen)
    if chosen and not gate.rides_with_dependency(rnd, Kind.DELEGATE, chosen, amount):
        arriving = [w for w in chosen if w.arriving_by is not None]
        for w in arriving:
            w.progress.append(f"the delegate waits for the {w.arriving_by} to be included")
        rnd.wait(
            "AwaitingInclusion",
            "the frozen pool could cover this delegate without the pending transaction: it "
            "waits for its inclusion so that a dropped transaction cannot leave it using "
            "stake the service does not manage",
            arriving,
        )
        chosen = [w for w in chosen if w.arriving_by is None]
        amount = sum(w.amount_sun for w in chosen)
    if not chosen:
        return False
    params: dict[str, JsonValue] = {
        "owner_address": rnd.owner,
        "receiver_address": receiver,
        "balance": amount,
        "resource": resource.value,
        "lock": lock,
    }
    if lock and period is not None:
        params["lock_period"] = period
    return emit(
        rnd,
        Kind.DELEGATE,
        key,
        params,
        chosen,
        f"delegate {amount} sun of {resource} to {receiver}"
        + (f" locked for {period} blocks" if lock else ""),
        facts={"receiver_activated": True, "staked": rnd.observed.staked(resource)},
    )
