"""The planner on realistic scenarios, table-driven: one owner's positions, one snapshot, the
operations in flight → the expected actions, transitions, conditions, warnings and timing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

import pytest

from tests.unit.controller.builders import (
    BW,
    CHAIN_T0,
    DAY_MS,
    EN,
    HEAD,
    OWNER,
    POLICY,
    RECEIVER,
    SUN,
    T0,
    W1,
    W2,
    W3,
    WITNESSES,
    Kind,
    State,
    address,
    delegation_of,
    operation,
    pid,
    position,
    snapshot,
    spec,
    wv,
)
from tests.unit.controller.rounds import codes, kinds
from tron_staking.controller import planner
from tron_staking.domain.enums import ConditionStatus, ConditionType, OperationState
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot, DelegationOut, UnfreezingEntry
from tron_staking.errors import InvalidTransitionError


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    positions: Sequence[Position]
    observed: AccountSnapshot
    check: Callable[[planner.Plan], None]
    operations: Sequence[Operation] = ()
    claim_requested: bool = False
    confirmation: AccountSnapshot | None = None


def action(plan: planner.Plan, kind: Kind) -> planner.Action:
    (found,) = [a for a in plan.actions if a.kind is kind]
    return found


def triggers(plan: planner.Plan, name: str) -> list[str]:
    update = plan.update_for(pid(name))
    assert update is not None
    return [str(t.trigger) for t in update.transitions]


def final_state(plan: planner.Plan, p: Position) -> State:
    update = plan.update_for(p.id)
    assert update is not None
    return update.transitions[-1].to_state if update.transitions else p.state


def condition(plan: planner.Plan, name: str, type_: ConditionType) -> tuple[str, str]:
    update = plan.update_for(pid(name))
    assert update is not None
    for c in update.conditions:
        if c.type is type_:
            return c.status.value, c.reason
    raise AssertionError(f"no {type_} condition for {name}")


# -- scenarios --------------------------------------------------------------------------------

FRESH = position("fresh", spec(1000))


def check_fresh(plan: planner.Plan) -> None:
    assert kinds(plan) == ["freeze"]
    freeze = plan.actions[0]
    assert freeze.params == {
        "owner_address": OWNER,
        "frozen_balance": 1000 * SUN,
        "resource": "ENERGY",
    }
    assert freeze.position_ids == (FRESH.id,)
    assert freeze.intent_key == f"freeze:{OWNER}:ENERGY"
    assert condition(plan, "fresh", ConditionType.READY) == ("False", "Pending")
    assert condition(plan, "fresh", ConditionType.PROGRESSING)[0] == "True"
    assert condition(plan, "fresh", ConditionType.STALLED) == ("False", "NoProblem")
    assert plan.requeue_after_s == 3


BATCH_A = position("batch-a", spec(1000, votes={W1: 1}))
BATCH_B = position("batch-b", spec(250), created_minute=1)
BATCH_C = position("batch-c", spec(40, resource=BW), created_minute=2)


def check_batched(plan: planner.Plan) -> None:
    # batch-a's vote rides with the freeze that gives it tron power (one-block convergence)
    assert kinds(plan) == ["freeze", "freeze", "vote"]
    energy, bandwidth, vote = plan.actions
    assert vote.position_votes == {BATCH_A.id: (wv(W1, 1000),)}
    assert energy.params["frozen_balance"] == 1250 * SUN
    assert energy.position_ids == tuple(sorted((BATCH_A.id, BATCH_B.id)))
    assert bandwidth.params == {
        "owner_address": OWNER,
        "frozen_balance": 40 * SUN,
        "resource": "BANDWIDTH",
    }


VOTE_A = position("vote-a", spec(1000, votes={W1: 70, W2: 30}), state=State.FROZEN)
VOTE_B = position("vote-b", spec(500, votes={W2: 1, W3: 1}), state=State.FROZEN, created_minute=1)


def check_votes(plan: planner.Plan) -> None:
    assert kinds(plan) == ["vote"]
    vote = plan.actions[0]
    expected = {W1: 700, W2: 300 + 250, W3: 250}
    assert vote.params["votes"] == [
        {"vote_address": w, "vote_count": expected[w]} for w in sorted(expected)
    ]
    assert vote.position_votes == {
        VOTE_A.id: (wv(W1, 700), wv(W2, 300)),
        VOTE_B.id: (wv(W2, 250), wv(W3, 250)),
    }
    assert vote.intent_key == f"vote:{OWNER}"


VOTE_OP = operation(
    "vote-1",
    Kind.VOTE,
    [VOTE_A, VOTE_B],
    {"votes": []},
    position_votes={VOTE_A.id: (wv(W1, 700), wv(W2, 300)), VOTE_B.id: (wv(W2, 250), wv(W3, 250))},
)


def check_votes_landed(plan: planner.Plan) -> None:
    assert triggers(plan, "vote-a") == ["vote_included"]
    assert triggers(plan, "vote-b") == ["vote_included"]
    update = plan.update_for(VOTE_A.id)
    assert update is not None
    assert update.votes_cast == (wv(W1, 700), wv(W2, 300))
    assert update.applied_operations == (VOTE_OP.id,)
    assert update.transitions[0].txid == VOTE_OP.txid
    assert update.transitions[0].block == VOTE_OP.block
    # landed but not solid yet: still in flight, so not Ready and looking again next block
    assert condition(plan, "vote-a", ConditionType.READY)[0] == "False"
    assert kinds(plan) == []
    assert plan.requeue_after_s == 3


VOTING_DONE = dataclasses.replace(
    VOTE_A, state=State.VOTING, votes_cast=(wv(W1, 700), wv(W2, 300)), applied_operations=()
)


def check_converged(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert condition(plan, "vote-a", ConditionType.READY) == ("True", "Converged")
    update = plan.update_for(VOTING_DONE.id)
    assert update is not None
    assert update.observed_generation == 1
    assert plan.requeue_after_s == POLICY.resync_period_s


DELEGATE = position(
    "delegate",
    spec(1000, delegate=RECEIVER, lock=True, lock_period_blocks=28_800),
    state=State.FROZEN,
)


def check_delegation(plan: planner.Plan) -> None:
    assert kinds(plan) == ["delegate"]
    assert plan.actions[0].params == {
        "owner_address": OWNER,
        "receiver_address": RECEIVER,
        "balance": 1000 * SUN,
        "resource": "ENERGY",
        "lock": True,
        "lock_period": 28_800,
    }
    assert plan.actions[0].intent_key == f"delegate:{OWNER}:{RECEIVER}:ENERGY:locked"


FREEZE_OP = operation(
    "freeze-1",
    Kind.FREEZE,
    [position("both", spec(1000, votes={W1: 1}, delegate=RECEIVER))],
    {"frozen_balance": 1000 * SUN, "resource": "ENERGY"},
    state=OperationState.SOLIDIFIED,
)


def check_vote_and_delegate_together(plan: planner.Plan) -> None:
    assert triggers(plan, "both") == ["freeze_included"]
    assert kinds(plan) == ["vote", "delegate"]


# unstake from delegated: undelegate and re-vote first, no unfreeze yet
STAYING = position(
    "staying",
    spec(500, votes={W1: 1}),
    state=State.VOTING,
    votes_cast=[wv(W1, 500)],
)
LEAVING_SPEC = spec(1000, votes={W1: 1, W2: 1}, delegate=RECEIVER)
LEAVING = position(
    "leaving",
    LEAVING_SPEC,
    state=State.DELEGATED,
    votes_cast=[wv(W1, 500), wv(W2, 500)],
    delegation=delegation_of(LEAVING_SPEC),
    unstake=True,
    created_minute=1,
)
UNSTAKE_OBSERVED = snapshot(
    frozen={EN: 500 * SUN},
    delegations=[DelegationOut(RECEIVER, EN, False, 1000 * SUN)],
    votes=[wv(W1, 1000), wv(W2, 500)],
)


def check_unstake_first_round(plan: planner.Plan) -> None:
    # an unfreeze landing without the re-vote would rescale staying's votes: it waits until
    # the re-vote is visible
    assert kinds(plan) == ["undelegate", "vote"]
    undelegate, vote = plan.actions
    assert "VoteFirst" in codes(plan.waiting_for)
    assert undelegate.params == {
        "owner_address": OWNER,
        "receiver_address": RECEIVER,
        "balance": 1000 * SUN,
        "resource": "ENERGY",
    }
    assert undelegate.position_ids == (LEAVING.id,)
    assert vote.params["votes"] == [{"vote_address": W1, "vote_count": 500}]
    assert vote.position_votes == {STAYING.id: (wv(W1, 500),)}
    assert set(vote.position_ids) == {STAYING.id, LEAVING.id}  # LEAVING loses its votes
    assert condition(plan, "leaving", ConditionType.READY) == ("False", "Unstaking")


UNDELEGATE_OP = operation(
    "undelegate-1",
    Kind.UNDELEGATE,
    [LEAVING],
    {"receiver_address": RECEIVER, "balance": 1000 * SUN, "resource": "ENERGY"},
    state=OperationState.SOLIDIFIED,
    block=HEAD - 2,
)
REVOTE_OP = operation(
    "revote-1",
    Kind.VOTE,
    [STAYING, LEAVING],
    {"votes": [{"vote_address": W1, "vote_count": 500}]},
    state=OperationState.SOLIDIFIED,
    position_votes={STAYING.id: (wv(W1, 500),)},
)
AFTER_UNSTAKE_OPS = snapshot(frozen={EN: 1500 * SUN}, votes=[wv(W1, 500)])


def check_unstake_second_round(plan: planner.Plan) -> None:
    assert triggers(plan, "leaving") == ["undelegate_included", "votes_removed"]
    assert [t.to_state.value for t in plan.update_for(LEAVING.id).transitions] == [  # type: ignore[union-attr]
        "voting",
        "frozen",
    ]
    assert kinds(plan) == ["unfreeze"]
    unfreeze = plan.actions[0]
    assert unfreeze.params == {
        "owner_address": OWNER,
        "unfreeze_balance": 1000 * SUN,
        "resource": "ENERGY",
    }
    assert "VoteReduction" not in codes(plan.warnings)  # the re-vote made room


EXPIRE = CHAIN_T0 + 14 * DAY_MS
FROZEN_LEAVING = dataclasses.replace(
    LEAVING, state=State.FROZEN, votes_cast=(), delegation=None, applied_operations=()
)
UNFREEZE_OP = operation(
    "unfreeze-1",
    Kind.UNFREEZE,
    [FROZEN_LEAVING],
    {"unfreeze_balance": 1000 * SUN, "resource": "ENERGY"},
    block_time_ms=CHAIN_T0,
)


def check_unfreeze_landed(plan: planner.Plan) -> None:
    assert triggers(plan, "leaving") == ["unfreeze_included"]
    update = plan.update_for(FROZEN_LEAVING.id)
    assert update is not None
    assert update.unfreeze_expire_time_ms == EXPIRE - 3000
    assert kinds(plan) == []


UNFREEZING = dataclasses.replace(
    FROZEN_LEAVING, state=State.UNFREEZING, unfreeze_expire_time_ms=EXPIRE
)
ENTRY = UnfreezingEntry(EN, 1000 * SUN, EXPIRE)


def check_waiting_for_maturity(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert triggers(plan, "leaving") == []
    assert plan.requeue_after_s == 300  # the resync period is sooner than 14 days
    assert condition(plan, "leaving", ConditionType.PROGRESSING)[0] == "True"


def check_matured(plan: planner.Plan) -> None:
    assert triggers(plan, "leaving") == ["matured"]
    assert kinds(plan) == ["withdraw_expire_unfreeze"]
    assert plan.actions[0].params == {"owner_address": OWNER}
    assert plan.actions[0].amount_sun == 1000 * SUN


WITHDRAW_OP = operation(
    "withdraw-1",
    Kind.WITHDRAW_EXPIRE_UNFREEZE,
    [UNFREEZING],
    {},
    state=OperationState.SOLIDIFIED,
    block_time_ms=EXPIRE + 3000,
)


def check_withdrawn(plan: planner.Plan) -> None:
    assert triggers(plan, "leaving") == ["matured", "withdraw_included"]
    update = plan.update_for(UNFREEZING.id)
    assert update is not None
    assert update.transitions[-1].txid == WITHDRAW_OP.txid
    assert condition(plan, "leaving", ConditionType.READY) == ("True", "Withdrawn")
    assert kinds(plan) == []


# drift
DRIFT_A = position("drift-a", spec(1000), state=State.FROZEN)
DRIFT_B = position("drift-b", spec(300), state=State.FROZEN, created_minute=1)


def check_stake_lost(plan: planner.Plan) -> None:
    # 1000 TRX are left on chain: drift-a (exactly that) keeps its stake, drift-b drifted
    assert triggers(plan, "drift-a") == []
    assert triggers(plan, "drift-b") == ["stake_lost"]
    assert condition(plan, "drift-b", ConditionType.DRIFTED)[:2] == ("True", "StakeLost")
    assert [d.kind for d in plan.drift] == ["stake_lost"]
    assert kinds(plan) == ["freeze"]
    assert plan.actions[0].position_ids == (DRIFT_B.id,)


DRIFT_VOTES = position(
    "drift-votes", spec(1000, votes={W1: 1}), state=State.VOTING, votes_cast=[wv(W1, 1000)]
)


def check_votes_lost(plan: planner.Plan) -> None:
    assert triggers(plan, "drift-votes") == ["votes_lost"]
    assert condition(plan, "drift-votes", ConditionType.DRIFTED)[:2] == ("True", "VotesLost")
    assert kinds(plan) == ["vote"]
    # the owner's own vote for W2 is kept as unmanaged, within the tron power
    assert plan.actions[0].params["votes"] == [{"vote_address": W1, "vote_count": 1000}]


def check_insufficient_balance(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert condition(plan, "fresh", ConditionType.STALLED) == ("True", "InsufficientBalance")
    assert condition(plan, "fresh", ConditionType.PROGRESSING)[0] == "False"
    assert condition(plan, "fresh", ConditionType.READY) == ("False", "InsufficientBalance")
    assert "InsufficientBalance" in codes(plan.waiting_for)
    assert plan.requeue_after_s == POLICY.stalled_retry_s


def check_fee_counted(plan: planner.Plan) -> None:
    # 1000 TRX of balance, no bandwidth: the freeze burns ~0.26 TRX, so 1000 TRX do not fit
    assert kinds(plan) == []
    assert condition(plan, "fresh", ConditionType.STALLED) == ("True", "InsufficientBalance")


def check_fee_burn_planned(plan: planner.Plan) -> None:
    assert kinds(plan) == ["freeze"]
    assert plan.actions[0].fee_sun == plan.actions[0].estimated_bytes * 1000
    assert "BandwidthFee" in codes(plan.warnings)


LOCKED_SPEC = spec(1000, delegate=RECEIVER, lock=True, lock_period_blocks=86_400)
LOCKED = position(
    "locked",
    LOCKED_SPEC,
    state=State.DELEGATED,
    delegation=delegation_of(LOCKED_SPEC),
    unstake=True,
)
LOCK_ENDS = CHAIN_T0 + 3600_000


def check_lock_not_expired(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert condition(plan, "locked", ConditionType.STALLED) == ("True", "LockNotExpired")
    (wait,) = [n for n in plan.waiting_for if n.code == "LockNotExpired"]
    assert wait.until_ms == LOCK_ENDS + 3000
    assert plan.requeue_after_s == min(POLICY.resync_period_s, 3603)


def check_lock_expired(plan: planner.Plan) -> None:
    assert kinds(plan) == ["undelegate", "unfreeze"]
    assert plan.actions[0].intent_key == f"undelegate:{OWNER}:{RECEIVER}:ENERGY:locked"


UNSTAKING_FROZEN = position("unstaking", spec(1000), state=State.FROZEN, unstake=True)
SOONEST = CHAIN_T0 + 5 * DAY_MS


def check_unfreeze_limit(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert condition(plan, "unstaking", ConditionType.STALLED) == ("True", "UnfreezeLimit")
    assert "UnfreezeLimit" in codes(plan.warnings)
    (wait,) = [n for n in plan.waiting_for if n.code == "UnfreezeLimit"]
    assert wait.until_ms == SOONEST
    assert plan.requeue_after_s == min(POLICY.resync_period_s, 5 * 86_400)


FLIGHT = position("flight", spec(1000))
FREEZE_IN_FLIGHT = operation(
    "freeze-flight",
    Kind.FREEZE,
    [FLIGHT],
    {"frozen_balance": 1000 * SUN, "resource": "ENERGY"},
    state=OperationState.BROADCAST,
    intent_key=f"freeze:{OWNER}:ENERGY",
)


def check_in_flight_blocks(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert plan.requeue_after_s == 3
    assert condition(plan, "flight", ConditionType.PROGRESSING) == ("True", "Reconciling")


def check_expired_allows_replacement(plan: planner.Plan) -> None:
    assert kinds(plan) == ["freeze"]
    assert plan.actions[0].position_ids == (FLIGHT.id,)


def check_rejected_allows_replacement(plan: planner.Plan) -> None:
    assert kinds(plan) == ["freeze"]


def check_receiver_not_activated(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert condition(plan, "delegate", ConditionType.STALLED) == ("True", "ReceiverNotActivated")
    assert "ReceiverNotActivated" in codes(plan.warnings)


def check_owner_not_activated(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert condition(plan, "fresh", ConditionType.STALLED) == ("True", "OwnerNotActivated")


PENDING_UNSTAKE = position("pending-unstake", spec(1000), unstake=True)


def check_pending_unstake(plan: planner.Plan) -> None:
    assert triggers(plan, "pending-unstake") == ["unstake"]
    assert condition(plan, "pending-unstake", ConditionType.READY) == ("True", "Withdrawn")
    assert kinds(plan) == []


def check_pending_unstake_waits_for_freeze(plan: planner.Plan) -> None:
    assert triggers(plan, "pending-unstake") == []
    assert "FreezeInFlight" in codes(plan.waiting_for)


ONLY_VOTER = position(
    "only-voter",
    spec(1000, votes={W1: 1}),
    state=State.VOTING,
    votes_cast=[wv(W1, 1000)],
    unstake=True,
)


def check_last_voter_unstakes(plan: planner.Plan) -> None:
    # VoteWitness cannot clear the list: the votes stay managed and the unfreeze rescales
    # them to nothing
    assert triggers(plan, "only-voter") == []
    assert kinds(plan) == ["unfreeze"]
    assert "VoteReduction" in codes(plan.warnings)
    (reduction,) = [n for n in plan.warnings if n.code == "VoteReduction"]
    assert "from 1000 to 0" in reduction.message


AUTO = position("auto", spec(1000, auto_claim=True), state=State.FROZEN)


def check_claim_due(plan: planner.Plan) -> None:
    assert kinds(plan) == ["claim_rewards"]
    assert plan.actions[0].params == {"owner_address": OWNER}


def check_claim_not_due(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    (wait,) = [n for n in plan.waiting_for if n.code == "ClaimNotDue"]
    assert wait.until_ms == CHAIN_T0 + 3600_000
    assert plan.requeue_after_s == min(POLICY.resync_period_s, 3600)


def check_too_many_witnesses(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert "TooManyWitnesses" in codes(plan.warnings)


UNKNOWN_W = address("not-a-witness")
UNKNOWN = position("unknown", spec(1000, votes={UNKNOWN_W: 1}), state=State.FROZEN)


def check_unknown_witness(plan: planner.Plan) -> None:
    assert kinds(plan) == []
    assert condition(plan, "unknown", ConditionType.STALLED) == ("True", "UnknownWitness")


SWAP_SPEC = spec(1000, delegate=RECEIVER)
SWAPPED = position(
    "swapped",
    spec(1000, delegate=address("receiver-3")),
    state=State.DELEGATED,
    delegation=delegation_of(SWAP_SPEC),
    generation=2,
)


def check_receiver_changed(plan: planner.Plan) -> None:
    assert kinds(plan) == ["undelegate"]
    assert plan.actions[0].params["receiver_address"] == RECEIVER
    assert "delegation changed" in plan.actions[0].reason


SCENARIOS = [
    Scenario("fresh position", [FRESH], snapshot(), check_fresh),
    Scenario("two positions batched", [BATCH_A, BATCH_B, BATCH_C], snapshot(), check_batched),
    Scenario(
        "votes across positions",
        [VOTE_A, VOTE_B],
        snapshot(frozen={EN: 1500 * SUN}),
        check_votes,
    ),
    Scenario(
        "vote inclusion applied",
        [VOTE_A, VOTE_B],
        snapshot(frozen={EN: 1500 * SUN}, votes=[wv(W1, 700), wv(W2, 550), wv(W3, 250)]),
        check_votes_landed,
        [VOTE_OP],
    ),
    Scenario(
        "converged",
        [VOTING_DONE],
        snapshot(frozen={EN: 1000 * SUN}, votes=[wv(W1, 700), wv(W2, 300)]),
        check_converged,
    ),
    Scenario("delegation", [DELEGATE], snapshot(frozen={EN: 1000 * SUN}), check_delegation),
    Scenario(
        "vote and delegate right after the freeze",
        [position("both", spec(1000, votes={W1: 1}, delegate=RECEIVER))],
        snapshot(frozen={EN: 1000 * SUN}),
        check_vote_and_delegate_together,
        [FREEZE_OP],
    ),
    Scenario(
        "unstake from delegated: undelegate and re-vote",
        [STAYING, LEAVING],
        UNSTAKE_OBSERVED,
        check_unstake_first_round,
    ),
    Scenario(
        "unstake from delegated: then unfreeze",
        [STAYING, LEAVING],
        AFTER_UNSTAKE_OPS,
        check_unstake_second_round,
        [UNDELEGATE_OP, REVOTE_OP],
    ),
    Scenario(
        "unfreeze included",
        [FROZEN_LEAVING],
        snapshot(unfreezing=[UnfreezingEntry(EN, 1000 * SUN, EXPIRE - 3000)]),
        check_unfreeze_landed,
        [UNFREEZE_OP],
    ),
    Scenario(
        "unfreezing waits",
        [UNFREEZING],
        snapshot(unfreezing=[ENTRY]),
        check_waiting_for_maturity,
    ),
    Scenario(
        "maturity plans the withdrawal",
        [UNFREEZING],
        snapshot(unfreezing=[ENTRY], time_ms=EXPIRE),
        check_matured,
    ),
    Scenario(
        "withdrawal included",
        [UNFREEZING],
        snapshot(time_ms=EXPIRE + 6000),
        check_withdrawn,
        [WITHDRAW_OP],
    ),
    Scenario(
        "stake removed out-of-band",
        [DRIFT_A, DRIFT_B],
        snapshot(frozen={EN: 1000 * SUN}),
        check_stake_lost,
        confirmation=snapshot(frozen={EN: 1000 * SUN}, head=HEAD - 19),
    ),
    Scenario(
        "votes changed out-of-band",
        [DRIFT_VOTES],
        snapshot(frozen={EN: 1000 * SUN}, votes=[wv(W2, 400)]),
        check_votes_lost,
        confirmation=snapshot(frozen={EN: 1000 * SUN}, votes=[wv(W2, 400)], head=HEAD - 19),
    ),
    Scenario(
        "insufficient balance",
        [FRESH],
        snapshot(balance_trx=999),
        check_insufficient_balance,
    ),
    Scenario(
        "the bandwidth fee counts against the balance",
        [FRESH],
        snapshot(balance_trx=1000, staked_bytes=0, free_bytes=100),
        check_fee_counted,
    ),
    Scenario(
        "a fee burn is planned when affordable",
        [FRESH],
        snapshot(balance_trx=1001, staked_bytes=0),
        check_fee_burn_planned,
    ),
    Scenario(
        "lock not yet expired",
        [LOCKED],
        snapshot(delegations=[DelegationOut(RECEIVER, EN, True, 1000 * SUN, LOCK_ENDS)]),
        check_lock_not_expired,
    ),
    Scenario(
        "lock expired",
        [LOCKED],
        snapshot(delegations=[DelegationOut(RECEIVER, EN, True, 1000 * SUN, CHAIN_T0 - 1)]),
        check_lock_expired,
    ),
    Scenario(
        "32 unfreezes pending",
        [UNSTAKING_FROZEN],
        snapshot(
            frozen={EN: 1000 * SUN},
            unfreezing=[UnfreezingEntry(BW, SUN, SOONEST + i) for i in range(32)],
        ),
        check_unfreeze_limit,
    ),
    Scenario(
        "an in-flight operation blocks a duplicate",
        [FLIGHT],
        snapshot(),
        check_in_flight_blocks,
        [FREEZE_IN_FLIGHT],
    ),
    Scenario(
        "an expired one allows a replacement",
        [FLIGHT],
        snapshot(),
        check_expired_allows_replacement,
        [dataclasses.replace(FREEZE_IN_FLIGHT, state=OperationState.EXPIRED)],
    ),
    Scenario(
        "a rejected one allows a replacement",
        [FLIGHT],
        snapshot(),
        check_rejected_allows_replacement,
        [dataclasses.replace(FREEZE_IN_FLIGHT, state=OperationState.REJECTED)],
    ),
    Scenario(
        "receiver not activated",
        [DELEGATE],
        snapshot(frozen={EN: 1000 * SUN}, receivers={RECEIVER: False}),
        check_receiver_not_activated,
    ),
    Scenario("owner not activated", [FRESH], snapshot(exists=False), check_owner_not_activated),
    Scenario("unstake of a pending position", [PENDING_UNSTAKE], snapshot(), check_pending_unstake),
    Scenario(
        "unstake of a pending position waits for its freeze",
        [PENDING_UNSTAKE],
        snapshot(),
        check_pending_unstake_waits_for_freeze,
        [operation("f", Kind.FREEZE, [PENDING_UNSTAKE], {}, state=OperationState.BROADCAST)],
    ),
    Scenario(
        "the last voter unstakes",
        [ONLY_VOTER],
        snapshot(frozen={EN: 1000 * SUN}, votes=[wv(W1, 1000)]),
        check_last_voter_unstakes,
    ),
    Scenario(
        "auto-claim when due",
        [AUTO],
        snapshot(
            frozen={EN: 1000 * SUN}, reward_sun=5 * SUN, latest_withdraw_time_ms=CHAIN_T0 - DAY_MS
        ),
        check_claim_due,
    ),
    Scenario(
        "claim not due for an hour",
        [AUTO],
        snapshot(
            frozen={EN: 1000 * SUN},
            reward_sun=5 * SUN,
            latest_withdraw_time_ms=CHAIN_T0 - DAY_MS + 3600_000,
        ),
        check_claim_not_due,
    ),
    Scenario(
        "more than 30 witnesses",
        [
            position(
                f"many-{i}",
                spec(100, votes={w: 1 for w in WITNESSES[i * 16 : i * 16 + 16]}),
                state=State.FROZEN,
            )
            for i in range(2)
        ],
        snapshot(frozen={EN: 200 * SUN}),
        check_too_many_witnesses,
    ),
    Scenario(
        "unknown witness", [UNKNOWN], snapshot(frozen={EN: 1000 * SUN}), check_unknown_witness
    ),
    Scenario(
        "receiver changed: undelegate first",
        [SWAPPED],
        snapshot(delegations=[DelegationOut(RECEIVER, EN, False, 1000 * SUN)]),
        check_receiver_changed,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario: Scenario) -> None:
    plan = planner.plan(
        scenario.positions,
        scenario.observed,
        scenario.operations,
        scenario.observed.head_block_time_ms,
        POLICY,
        claim_requested=scenario.claim_requested,
        confirmation=scenario.confirmation,
    )
    scenario.check(plan)
    # every plan can be applied to its positions through the position machine
    for p in scenario.positions:
        update = plan.update_for(p.id)
        if update is not None:
            new, records = planner.apply_update(p, update, at=T0)
            assert new.state is final_state(plan, p)
            assert len(records) == len(update.transitions)


def test_evidence_is_applied_once() -> None:
    plan = planner.plan([VOTE_A, VOTE_B], SCENARIOS[3].observed, [VOTE_OP], CHAIN_T0)
    update = plan.update_for(VOTE_A.id)
    assert update is not None
    applied, _ = planner.apply_update(VOTE_A, update, at=T0)
    assert applied.state is State.VOTING
    assert VOTE_OP.id in applied.applied_operations
    again = planner.plan([applied], SCENARIOS[3].observed, [VOTE_OP], CHAIN_T0)
    assert triggers(again, "vote-a") == []


def test_evidence_from_a_block_the_snapshot_has_not_seen_waits() -> None:
    future = dataclasses.replace(VOTE_OP, block=HEAD + 1)
    plan = planner.plan([VOTE_A, VOTE_B], snapshot(frozen={EN: 1500 * SUN}), [future], CHAIN_T0)
    assert triggers(plan, "vote-a") == []
    assert kinds(plan) == []  # the vote is in flight
    assert "OperationInFlight" in codes(plan.waiting_for)


def test_apply_update_refuses_a_stale_position() -> None:
    plan = planner.plan(
        [DRIFT_A, DRIFT_B],
        snapshot(frozen={EN: 1000 * SUN}),
        [],
        CHAIN_T0,
        confirmation=snapshot(frozen={EN: 1000 * SUN}, head=HEAD - 19),
    )
    update = plan.update_for(DRIFT_B.id)
    assert update is not None
    moved = dataclasses.replace(DRIFT_B, state=State.PENDING)
    with pytest.raises(InvalidTransitionError):
        planner.apply_update(moved, update, at=T0)
    with pytest.raises(ValueError, match="applied to"):
        planner.apply_update(DRIFT_A, update, at=T0)


def test_conditions_and_history_after_apply() -> None:
    plan = planner.plan(
        [DRIFT_A, DRIFT_B],
        snapshot(frozen={EN: 1000 * SUN}),
        [],
        CHAIN_T0,
        confirmation=snapshot(frozen={EN: 1000 * SUN}, head=HEAD - 19),
    )
    update = plan.update_for(DRIFT_B.id)
    assert update is not None
    at = T0 + dt.timedelta(minutes=1)
    new, records = planner.apply_update(DRIFT_B, update, at=at)
    assert new.state is State.PENDING
    drifted = new.condition(ConditionType.DRIFTED)
    assert drifted is not None
    assert drifted.status is ConditionStatus.TRUE
    assert drifted.last_transition_time == at
    (record,) = records
    assert (record.from_state, record.to_state, record.trigger) == (
        "frozen",
        "pending",
        "stake_lost",
    )
    assert "1000000000 sun" in record.reason


def test_positions_of_another_owner_are_refused() -> None:
    stranger = position("stranger", spec(10, owner=address("someone-else")))
    with pytest.raises(ValueError, match="belongs to"):
        planner.plan([stranger], snapshot(), [], CHAIN_T0)


def test_plan_json_shape() -> None:
    plan = planner.plan([STAYING, LEAVING], UNSTAKE_OBSERVED, [], CHAIN_T0)
    body = plan.to_json()
    assert body["owner"] == OWNER
    assert isinstance(body["actions"], list)
    first = body["actions"][0]
    assert isinstance(first, dict)
    assert set(first) == {"kind", "intent_key", "params", "positions", "reason"}
    assert first["kind"] == "undelegate"
    assert {"waiting_for", "warnings", "drift", "requeue_after_s", "observed_block"} <= set(body)


def test_a_vote_rescale_warning_before_an_unfreeze() -> None:
    # an unmanaged vote backed by the stake that leaves: the unfreeze would rescale it
    leaving = position("leaving-2", spec(1000), state=State.FROZEN, unstake=True)
    observed = snapshot(frozen={EN: 2000 * SUN}, votes=[wv(W1, 1500)])
    plan = planner.plan(
        [leaving], observed, [], CHAIN_T0, dataclasses.replace(POLICY, keep_unmanaged_votes=False)
    )
    assert kinds(plan) == ["unfreeze"]
    (warning,) = [n for n in plan.warnings if n.code == "VoteReduction"]
    assert "from 1500 to 1000" in warning.message
