"""Adding one action to the plan: the back-off check, the balance check at its exact edge
(amount only for a freeze, fees of the follow-ups included), what the action records, the
ledger charged once, the positions moved, and the fee warning.

Written to kill the mutants ``make mutate`` left alive in ``planner/emit.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tests.unit.controller.builders import (
    EN,
    NOW,
    OWNER,
    POLICY,
    RECEIVER,
    SUN,
    W1,
    Kind,
    State,
    operation,
    position,
    snapshot,
    spec,
    wv,
)
from tron_staking.controller.planner import gate
from tron_staking.controller.planner.emit import emit
from tron_staking.controller.planner.work import Location, Round
from tron_staking.domain.enums import OperationState
from tron_staking.domain.operation import JsonValue
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot, UnfreezingEntry

FREEZE_BYTES = 254 + 8
VOTE_BYTES = 271 + 8
DELEGATE_BYTES = 279 + 8

P1 = position("p1", spec(100, delegate=RECEIVER), created_minute=1)
P2 = position("p2", spec(200, delegate=RECEIVER), created_minute=0)


def round_of(observed: AccountSnapshot, positions: Sequence[Position] = (P1, P2)) -> Round:
    return Round(positions, observed, [], NOW, POLICY, False)


def freeze_params(amount_sun: int) -> dict[str, JsonValue]:
    return {"owner_address": OWNER, "frozen_balance": amount_sun, "resource": "ENERGY"}


def test_a_freeze_is_planned_with_everything_it_rests_on() -> None:
    rnd = round_of(snapshot(balance_trx=1000, staked_bytes=10_000))
    works = [rnd.works[P1.id], rnd.works[P2.id], rnd.works[P1.id]]
    params = freeze_params(300 * SUN)
    votes = {P1.id: (wv(W1, 100),)}
    assert emit(rnd, Kind.FREEZE, "k", params, works, "why", facts={"f": 1}, position_votes=votes)
    (action,) = rnd.actions
    assert action.kind is Kind.FREEZE
    assert action.intent_key == "k"
    assert action.params == params
    assert action.position_ids == tuple(sorted([P1.id, P2.id]))
    assert action.reason == "why"
    assert action.amount_sun == 300 * SUN
    assert action.estimated_bytes == FREEZE_BYTES
    assert action.fee_sun == 0
    assert action.position_votes == votes
    assert action.basis == gate.basis_of(Kind.FREEZE, params, works, {"f": 1})
    assert rnd.ledger.balance_sun == 700 * SUN
    assert rnd.ledger.staked_bytes == 10_000 - FREEZE_BYTES
    assert rnd.ledger.frozen[EN] == 300 * SUN
    assert rnd.ledger.frozen_sure[EN] == 0  # planned, not visible
    w1 = rnd.works[P1.id]
    assert (w1.location, w1.arriving_by) == (Location.POOL, Kind.FREEZE)
    assert w1.progress == ["freeze planned", "freeze planned"]
    assert rnd.warnings == []
    assert rnd.waiting == []


def test_the_balance_must_cover_the_amount_and_the_fees_of_the_follow_ups() -> None:
    fees = (FREEZE_BYTES + VOTE_BYTES + DELEGATE_BYTES) * 1000
    exact = 100 * SUN + fees
    rnd = round_of(dataclasses.replace(snapshot(staked_bytes=0), balance_sun=exact))
    reserve = (VOTE_BYTES, DELEGATE_BYTES)
    assert emit(
        rnd,
        Kind.FREEZE,
        "k",
        freeze_params(100 * SUN),
        [rnd.works[P1.id]],
        "r",
        reserve_sizes=reserve,
    )
    assert rnd.ledger.balance_sun == VOTE_BYTES * 1000 + DELEGATE_BYTES * 1000
    (action,) = rnd.actions
    assert action.fee_sun == FREEZE_BYTES * 1000
    assert [(n.code, n.position_ids) for n in rnd.warnings] == [("BandwidthFee", (P1.id,))]
    assert rnd.warnings[0].message == (
        f"freeze will burn about {FREEZE_BYTES * 1000} sun: no free or staked bandwidth is left"
    )

    short = round_of(dataclasses.replace(snapshot(staked_bytes=0), balance_sun=exact - 1))
    w = short.works[P1.id]
    assert not emit(
        short, Kind.FREEZE, "k", freeze_params(100 * SUN), [w], "r", reserve_sizes=reserve
    )
    assert short.actions == []
    assert short.ledger.balance_sun == exact - 1
    message = (
        f"freeze needs {exact} sun (amount and bandwidth fees); the balance left is {exact - 1} sun"
    )
    assert w.problems == [("InsufficientBalance", message)]
    assert [n.code for n in short.waiting] == ["InsufficientBalance"]
    assert w.progress == []
    assert w.location is Location.NONE


def test_only_a_freeze_needs_its_amount_in_the_balance() -> None:
    rnd = round_of(snapshot(balance_trx=1, staked_bytes=10_000, frozen={EN: 500 * SUN}))
    params: dict[str, JsonValue] = {
        "owner_address": OWNER,
        "receiver_address": RECEIVER,
        "balance": 200 * SUN,
        "resource": "ENERGY",
    }
    rnd.works[P2.id].location = Location.POOL  # its stake is in the pool
    assert emit(rnd, Kind.DELEGATE, "d", params, [rnd.works[P2.id]], "r")
    assert rnd.actions[0].amount_sun == 200 * SUN
    assert rnd.ledger.balance_sun == 1 * SUN
    assert rnd.ledger.delegated == {(RECEIVER, EN): 200 * SUN}
    assert rnd.works[P2.id].location is Location.DELEGATED


def test_an_explicit_amount_and_an_owner_chore() -> None:
    rnd = round_of(snapshot(staked_bytes=10_000, reward_sun=5 * SUN))
    w = rnd.works[P1.id]
    assert emit(
        rnd, Kind.CLAIM_REWARDS, "c", {"owner_address": OWNER}, [w], "r", amount_sun=5 * SUN
    )
    assert rnd.actions[0].amount_sun == 5 * SUN
    assert rnd.actions[0].position_votes == {}
    assert w.progress == []
    assert rnd.ledger.reward_sun == 0
    assert emit(rnd, Kind.WITHDRAW_EXPIRE_UNFREEZE, "w", {"owner_address": OWNER}, [w], "r")
    assert rnd.actions[1].amount_sun == 0
    assert w.progress == ["withdraw_expire_unfreeze planned"]


def test_a_backed_off_intent_is_not_planned() -> None:
    w_params = freeze_params(100 * SUN)
    probe = round_of(snapshot())
    basis = gate.basis_of(Kind.FREEZE, w_params, [probe.works[P1.id]], {})
    rejected = dataclasses.replace(
        operation("r", Kind.FREEZE, [P1], w_params, state=OperationState.REJECTED, intent_key="k"),
        basis=basis,
        final_at_ms=NOW - 1000,
    )
    rnd = Round([P1, P2], snapshot(), [rejected], NOW, POLICY, False)
    w = rnd.works[P1.id]
    assert not emit(rnd, Kind.FREEZE, "k", w_params, [w], "r")
    assert rnd.actions == []
    assert [code for code, _ in w.problems] == ["Rejected"]
    assert rnd.ledger.balance_sun == 100_000 * SUN
    # another basis (another amount) is not held back
    assert emit(rnd, Kind.FREEZE, "k", freeze_params(101 * SUN), [w], "r")
    assert rnd.works[P1.id].state is State.PENDING


def test_a_transaction_that_moves_no_balance_needs_none() -> None:
    observed = dataclasses.replace(
        snapshot(staked_bytes=10_000, frozen={EN: 500 * SUN}), balance_sun=0
    )
    rnd = round_of(observed)
    params: dict[str, JsonValue] = {
        "owner_address": OWNER,
        "receiver_address": RECEIVER,
        "balance": 200 * SUN,
        "resource": "ENERGY",
    }
    assert emit(rnd, Kind.DELEGATE, "d", params, [rnd.works[P2.id]], "r")
    assert rnd.works[P2.id].problems == []


def test_a_freeze_short_of_balance_waits_for_the_unfreeze_that_pays_it() -> None:
    matures = NOW + 50_000
    observed = dataclasses.replace(
        snapshot(
            staked_bytes=10_000,
            unfreezing=(UnfreezingEntry(EN, 60 * SUN, matures),),
        ),
        balance_sun=50 * SUN,
    )
    rnd = round_of(observed)
    assert not emit(rnd, Kind.FREEZE, "k", freeze_params(100 * SUN), [rnd.works[P1.id]], "r")
    assert [(n.code, n.until_ms) for n in rnd.waiting] == [("InsufficientBalance", matures + 3000)]
