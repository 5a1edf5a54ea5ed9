"""Owners, specs and events for the planner's property tests, and the world they start in.

``Owner`` is a random account (balance, stake and delegations and votes it made itself);
``build_world`` puts it on a fresh chain model with two activated receivers, a contract
account, six witnesses and one account that is no witness. ``apply_event`` carries out one
spec change (receiver, lock, votes, unstake) or one transaction the owner makes outside the
service.
"""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from tests.unit.controller import builders as b
from tests.unit.controller.chain_model import START_TIME_MS, Chain, Contract
from tests.unit.controller.harness import Fate, Glitch, World
from tests.unit.controller.model import state as ms
from tron_staking.controller import planner
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.position import Position
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight

Res = StakingResourceType
SUN = ms.SUN
WITNESSES = b.WITNESSES[:6]
NOT_WITNESS = b.WITNESSES[39]
CONTRACT = b.address("a-contract")
NOT_ACTIVATED = b.address("not-activated")
RECEIVERS = (b.RECEIVER, b.RECEIVER2)
OWNERS = (b.OWNER, b.address("owner-2"))
POLICY = planner.PlannerPolicy(resync_period_s=86_400)


@dataclasses.dataclass(frozen=True)
class Owner:
    address: Address
    spare_trx: int
    unmanaged_trx: dict[Res, int]
    unmanaged_delegated_trx: int
    unmanaged_votes: int
    unmanaged_lock_blocks: int = 0
    """The owner's own delegation to the first receiver is locked this long (0: unlocked)."""
    pending_unfreezes: int = 0
    """Unfreezes of 1 TRX the owner made before, still pending (32 is java-tron's limit)."""


@dataclasses.dataclass(frozen=True)
class Event:
    """A spec change (``receiver``, ``lock``, ``votes``, ``unstake``) or an outside
    transaction (``outside_*``) on the ``index``-th position (modulo their number)."""

    kind: str
    index: int
    value: int


SPEC_EVENTS = ("receiver", "lock", "votes", "unstake")
ADDING_EVENTS = ("outside_freeze", "outside_delegate", "outside_vote")
REMOVING_EVENTS = (
    "outside_unfreeze",
    "outside_undelegate",
    "outside_cancel_all",
    "outside_revote",
)

owners = st.builds(
    Owner,
    address=st.sampled_from(OWNERS),
    spare_trx=st.integers(20, 3000),
    unmanaged_trx=st.fixed_dictionaries(
        {Res.ENERGY: st.sampled_from([0, 0, 700]), Res.BANDWIDTH: st.sampled_from([0, 600])}
    ),
    unmanaged_delegated_trx=st.sampled_from([0, 0, 100]),
    unmanaged_votes=st.sampled_from([0, 0, 50]),
    unmanaged_lock_blocks=st.sampled_from([0, 0, 600_000]),
    pending_unfreezes=st.sampled_from([0, 0, 31, 32]),
)
vote_maps = st.dictionaries(st.sampled_from(WITNESSES), st.integers(1, 100), max_size=3)
delegates = st.one_of(
    st.none(),
    st.builds(DelegateSpec, receiver=st.sampled_from(RECEIVERS), lock=st.just(False)),
    st.builds(
        DelegateSpec,
        receiver=st.sampled_from(RECEIVERS),
        lock=st.just(True),
        lock_period_blocks=st.sampled_from([None, 1200, 28_800, 864_000]),
    ),
)


@st.composite
def position_specs(draw: st.DrawFn, owner: Address) -> PositionSpec:
    return PositionSpec(
        owner=owner,
        resource=draw(st.sampled_from(list(Res))),
        amount_sun=draw(st.integers(1, 3000)) * SUN + draw(st.sampled_from([0, 0, 499_999])),
        votes=tuple(VoteWeight(witness=w, weight=x) for w, x in draw(vote_maps).items()),
        delegate=draw(delegates),
        auto_claim=draw(st.booleans()),
    )


def events(kinds: tuple[str, ...]) -> st.SearchStrategy[Event]:
    return st.builds(
        Event, kind=st.sampled_from(kinds), index=st.integers(0, 3), value=st.integers(0, 99)
    )


glitches = st.one_of(
    st.just(Glitch()),
    st.just(Glitch()),
    st.just(Glitch()),
    st.builds(Glitch, lag_blocks=st.sampled_from([1, 2, 4])),
    st.just(Glitch(empty_account=True)),
    st.builds(Glitch, crash_after=st.integers(0, 2)),
)
fates = st.lists(st.sampled_from([Fate.PACKED, Fate.PACKED, *Fate]), max_size=4)


def with_bandwidth_headroom(owner: Owner, specs: list[PositionSpec]) -> Owner:
    """java-tron refuses to delegate the frozen bandwidth that the owner's own staked usage
    occupies (reference §3.5), and a delegate's bytes are charged before it is validated: a
    position can only delegate all of its bandwidth if the owner has frozen bandwidth to
    spare. Owners of such specs get some (the test of the refusal itself is separate), and so
    do owners of any bandwidth position, since a spec change may add a delegate to it."""
    if not any(s.resource is Res.BANDWIDTH for s in specs):
        return owner
    spare = max(owner.unmanaged_trx[Res.BANDWIDTH], 600)
    return dataclasses.replace(owner, unmanaged_trx={**owner.unmanaged_trx, Res.BANDWIDTH: spare})


def build_world(owner: Owner, specs: list[PositionSpec], *, strict_once: bool = True) -> World:
    """A chain holding ``owner``'s account (with its own stake, delegation and votes made
    before the service started) and the world's positions, all ``pending``."""
    me = ms.Account(balance_sun=(sum(s.amount_sun for s in specs) + owner.spare_trx * SUN))
    for resource, trx in owner.unmanaged_trx.items():
        me.frozen_sun[resource] = trx * SUN
    accounts = {
        owner.address: me,
        CONTRACT: ms.Account(is_contract=True),
        NOT_WITNESS: ms.Account(),
        NOT_ACTIVATED: ms.Account(exists=False),
    }
    for receiver in RECEIVERS:
        accounts[receiver] = ms.Account()
    delegated = min(owner.unmanaged_delegated_trx * SUN, me.frozen_sun[Res.ENERGY])
    if delegated:
        me.frozen_sun[Res.ENERGY] -= delegated
        me.delegated_sun[Res.ENERGY] += delegated
        accounts[b.RECEIVER].acquired_sun[Res.ENERGY] += delegated
    state = ms.State(accounts=accounts, witnesses=frozenset(WITNESSES))
    if delegated:
        locked = owner.unmanaged_lock_blocks > 0
        expire_ms = START_TIME_MS + owner.unmanaged_lock_blocks * ms.BLOCK_MS if locked else 0
        record = ms.Record(delegated, expire_ms)
        state.records[(owner.address, b.RECEIVER, Res.ENERGY, locked)] = record
    for index in range(owner.pending_unfreezes):
        expire_ms = START_TIME_MS + (index % 14 + 1) * ms.DAY_MS
        me.unfrozen.append(ms.Unfreezing(Res.ENERGY, SUN, expire_ms))
    votes = min(owner.unmanaged_votes, me.tron_power_sun() // SUN)
    if votes:
        me.votes = [(WITNESSES[5], votes)]
        state.votes_in_force[owner.address] = votes
    positions = [
        b.position(f"p{index}", spec, created_minute=index) for index, spec in enumerate(specs)
    ]
    return World.create(Chain(state), owner.address, positions, POLICY, strict_once=strict_once)


def apply_event(world: World, event: Event) -> None:
    ordered = sorted(world.positions.values(), key=lambda p: p.created_at)
    target = ordered[event.index % len(ordered)]
    world.log.append(f"event {event} on {target.id[:10]}")
    if event.kind in SPEC_EVENTS:
        _change_spec(world, target, event)
    else:
        _outside(world, target, event)


def _change_spec(world: World, target: Position, event: Event) -> None:
    if target.unstake_requested:
        return
    spec = target.spec
    if event.kind == "unstake":
        world.positions[target.id] = target.with_unstake_requested(at=world.now)
        return
    if event.kind == "receiver":
        receiver = RECEIVERS[event.value % 2]
        lock = spec.delegate.lock if spec.delegate else False
        period = spec.delegate.lock_period_blocks if spec.delegate else None
        spec = spec.with_delegate(
            None if event.value % 5 == 4 else DelegateSpec(receiver, lock, period if lock else None)
        )
    elif event.kind == "lock" and spec.delegate is not None:
        lock = not spec.delegate.lock
        period = (1200 * (event.value % 3) or None) if lock else None
        spec = spec.with_delegate(DelegateSpec(spec.delegate.receiver, lock, period))
    elif event.kind == "votes":
        chosen = WITNESSES[event.value % 6 : event.value % 6 + event.value % 3]
        spec = spec.with_votes(tuple(VoteWeight(witness=w, weight=10) for w in chosen))
    world.positions[target.id] = target.with_spec(spec, at=world.now)


def _outside(world: World, target: Position, event: Event) -> None:
    """The owner's own wallet sends a transaction; the chain model validates it (a refused one
    is simply not made)."""
    chain, owner = world.chain, world.owner
    account = chain.pending_state.accounts[owner]
    resource = target.resource
    amount = (1 + event.value % 50) * SUN
    if event.kind == "outside_freeze":
        chain.outside(Contract.FREEZE, owner, frozen_balance=amount, resource=resource.value)
    elif event.kind == "outside_delegate":
        # only stake nobody manages: the owner's own frozen stake not yet delegated
        staked, delegated, _ = world.audit.unmanaged(chain.pending_state)
        own = sum(v for (_, r), v in delegated.items() if r is resource)
        amount = min(amount, staked[resource] - max(own, 0))
        if amount >= SUN:
            chain.outside(
                Contract.DELEGATE,
                owner,
                balance=amount,
                resource=resource.value,
                receiver_address=RECEIVERS[event.value % 2],
            )
    elif event.kind == "outside_vote":
        _outside_vote(world, account, event)
    elif event.kind == "outside_unfreeze":
        frozen = account.frozen_sun[resource]
        chain.outside(
            Contract.UNFREEZE,
            owner,
            unfreeze_balance=min(target.amount_sun, frozen),
            resource=resource.value,
        )
    elif event.kind == "outside_undelegate":
        receiver = RECEIVERS[event.value % 2]
        record = chain.pending_state.records.get((owner, receiver, resource, False))
        if record is not None:
            chain.outside(
                Contract.UNDELEGATE,
                owner,
                balance=record.amount_sun,
                resource=resource.value,
                receiver_address=receiver,
            )
    elif event.kind == "outside_cancel_all":
        chain.outside(Contract.CANCEL_ALL_UNFREEZE, owner)
    elif event.kind == "outside_revote":
        # replaces every vote (the positions' votes drift away), within the tron power of
        # the stake nobody manages, so the repair can give both their votes back
        staked, _, _ = world.audit.unmanaged(chain.pending_state)
        count = min(account.tron_power_sun() // 2, sum(staked.values())) // SUN
        if count >= 1:
            votes = [{"vote_address": WITNESSES[event.value % 6], "vote_count": count}]
            chain.outside(Contract.VOTE, owner, votes=votes)


def _outside_vote(world: World, account: ms.Account, event: Event) -> None:
    """Add votes within the tron power nobody else uses: the unmanaged stake not yet voted."""
    _, _, unmanaged_votes = world.audit.unmanaged(world.chain.pending_state)
    staked, _, _ = world.audit.unmanaged(world.chain.pending_state)
    spare = sum(staked.values()) // SUN - sum(max(v, 0) for v in unmanaged_votes.values())
    if spare < 1:
        return
    merged: dict[Address, int] = {}
    for witness, count in account.votes:
        merged[witness] = merged.get(witness, 0) + count
    witness = WITNESSES[3 + event.value % 3]
    merged[witness] = merged.get(witness, 0) + min(spare, 1 + event.value % 20)
    votes = [{"vote_address": w, "vote_count": c} for w, c in merged.items()]
    world.chain.outside(Contract.VOTE, world.owner, votes=votes)
