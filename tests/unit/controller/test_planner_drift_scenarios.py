"""Regression scenarios found by the drift property (votes the service cast for a position
whose freeze had not landed) and for requeues at known chain times."""

from __future__ import annotations

from tests.unit.controller import builders as b
from tests.unit.controller.builders import DAY_MS, Kind, State
from tests.unit.controller.chain_model import Contract
from tests.unit.controller.harness import Fate
from tests.unit.controller.model import worlds as w
from tron_staking.controller import planner
from tron_staking.controller.planner.ledger import amount_of as ledger_amount
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.snapshot import UnfreezingEntry

Res = StakingResourceType
SUN = b.SUN


def test_votes_that_land_before_their_freeze_stay_the_positions_own() -> None:
    """A voter's freeze is dropped by the node while the vote sized for it lands: the votes in
    the account's list are the position's (votes are the owner's, one list), never taken for
    the owner's own votes — on the planner of a9063d4 they were, and a later re-vote that had
    to fit the tron power scaled the owner's real votes down with them."""
    owner = w.Owner(
        address=b.OWNER,
        spare_trx=50,
        unmanaged_trx={Res.ENERGY: 700, Res.BANDWIDTH: 0},
        unmanaged_delegated_trx=0,
        unmanaged_votes=50,
    )
    world = w.build_world(owner, [b.spec(100, votes={w.WITNESSES[0]: 1})])
    world.reconcile(fates=[Fate.DROPPED, Fate.PACKED])  # freeze dropped, vote packed
    world.mine()
    world.reconcile()
    (position,) = world.positions.values()
    assert position.state is State.PENDING
    assert position.votes_cast == (b.wv(w.WITNESSES[0], 100),)
    assert world.settle(120) >= 0, world.not_ready()
    votes = dict(world.chain.state.accounts[b.OWNER].votes)
    assert votes == {w.WITNESSES[5]: 50, w.WITNESSES[0]: 100}
    assert world.violations == world.audit.violations == []


def test_a_freeze_short_of_balance_retries_when_an_unfreeze_matures() -> None:
    """The balance cannot pay the freeze, but an unfreeze maturing in 3 days will: the planner
    looks again then, not every minute."""
    p = b.position("p", b.spec(500))
    entry = UnfreezingEntry(Res.ENERGY, 600 * SUN, b.CHAIN_T0 + 3 * DAY_MS)
    observed = b.snapshot(balance_trx=10, unfreezing=[entry])
    policy = planner.PlannerPolicy(resync_period_s=30 * 86_400)
    plan = planner.plan([p], observed, [], b.CHAIN_T0, policy)
    assert plan.actions == ()
    assert plan.requeue_after_s == 3 * 86_400 + 3


def test_a_freeze_short_of_balance_with_nothing_maturing_retries_after_the_stall_retry() -> None:
    p = b.position("p", b.spec(500))
    policy = planner.PlannerPolicy(resync_period_s=30 * 86_400)
    plan = planner.plan([p], b.snapshot(balance_trx=10), [], b.CHAIN_T0, policy)
    assert plan.actions == ()
    assert plan.requeue_after_s == policy.stalled_retry_s


def test_an_outside_unfreeze_of_part_of_a_position_is_repaired_by_freezing_that_part() -> None:
    """The owner unfreezes 15 of a 40 TRX position's stake outside the service: the repair
    freezes those 15 TRX, not the whole 40 again (on a9063d4 it froze 40, leaving 25 TRX that
    then counted as the owner's own)."""
    owner = w.Owner(
        address=b.OWNER,
        spare_trx=100,
        unmanaged_trx={Res.ENERGY: 0, Res.BANDWIDTH: 0},
        unmanaged_delegated_trx=0,
        unmanaged_votes=0,
    )
    world = w.build_world(owner, [b.spec(40)], strict_once=False)
    assert world.settle(60) >= 0, world.not_ready()
    world.chain.outside(Contract.UNFREEZE, b.OWNER, unfreeze_balance=15 * SUN, resource="ENERGY")
    for _ in range(world.chain.solid_lag + 1):  # the solid state confirms the drift
        world.mine()
    assert world.settle(60) >= 0, world.not_ready()
    ops = world.operations.values()
    freezes = [ledger_amount(op.params) for op in ops if op.kind is Kind.FREEZE]
    assert sorted(freezes) == [15 * SUN, 40 * SUN]
    assert world.chain.state.accounts[b.OWNER].frozen_sun[Res.ENERGY] == 40 * SUN
    (position,) = world.positions.values()
    assert position.state is State.FROZEN
    assert position.ready
    assert world.violations == world.audit.violations == []


def test_contention_behind_the_unfreeze_limit_waits_for_the_limit_not_a_minute() -> None:
    """An unstaking position waits for the 32-unfreeze limit to free (in 5 days), and a
    position that wants to delegate waits for stake the account holds: both look again when
    the limit frees, not every minute (on a9063d4 the contention stall retried every 60 s)."""
    soonest = b.CHAIN_T0 + 5 * DAY_MS
    unstaking = b.position("unstaking", b.spec(1000), state=State.FROZEN, unstake=True)
    delegating = b.position(
        "delegating", b.spec(1000, delegate=b.RECEIVER), state=State.FROZEN, created_minute=1
    )
    observed = b.snapshot(
        frozen={Res.ENERGY: 2000 * SUN},
        can_delegate={Res.ENERGY: 500 * SUN},
        unfreezing=[UnfreezingEntry(Res.BANDWIDTH, SUN, soonest + i) for i in range(32)],
        available_unfreeze_count=0,
        receivers={b.RECEIVER: True},
    )
    policy = planner.PlannerPolicy(resync_period_s=30 * 86_400)
    plan = planner.plan([unstaking, delegating], observed, [], b.CHAIN_T0, policy)
    assert plan.actions == ()
    stalled = {
        u.position_id: c.reason
        for u in plan.updates
        for c in u.conditions
        if c.type.value == "Stalled" and c.status.value == "True"
    }
    assert stalled == {
        unstaking.id: "UnfreezeLimit",
        delegating.id: "CanDelegateInsufficient",
    }
    assert plan.requeue_after_s == 5 * 86_400
