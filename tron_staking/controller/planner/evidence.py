"""The evidence ledger: landed operations applied once, and what is still on its way.

``apply_landed`` applies every operation in a block at or below the snapshot's head
(``included``/``solidified``) that a position has not applied yet, as the matching inclusion
trigger, in block order (and, inside a block, in the order the planner sends them).
Operations carry exactly what they did to each position, so nothing is inferred from account
totals. ``account_for_unresolved`` applies every operation not visible in the snapshot (sent
but not included, or included above the head) to the resource ledger and to the positions'
expected location, so no rule spends the same balance or stake twice.
"""

from __future__ import annotations

from tron_staking.controller.planner import rules
from tron_staking.controller.planner.ledger import size_of
from tron_staking.controller.planner.work import BLOCK_INTERVAL_MS, Location, Round, Work
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType, StakingStatusType
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import ChainDelegation
from tron_staking.statemachine.position import Trigger

Kind = StakingOperationType
State = StakingStatusType

KIND_ORDER = rules.SEND_ORDER
"""Inside one reconcile's batch, operations land in the order they were sent."""

_VISIBLE_LOCATION = {
    State.PENDING: Location.NONE,
    State.FROZEN: Location.POOL,
    State.VOTING: Location.POOL,
    State.DELEGATED: Location.DELEGATED,
}


def apply_landed(rnd: Round) -> None:
    """Apply landed operations in chain order: by block, then by batch (operations built in
    one reconcile share their chain-time expiration), then in the order they were sent. An
    operation that does not apply to a position's state is tried again once after the others
    (it may follow one that landed in the same block), then reported and remembered."""
    landed = [
        op
        for op in rnd.operations
        if op.state.landed and op.block is not None and op.block <= rnd.head
    ]
    landed.sort(key=lambda op: (op.block or 0, op.expiration_ms, KIND_ORDER[op.kind], op.id))
    retry: list[tuple[Operation, Work, int | None]] = []
    for op in landed:
        expire = _unfreeze_expiry(rnd, op) if op.kind is Kind.UNFREEZE else None
        for pid in dict.fromkeys([*op.position_ids, *op.position_votes]):
            work = rnd.works.get(pid)
            if work is None or op.id in work.position.applied_operations:
                continue
            if _apply(rnd, op, work, expire):
                work.applied.append(op.id)
            else:
                retry.append((op, work, expire))
    for op, work, expire in retry:
        if not _apply(rnd, op, work, expire):
            rnd.warn(
                "OperationNotApplicable",
                f"{op.kind.value} {op.txid} names {work.id}, which is {work.state.value}; "
                "its effect is not applied to the position",
                [work],
            )
        work.applied.append(op.id)


def _apply(rnd: Round, op: Operation, work: Work, expire: int | None) -> bool:
    reason = f"{op.kind.value} {op.txid} included in block {op.block}"
    if op.kind is Kind.FREEZE:
        if work.state.holds_stake:
            return True  # a repair of stake an outside unfreeze took: no transition
        frozen = work.fire(Trigger.FREEZE_INCLUDED, reason, rnd.now, operation=op)
        if frozen and work.votes_cast:
            work.fire(Trigger.VOTE_INCLUDED, "its votes landed before its freeze", rnd.now)
        return frozen
    if op.kind is Kind.VOTE:
        return _apply_vote(rnd, op, work, reason)
    if op.kind is Kind.DELEGATE:
        if work.state not in (State.FROZEN, State.VOTING):
            return False
        lock = op.params.get("lock") is True
        period = op.params.get("lock_period")
        work.delegation = ChainDelegation(
            receiver=Address(str(op.params["receiver_address"])),
            resource=work.resource,
            lock=lock,
            lock_period_blocks=period if lock and isinstance(period, int) else None,
            amount_sun=work.amount_sun,
        )
        return work.fire(Trigger.DELEGATE_INCLUDED, reason, rnd.now, operation=op)
    if op.kind is Kind.UNDELEGATE:
        applied = work.fire(Trigger.UNDELEGATE_INCLUDED, reason, rnd.now, operation=op)
        if applied:
            work.delegation = None
        return applied
    if op.kind is Kind.UNFREEZE:
        if work.state not in (State.FROZEN, State.VOTING) or not work.unstaking:
            return False
        work.unfreeze_expire_time_ms = expire
        work.votes_cast = ()
        return work.fire(Trigger.UNFREEZE_INCLUDED, reason, rnd.now, operation=op)
    # withdrawals and claims are observed through the account (see drift.observe)
    return True


def _apply_vote(rnd: Round, op: Operation, work: Work, reason: str) -> bool:
    new_votes = op.position_votes.get(work.id, ())
    if not work.state.holds_stake:
        # The account's vote list holds them whatever the position's state: a vote sized for
        # a freeze may land before it (or the freeze may be dropped). They stay the
        # position's own, so no later vote takes them for the owner's unmanaged votes.
        work.votes_cast = new_votes
        return True
    if new_votes:
        work.votes_cast = new_votes
        return work.fire(Trigger.VOTE_INCLUDED, reason, rnd.now, operation=op)
    if work.votes_cast:
        work.votes_cast = ()
        return work.fire(Trigger.VOTES_REMOVED, reason, rnd.now, operation=op)
    return True


def _unfreeze_expiry(rnd: Round, op: Operation) -> int:
    """The expiry of the unfreeze entry ``op`` created: the snapshot's entry of the same
    resource and amount closest to the expected time (the block's parent time + delay)."""
    amount = op.params.get("unfreeze_balance")
    resource = op.params.get("resource")
    base = (op.block_time_ms or rnd.now) - BLOCK_INTERVAL_MS
    expected = base + rnd.policy.unfreeze_delay_ms
    candidates = [
        e.expire_time_ms
        for e in rnd.observed.unfreezing
        if e.amount_sun == amount
        and e.resource.value == resource
        and abs(e.expire_time_ms - expected) <= rnd.policy.unfreeze_delay_ms // 14
    ]
    if not candidates:
        return expected
    return min(candidates, key=lambda t: (abs(t - expected), -t))


def locate(rnd: Round) -> None:
    """Every position's expected location, and the ledger, after the unresolved operations."""
    for w in rnd.works.values():
        w.location = _VISIBLE_LOCATION.get(w.state, Location.NONE)
        w.arriving_by = None
    ordered = sorted(rnd.unresolved, key=lambda op: (op.expiration_ms, KIND_ORDER[op.kind], op.id))
    for op in ordered:
        _charge(rnd, op)
        rnd.ledger.apply(op.kind, op.params, sure=False)
        for pid in op.position_ids:
            work = rnd.works.get(pid)
            if work is not None:
                work.move(op.kind)


def _charge(rnd: Round, op: Operation) -> None:
    """An unresolved operation's bandwidth or fee: known once included, estimated before."""
    size = size_of(op.kind, op.params)
    ledger = rnd.ledger
    if op.fee_sun is None:
        ledger.pay_bandwidth(size)
    elif op.fee_sun > 0:
        ledger.balance_sun -= op.fee_sun
    elif ledger.staked_bytes >= size:
        ledger.staked_bytes -= size
    else:
        ledger.free_bytes = max(ledger.free_bytes - size, 0)
