"""The vote rule at its edges: who votes, who keeps exactly what it cast, who leaves; the
unmanaged votes kept; the tron power limit; the warnings and stalls with their messages; when a
re-vote is needed; the last votes that cannot be cleared; and the rescale guard that holds an
unfreeze back.

Written to kill the mutants ``make mutate`` left alive in ``planner/rules/vote.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tests.unit.controller.builders import (
    BW,
    CHAIN_T0,
    EN,
    OWNER,
    POLICY,
    SUN,
    W1,
    W2,
    W3,
    WITNESSES,
    Kind,
    State,
    address,
    operation,
    position,
    snapshot,
    spec,
    wv,
)
from tron_staking.controller import planner
from tron_staking.controller.planner import gate
from tron_staking.controller.planner.model import Action, intent_key
from tron_staking.controller.planner.rules.vote import _sort, check_rescale, plan_vote
from tron_staking.controller.planner.work import Location, Round, Work
from tron_staking.domain.enums import OperationState, StakingResourceType
from tron_staking.domain.operation import JsonValue, Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.domain.votes import WitnessVote

W4, W5 = WITNESSES[3], WITNESSES[4]
NOT_A_WITNESS = address("not-a-witness")
NOT_A_WITNESS2 = address("not-a-witness-2")
KEY = intent_key(Kind.VOTE, OWNER)

_PLACE = {
    State.FROZEN: Location.POOL,
    State.VOTING: Location.POOL,
    State.DELEGATED: Location.DELEGATED,
}


def round_of(
    positions: Sequence[Position],
    observed: AccountSnapshot,
    operations: Sequence[Operation] = (),
    *,
    policy: planner.PlannerPolicy = POLICY,
) -> Round:
    """A round whose positions' stake is where their state says (none for the others)."""
    rnd = Round(positions, observed, operations, CHAIN_T0, policy, False)
    for w in rnd.works.values():
        w.location = _PLACE.get(w.state, Location.NONE)
    return rnd


def voting(
    name: str,
    amount_trx: int,
    weights: dict[str, int] | None,
    cast: Sequence[WitnessVote],
    *,
    resource: StakingResourceType = EN,
    state: State = State.VOTING,
    unstake: bool = False,
    created_minute: int = 0,
) -> Position:
    names = {"W1": W1, "W2": W2, "W3": W3, "W4": W4, "W5": W5, "X": NOT_A_WITNESS}
    weights_of = {names[k]: v for k, v in (weights or {}).items()}
    return position(
        name,
        spec(amount_trx, resource=resource, votes=weights_of),
        state=state,
        votes_cast=cast,
        unstake=unstake,
        created_minute=created_minute,
    )


def ids(works: Sequence[Work]) -> list[str]:
    return [w.id for w in works]


# -- who is in the list -------------------------------------------------------------------------


def test_sort_puts_each_position_in_its_place() -> None:
    voter = voting("voter", 100, {"W1": 1}, [wv(W1, 100)])
    kept = voting("kept", 50, {"W2": 1}, [wv(W2, 50)], state=State.FROZEN, unstake=True)
    going = voting("going", 20, {"W3": 1}, [wv(W3, 20)], state=State.UNFREEZING, unstake=True)
    held = voting("held", 30, {"W4": 1}, [wv(W4, 30)], resource=BW, unstake=True)
    quiet = voting("quiet", 40, {"W1": 1}, [], state=State.FROZEN, unstake=True)
    stranger = voting("stranger", 10, {"X": 1, "W1": 1}, [wv(W5, 10)])
    unvoted = voting("unvoted", 10, {"X": 1}, [])
    waiting = voting("waiting", 10, {"W1": 1}, [], state=State.PENDING)
    dropped = voting("dropped", 10, None, [wv(W5, 3)])
    ps = [voter, kept, going, held, quiet, stranger, unvoted, waiting, dropped]
    ps = [
        dataclasses.replace(p, created_at=p.created_at.replace(minute=i)) for i, p in enumerate(ps)
    ]
    rnd = round_of(ps, snapshot(frozen={EN: 1000 * SUN}))
    rnd.works[held.id].location = Location.POOL
    rnd.held_unfreezes.add(BW)
    voters, fixed, leaving = _sort(rnd)
    assert ids(voters) == [voter.id]
    assert fixed == {kept.id: (wv(W2, 50),), stranger.id: (wv(W5, 10),)}
    assert ids(leaving) == [going.id, held.id, dropped.id]
    message = f"not a witness: {NOT_A_WITNESS}"
    assert rnd.works[stranger.id].problems == [("UnknownWitness", message)]
    assert rnd.works[unvoted.id].problems == [("UnknownWitness", message)]
    for p in (voter, kept, going, held, quiet, waiting, dropped):
        assert rnd.works[p.id].problems == []
    # the same unstaking position in the pool, its resource not held: it keeps its votes
    rnd = round_of([held], snapshot(frozen={BW: 30 * SUN}))
    rnd.works[held.id].location = Location.POOL
    assert _sort(rnd) == ([], {held.id: (wv(W4, 30),)}, [])


def test_every_unknown_witness_is_named_and_an_empty_witness_list_checks_none() -> None:
    both = position(
        "both", spec(10, votes={NOT_A_WITNESS: 1, W1: 1, NOT_A_WITNESS2: 1}), state=State.FROZEN
    )
    rnd = round_of([both], snapshot(frozen={EN: 10 * SUN}))
    assert _sort(rnd) == ([], {}, [])
    assert rnd.works[both.id].problems == [
        ("UnknownWitness", f"not a witness: {NOT_A_WITNESS}, {NOT_A_WITNESS2}")
    ]
    # a snapshot that lists no witnesses cannot tell: the position votes
    rnd = round_of([both], snapshot(frozen={EN: 10 * SUN}, witnesses=()))
    voters, fixed, leaving = _sort(rnd)
    assert (ids(voters), fixed, leaving) == ([both.id], {}, [])
    assert rnd.works[both.id].problems == []


# -- the vote list ------------------------------------------------------------------------------


def test_a_vote_names_voters_then_leaving_then_fixed_with_exact_params_reason_and_basis() -> None:
    voter = voting("voter", 100, {"W1": 3, "W2": 1}, [], created_minute=0)
    fixed = voting(
        "fixed", 50, {"W3": 1}, [wv(W3, 50)], state=State.FROZEN, unstake=True, created_minute=1
    )
    going = voting(
        "going", 20, {"W4": 1}, [wv(W4, 20)], state=State.UNFREEZING, unstake=True, created_minute=2
    )
    observed = snapshot(frozen={EN: 150 * SUN}, votes=[wv(W3, 50), wv(W4, 20)])
    rnd = round_of([voter, fixed, going], observed)
    plan_vote(rnd)
    [action] = rnd.actions
    assert action.kind is Kind.VOTE
    assert action.intent_key == KEY
    assert action.position_ids == tuple(sorted([voter.id, going.id, fixed.id]))
    expected = sorted([(W1, 75), (W2, 25), (W3, 50)])
    assert action.params == {
        "owner_address": OWNER,
        "votes": [{"vote_address": w, "vote_count": c} for w, c in expected],
    }
    assert action.reason == "cast 150 votes for 3 witnesses (1 positions voting, 1 leaving)"
    assert dict(action.position_votes) == {
        voter.id: (wv(W1, 75), wv(W2, 25)),
        fixed.id: (wv(W3, 50),),
    }
    works = [rnd.works[p] for p in (voter.id, going.id, fixed.id)]
    facts: dict[str, JsonValue] = {"tron_power": 150, "witnesses": sorted(observed.witnesses)}
    assert action.basis == gate.basis_of(Kind.VOTE, dict(action.params), works, facts)
    assert (rnd.warnings, rnd.waiting) == ([], [])
    for w in rnd.works.values():
        assert w.problems == []


def test_nothing_to_do_without_voters_or_leaving_positions() -> None:
    quiet = voting("quiet", 10, None, [], state=State.FROZEN)
    fixed = voting("fixed", 50, {"W3": 1}, [wv(W3, 50)], state=State.FROZEN, unstake=True)
    rnd = round_of([quiet, fixed], snapshot(frozen={EN: 60 * SUN}, votes=[wv(W1, 5)]))
    plan_vote(rnd)
    assert (rnd.actions, rnd.warnings, rnd.waiting) == ([], [], [])


def test_unmanaged_votes_are_what_the_chain_shows_above_the_positions_own() -> None:
    voter = voting("voter", 100, {"W1": 1}, [wv(W1, 100)])
    going = voting("going", 10, None, [wv(W2, 10)])
    # W1: 30 more than cast (kept); W2: exactly what was cast (none kept); W3 and W4 (a
    # single vote): all unmanaged; a vote for an address that is no witness any more is not kept
    chain = [wv(W1, 130), wv(W2, 10), wv(W3, 7), wv(W4, 1), wv(NOT_A_WITNESS, 5)]
    observed = snapshot(frozen={EN: 200 * SUN}, votes=chain)
    rnd = round_of([voter, going], observed)
    plan_vote(rnd)
    [action] = rnd.actions
    assert action.params["votes"] == [
        {"vote_address": w, "vote_count": c} for w, c in sorted([(W1, 130), (W3, 7), (W4, 1)])
    ]
    assert action.position_ids == tuple(sorted([voter.id, going.id]))
    assert dict(action.position_votes) == {voter.id: (wv(W1, 100),)}
    # without the witness list every unmanaged vote is kept
    rnd = round_of([voter, going], dataclasses.replace(observed, witnesses=frozenset()))
    plan_vote(rnd)
    assert rnd.actions[0].params["votes"] == [
        {"vote_address": w, "vote_count": c}
        for w, c in sorted([(W1, 130), (W3, 7), (W4, 1), (NOT_A_WITNESS, 5)])
    ]
    # not kept: only the managed votes are cast
    policy = dataclasses.replace(POLICY, keep_unmanaged_votes=False)
    rnd = round_of([voter, going], observed, policy=policy)
    plan_vote(rnd)
    assert rnd.actions[0].params["votes"] == [{"vote_address": W1, "vote_count": 100}]


def test_unmanaged_votes_beyond_the_tron_power_are_scaled_down_with_a_warning() -> None:
    voter = voting("voter", 100, {"W1": 1}, [wv(W1, 100)])
    observed = snapshot(frozen={EN: 110 * SUN}, votes=[wv(W1, 100), wv(W2, 40)])
    rnd = round_of([voter], observed)
    plan_vote(rnd)
    [action] = rnd.actions
    assert action.params["votes"] == [
        {"vote_address": w, "vote_count": c} for w, c in sorted([(W1, 100), (W2, 10)])
    ]
    assert [(n.code, n.message, n.position_ids) for n in rnd.warnings] == [
        (
            "UnmanagedVotesScaledDown",
            "votes cast outside the service were scaled down to fit the tron power",
            (voter.id,),
        )
    ]
    assert rnd.works[voter.id].problems == []


def test_managed_votes_beyond_the_tron_power_are_scaled_down_and_stall_the_voters() -> None:
    voter = voting("voter", 100, {"W1": 1}, [])
    other = voting("other", 100, {"W2": 1}, [], created_minute=1)
    # 100.5 TRX of tron power: 100 votes
    observed = snapshot(frozen={EN: 100 * SUN + SUN // 2}, votes=[wv(W3, 5)])
    rnd = round_of([voter, other], observed)
    plan_vote(rnd)
    [action] = rnd.actions
    assert action.params["votes"] == [
        {"vote_address": w, "vote_count": c} for w, c in sorted([(W1, 50), (W2, 50)])
    ]
    works = [rnd.works[voter.id], rnd.works[other.id]]
    facts: dict[str, JsonValue] = {"tron_power": 100, "witnesses": sorted(observed.witnesses)}
    assert action.basis == gate.basis_of(Kind.VOTE, dict(action.params), works, facts)
    assert [(n.code, n.message, n.position_ids) for n in rnd.warnings] == [
        (
            "ManagedVotesScaledDown",
            "the positions' votes exceed the account's tron power and were scaled down",
            (voter.id, other.id),
        ),
        (
            "UnmanagedVotesDropped",
            "votes cast outside the service were dropped (30-witness limit or tron power)",
            (voter.id, other.id),
        ),
    ]
    stall = (
        "TronPowerInsufficient",
        "the account's tron power (100) does not cover the positions' votes",
    )
    assert rnd.works[voter.id].problems == [stall]
    assert rnd.works[other.id].problems == [stall]


def test_no_tron_power_casts_nothing_and_says_so() -> None:
    voter = voting("voter", 100, {"W1": 1}, [], state=State.FROZEN)
    rnd = round_of([voter], snapshot(frozen={}))
    plan_vote(rnd)
    assert rnd.actions == []
    assert rnd.works[voter.id].problems == [
        (
            "TronPowerInsufficient",
            "the account's tron power (0) does not cover the positions' votes",
        )
    ]
    assert [n.code for n in rnd.warnings] == ["ManagedVotesScaledDown"]


def test_too_many_witnesses_refuses_the_vote_and_stalls_only_the_voters() -> None:
    voter = voting("voter", 100, {"W1": 1, "W2": 1}, [])
    fixed = voting("fixed", 50, {"W3": 1}, [wv(W3, 50)], state=State.FROZEN, unstake=True)
    policy = dataclasses.replace(POLICY, max_vote_witnesses=2)
    rnd = round_of([voter, fixed], snapshot(frozen={EN: 150 * SUN}), policy=policy)
    plan_vote(rnd)
    assert rnd.actions == []
    refused = "the positions name 3 witnesses; an account can vote for at most 2"
    assert rnd.works[voter.id].problems == [("TooManyWitnesses", refused)]
    assert rnd.works[fixed.id].problems == []
    assert [(n.code, n.message, n.position_ids) for n in rnd.warnings] == [
        ("TooManyWitnesses", refused, (voter.id,))
    ]


def test_no_vote_when_the_chain_and_every_voter_already_agree() -> None:
    a = voting("a", 60, {"W1": 1}, [wv(W1, 60)])
    b = voting("b", 40, {"W1": 1}, [wv(W1, 40)], created_minute=1)
    rnd = round_of([a, b], snapshot(frozen={EN: 100 * SUN}, votes=[wv(W1, 100)]))
    plan_vote(rnd)
    assert (rnd.actions, rnd.warnings, rnd.waiting) == ([], [], [])


def test_a_vote_when_only_a_voters_share_is_stale() -> None:
    # the chain's list is right, but the positions' shares of it are not
    a = voting("a", 50, {"W1": 1}, [wv(W1, 60)])
    b = voting("b", 50, {"W1": 1}, [wv(W1, 40)], created_minute=1)
    rnd = round_of([a, b], snapshot(frozen={EN: 100 * SUN}, votes=[wv(W1, 100)]))
    plan_vote(rnd)
    [action] = rnd.actions
    assert action.params["votes"] == [{"vote_address": W1, "vote_count": 100}]
    assert dict(action.position_votes) == {a.id: (wv(W1, 50),), b.id: (wv(W1, 50),)}


def test_a_vote_when_only_a_position_leaves() -> None:
    # the chain already shows just the voter's votes; the leaving one's share is cast again
    # without it so that it stops counting as managed
    voter = voting("voter", 100, {"W1": 1}, [wv(W1, 100)])
    going = voting("going", 20, None, [wv(W1, 20)], created_minute=1)
    rnd = round_of([voter, going], snapshot(frozen={EN: 120 * SUN}, votes=[wv(W1, 100)]))
    plan_vote(rnd)
    [action] = rnd.actions
    assert action.position_ids == tuple(sorted([voter.id, going.id]))
    assert action.params["votes"] == [{"vote_address": W1, "vote_count": 100}]
    assert action.reason == "cast 100 votes for 1 witnesses (1 positions voting, 1 leaving)"


def test_the_last_votes_cannot_be_cleared_and_stay_managed() -> None:
    going = voting("going", 20, None, [wv(W1, 20)])
    unstaking = voting(
        "unstaking",
        30,
        {"W2": 1},
        [wv(W2, 30)],
        state=State.UNFREEZING,
        unstake=True,
        created_minute=1,
    )
    observed = snapshot(frozen={EN: 20 * SUN}, votes=[wv(W1, 20), wv(W2, 30)])
    rnd = round_of([going, unstaking], observed)
    plan_vote(rnd)
    assert rnd.actions == []
    message = (
        "TRON cannot clear a vote list (VoteWitness needs at least one vote): the votes stay "
        "until another vote replaces them or the stake is unfrozen"
    )
    assert rnd.works[going.id].problems == [("VotesCannotBeCleared", message)]
    assert rnd.works[unstaking.id].problems == []
    assert [(n.code, n.message, n.position_ids) for n in rnd.warnings] == [
        ("VotesCannotBeCleared", message, (going.id,))
    ]
    # only unstaking positions leaving: their unfreeze removes the votes, nothing to say
    rnd = round_of([unstaking], dataclasses.replace(observed, votes=(wv(W2, 30),)))
    plan_vote(rnd)
    assert (rnd.actions, rnd.warnings, rnd.waiting) == ([], [], [])
    assert rnd.works[unstaking.id].problems == []


def test_a_vote_in_flight_holds_the_next_one() -> None:
    voter = voting("voter", 100, {"W1": 1}, [])
    sent = operation(
        "v", Kind.VOTE, [], {"votes": []}, state=OperationState.BROADCAST, intent_key=KEY
    )
    rnd = round_of([voter], snapshot(frozen={EN: 100 * SUN}), [sent])
    plan_vote(rnd)
    assert rnd.actions == []
    assert [(n.code, n.message, n.position_ids) for n in rnd.waiting] == [
        (
            "OperationInFlight",
            f"vote: vote {sent.txid} is broadcast; nothing equivalent is planned until it is final",
            (voter.id,),
        )
    ]


# -- the rescale guard --------------------------------------------------------------------------


def unfreeze(ps: Sequence[Position], amount_sun: int, resource: str | None = "ENERGY") -> Action:
    params: dict[str, object] = {"owner_address": OWNER, "unfreeze_balance": amount_sun}
    if resource is not None:
        params["resource"] = resource
    return Action(
        kind=Kind.UNFREEZE,
        intent_key=intent_key(Kind.UNFREEZE, OWNER, EN),
        params=params,  # type: ignore[arg-type]
        position_ids=tuple(p.id for p in ps),
        reason="unfreeze",
    )


def rescale_round(
    ps: Sequence[Position],
    chain_votes: Sequence[WitnessVote],
    power_trx: int,
    sure_trx: int,
    actions: Sequence[Action],
    *,
    policy: planner.PlannerPolicy = POLICY,
) -> Round:
    rnd = round_of(ps, snapshot(frozen={EN: 1000 * SUN}, votes=chain_votes), policy=policy)
    rnd.ledger.tron_power_sun = power_trx * SUN
    rnd.ledger.tron_power_sure_sun = sure_trx * SUN
    rnd.actions.extend(actions)
    check_rescale(rnd)
    return rnd


STAYS = voting("stays", 60, {"W1": 1}, [wv(W1, 60)])
LEAVES = voting(
    "leaves", 40, {"W2": 1}, [wv(W2, 40)], state=State.FROZEN, unstake=True, created_minute=1
)


def test_an_unfreeze_that_cuts_other_votes_it_could_keep_is_held() -> None:
    chain = [wv(W1, 60), wv(W2, 40)]
    # 60 left: the rescale to 36/24 cuts the staying position's 60, which 60 would cover
    rnd = rescale_round([STAYS, LEAVES], chain, 60, 60, [unfreeze([LEAVES], 40 * SUN)])
    assert rnd.held_unfreezes == {EN}
    assert rnd.warnings == []
    # an action without a resource holds nothing back
    rnd = rescale_round([STAYS, LEAVES], chain, 60, 60, [unfreeze([LEAVES], 40 * SUN, None)])
    assert rnd.held_unfreezes == set()
    # the bandwidth unfreeze names its own resource
    rnd = rescale_round([STAYS, LEAVES], chain, 60, 60, [unfreeze([LEAVES], 40 * SUN, "BANDWIDTH")])
    assert rnd.held_unfreezes == {BW}


def test_an_unfreeze_that_cuts_nothing_is_not_held_and_not_reported() -> None:
    chain = [wv(W1, 60), wv(W2, 40)]
    rnd = rescale_round([STAYS, LEAVES], chain, 100, 100, [unfreeze([LEAVES], 40 * SUN)])
    assert (rnd.held_unfreezes, rnd.warnings) == (set(), [])
    # no unfreeze planned: nothing looked at, even when the power is short
    rnd = rescale_round([STAYS, LEAVES], chain, 10, 10, [])
    assert (rnd.held_unfreezes, rnd.warnings) == (set(), [])
    # exactly enough power: no rescale
    rnd = rescale_round([STAYS, LEAVES], chain, 100, 100, [unfreeze([LEAVES], 1)])
    assert (rnd.held_unfreezes, rnd.warnings) == (set(), [])


def test_a_cut_that_waiting_could_not_avoid_is_reported() -> None:
    chain = [wv(W1, 60), wv(W2, 40)]
    # 50 left cannot keep the staying 60 and no freeze is pending: report the reduction
    rnd = rescale_round([STAYS, LEAVES], chain, 50, 50, [unfreeze([LEAVES], 50 * SUN)])
    assert rnd.held_unfreezes == set()
    assert [(n.code, n.message, n.position_ids) for n in rnd.warnings] == [
        (
            "VoteReduction",
            "the unfreeze lowers tron power to 50: java-tron rescales the votes from 100 to 50",
            (),
        )
    ]
    # a freeze still pending (power above the sure power): hold until it lands
    rnd = rescale_round([STAYS, LEAVES], chain, 51, 50, [unfreeze([LEAVES], 50 * SUN)])
    assert (rnd.held_unfreezes, rnd.warnings) == ({EN}, [])
    # 59 sure: still one short of the staying 60
    rnd = rescale_round([STAYS, LEAVES], chain, 59, 59, [unfreeze([LEAVES], 41 * SUN)])
    assert rnd.held_unfreezes == set()
    assert [n.code for n in rnd.warnings] == ["VoteReduction"]


def test_a_rescale_of_only_the_leaving_votes_is_reported_not_held() -> None:
    # the chain shows only the leaving position's votes: nothing else can be cut
    rnd = rescale_round([LEAVES], [wv(W2, 40)], 20, 20, [unfreeze([LEAVES], 20 * SUN)])
    assert rnd.held_unfreezes == set()
    assert [n.message for n in rnd.warnings] == [
        "the unfreeze lowers tron power to 20: java-tron rescales the votes from 40 to 20"
    ]


def test_protected_votes_include_the_owners_unless_they_are_replaced() -> None:
    # the owner's 60 unmanaged votes for W1 and the leaving 40 for W2; 60 left covers the 60
    chain = [wv(W1, 60), wv(W2, 40)]
    rnd = rescale_round([LEAVES], chain, 60, 60, [unfreeze([LEAVES], 40 * SUN)])
    assert (rnd.held_unfreezes, rnd.warnings) == ({EN}, [])
    # the leaving position's votes are only its own share of a witness
    shared = [wv(W1, 60), wv(W2, 90)]
    rnd = rescale_round([LEAVES], shared, 110, 110, [unfreeze([LEAVES], 40 * SUN)])
    assert (rnd.held_unfreezes, rnd.warnings) == ({EN}, [])
    # unmanaged votes are replaced by the next vote anyway: only other positions' count
    policy = dataclasses.replace(POLICY, keep_unmanaged_votes=False)
    rnd = rescale_round([LEAVES], chain, 60, 60, [unfreeze([LEAVES], 40 * SUN)], policy=policy)
    assert rnd.held_unfreezes == set()
    assert [n.code for n in rnd.warnings] == ["VoteReduction"]
    rnd = rescale_round(
        [STAYS, LEAVES], chain, 60, 60, [unfreeze([LEAVES], 40 * SUN)], policy=policy
    )
    assert (rnd.held_unfreezes, rnd.warnings) == ({EN}, [])


def test_a_rescale_that_leaves_the_owners_share_whole_is_only_reported() -> None:
    # W1 holds 50 of the leaving position's votes and 50 of the owner's: the rescale to 60
    # keeps 60 for W1, more than the owner's 50, so nothing protected is cut
    going = voting("going", 50, {"W1": 1}, [wv(W1, 50)], state=State.FROZEN, unstake=True)
    rnd = rescale_round([going], [wv(W1, 100)], 60, 60, [unfreeze([going], 40 * SUN)])
    assert rnd.held_unfreezes == set()
    assert [n.message for n in rnd.warnings] == [
        "the unfreeze lowers tron power to 60: java-tron rescales the votes from 100 to 60"
    ]


def test_a_protected_single_vote_the_rescale_drops_holds_the_unfreeze() -> None:
    # the owner's one vote for W1 rescales to nothing (1/100 of 50): that is a cut
    going = voting("going", 99, {"W2": 1}, [wv(W2, 99)], state=State.FROZEN, unstake=True)
    rnd = rescale_round([going], [wv(W1, 1), wv(W2, 99)], 50, 50, [unfreeze([going], 50 * SUN)])
    assert (rnd.held_unfreezes, rnd.warnings) == ({EN}, [])
