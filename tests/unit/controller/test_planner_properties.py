"""Property tests: the planner, run in a reconcile loop against the chain model, converges.

For random owners' positions, spec changes, unstake requests, out-of-band changes and clock
jumps, the plans applied to java-tron's rules (``chain_model``):

* converge to the declared state within a bounded number of rounds;
* are never refused by the chain (so never exceed balance, fees included, or tron power);
* never plan an operation whose intent key is in flight, and never keep two in flight;
* never unfreeze or undelegate more than the positions they name asked for (no other
  position's stake, delegation or votes is ever reduced); in runs without out-of-band
  changes, what the positions claim is always on chain.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.controller import builders as b
from tests.unit.controller import chain_model as cm
from tests.unit.controller.harness import World
from tron_staking.controller import planner
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import ConditionType, StakingResourceType
from tron_staking.domain.ids import PositionId
from tron_staking.domain.position import Position
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight
from tron_staking.domain.votes import WitnessVote

Res = StakingResourceType
POLICY = planner.PlannerPolicy(resync_period_s=10**8)
EVENT_ROUNDS = 14
CONVERGE_ROUNDS = 250  # 14 days of unfreezing with a daily auto-claim take ~60 rounds
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

witnesses = st.sampled_from(b.WITNESSES[:6])
vote_specs = st.dictionaries(witnesses, st.integers(1, 100), max_size=3)
receivers = st.sampled_from([b.RECEIVER, b.RECEIVER2])
delegates = st.one_of(
    st.none(),
    st.builds(
        DelegateSpec,
        receiver=receivers,
        lock=st.just(False),
    ),
    st.builds(
        DelegateSpec,
        receiver=receivers,
        lock=st.just(True),
        lock_period_blocks=st.one_of(st.none(), st.integers(1, 28_800)),
    ),
)


@st.composite
def position_specs(draw: st.DrawFn) -> PositionSpec:
    return PositionSpec(
        owner=b.OWNER,
        resource=draw(st.sampled_from(list(Res))),
        amount_sun=draw(st.integers(1, 5000)) * b.SUN + draw(st.sampled_from([0, 1, 499_999])),
        votes=tuple(VoteWeight(witness=w, weight=x) for w, x in draw(vote_specs).items()),
        delegate=draw(delegates),
        auto_claim=draw(st.booleans()),
    )


@dataclasses.dataclass(frozen=True)
class Event:
    round: int
    kind: str
    index: int
    value: object = None


def events(*, out_of_band: bool) -> st.SearchStrategy[list[Event]]:
    kinds = ["votes", "delegate", "unstake"] + (
        ["oob_unfreeze", "oob_vote", "oob_undelegate"] if out_of_band else []
    )
    event = st.builds(
        Event,
        round=st.integers(0, EVENT_ROUNDS - 1),
        kind=st.sampled_from(kinds),
        index=st.integers(0, 3),
        value=st.one_of(vote_specs, delegates, st.integers(1, 100)),
    )
    return st.lists(event, max_size=6)


def make_world(specs: list[PositionSpec], balance_sun: int) -> World:
    accounts = {
        b.OWNER: cm.Account(balance=balance_sun),
        b.RECEIVER: cm.Account(),
        b.RECEIVER2: cm.Account(),
    }
    for witness in b.WITNESSES:
        accounts[witness] = cm.Account()
    chain = cm.Chain(owner=b.OWNER, witnesses=frozenset(b.WITNESSES), accounts=accounts)
    positions: dict[PositionId, Position] = {}
    for index, position_spec in enumerate(specs):
        p = b.position(f"p{index}", position_spec, created_minute=index)
        positions[p.id] = p
    return World(chain=chain, positions=positions, policy=POLICY)


def apply_event(world: World, event: Event) -> bool:
    """Apply ``event``; True if it changed the chain behind the planner's back."""
    ordered = sorted(world.positions.values(), key=lambda p: p.created_at)
    target = ordered[event.index % len(ordered)]
    if event.kind == "unstake":
        world.positions[target.id] = target.with_unstake_requested(at=world.now)
        return False
    if event.kind in ("votes", "delegate"):
        if target.unstake_requested:
            return False
        if event.kind == "votes" and isinstance(event.value, dict):
            weights = tuple(VoteWeight(witness=w, weight=x) for w, x in event.value.items())
            new_spec = target.spec.with_votes(weights)
        elif event.kind == "delegate" and (
            event.value is None or isinstance(event.value, DelegateSpec)
        ):
            new_spec = target.spec.with_delegate(event.value)
        else:
            return False
        world.positions[target.id] = target.with_spec(new_spec, at=world.now)
        return False
    chain = world.chain
    if event.kind == "oob_unfreeze":
        res = target.resource
        amount = min(target.amount_sun, chain.account.frozen[res])
        return amount >= b.SUN and chain.oob_unfreeze(res, amount)
    if event.kind == "oob_vote":
        power = chain.tron_power_sun() // b.SUN
        if power < 1:
            return False
        count = max(1, power * (event.value if isinstance(event.value, int) else 50) // 100)
        return chain.oob_vote([WitnessVote(witness=b.WITNESSES[event.index], count=count)])
    if event.kind == "oob_undelegate":
        receiver: Address = b.RECEIVER if event.index % 2 else b.RECEIVER2
        return chain.oob_undelegate(receiver, target.resource)
    return False


def run(
    world: World, scripted: list[Event], *, calm: bool, converge_rounds: int = CONVERGE_ROUNDS
) -> None:
    plan = world.reconcile()
    for round_ in range(EVENT_ROUNDS):
        for event in (e for e in scripted if e.round == round_):
            apply_event(world, event)
        world.wait(plan)
        plan = world.reconcile()
        if calm:
            world.check_holdings()
    world.run(converge_rounds)
    world.check_holdings()


def assert_healthy(world: World) -> None:
    assert world.violations == []
    assert world.rejections == []
    assert world.converged(), list(world.not_ready())


@SETTINGS
@given(
    specs=st.lists(position_specs(), min_size=1, max_size=4),
    spare_trx=st.integers(50, 5000),
    scripted=events(out_of_band=False),
)
def test_converges_without_interference(
    specs: list[PositionSpec], spare_trx: int, scripted: list[Event]
) -> None:
    world = make_world(specs, sum(s.amount_sun for s in specs) + spare_trx * b.SUN)
    run(world, scripted, calm=True)
    assert_healthy(world)


@SETTINGS
@given(
    specs=st.lists(position_specs(), min_size=1, max_size=3),
    scripted=events(out_of_band=True),
)
def test_repairs_out_of_band_changes(specs: list[PositionSpec], scripted: list[Event]) -> None:
    # Stake unfrozen behind the planner's back is locked up for 14 days, and the repair
    # freezes it again from the balance: fund one more round of stake per such event.
    repairs = 1 + sum(1 for e in scripted if e.kind == "oob_unfreeze")
    world = make_world(specs, repairs * sum(s.amount_sun for s in specs) + 1000 * b.SUN)
    run(world, scripted, calm=False)
    assert_healthy(world)


@settings(SETTINGS, max_examples=100)
@given(
    specs=st.lists(position_specs(), min_size=1, max_size=4),
    balance_trx=st.integers(0, 6000),
    receiver_exists=st.booleans(),
    scripted=events(out_of_band=True),
)
def test_never_refused_when_short_of_balance_or_receivers(
    specs: list[PositionSpec], balance_trx: int, receiver_exists: bool, scripted: list[Event]
) -> None:
    """Without enough balance (fees included) or with a receiver that does not exist, the
    planner waits with a Stalled condition; it never sends what the chain would refuse."""
    world = make_world(specs, balance_trx * b.SUN)
    world.chain.accounts[b.RECEIVER2].exists = receiver_exists
    run(world, scripted, calm=False, converge_rounds=40)
    assert world.violations == []
    assert world.rejections == []
    for p in world.positions.values():
        if not p.ready:
            stalled = p.condition(ConditionType.STALLED)
            progressing = p.condition(ConditionType.PROGRESSING)
            assert (stalled and stalled.status.value == "True") or (
                progressing and progressing.status.value == "True"
            ), p.conditions
