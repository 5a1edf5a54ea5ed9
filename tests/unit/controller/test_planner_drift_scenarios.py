"""Regression scenarios found by the drift property (votes the service cast for a position
whose freeze had not landed) and for requeues at known chain times."""

from __future__ import annotations

from tests.unit.controller import builders as b
from tests.unit.controller.harness import Fate
from tests.unit.controller.model import worlds as w
from tron_staking.controller import planner
from tron_staking.domain.enums import StakingResourceType, StakingStatusType
from tron_staking.domain.snapshot import UnfreezingEntry

Res = StakingResourceType
State = StakingStatusType
SUN = b.SUN
DAY_MS = 86_400_000


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
