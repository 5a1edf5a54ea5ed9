"""The resource ledger, edge by edge: parameter readers, sizes, the snapshot it starts from,
fees at the exact bandwidth boundaries, and each kind's effect on every tally it moves.

Written to kill the mutants ``make mutate`` left alive in ``planner/ledger.py``: each test
asserts exact amounts, so an off-by-one, a swapped pool or a lost update fails it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tests.unit.controller.builders import (
    BW,
    CHAIN_T0,
    EN,
    RECEIVER,
    RECEIVER2,
    SUN,
    W1,
    W2,
    W3,
    Kind,
    snapshot,
    wv,
)
from tron_staking.controller.planner import ledger
from tron_staking.controller.planner.ledger import Ledger
from tron_staking.domain import bandwidth
from tron_staking.domain.operation import JsonValue
from tron_staking.domain.snapshot import DelegationOut, UnfreezingEntry

FEE = 1000


def blank(**changes: object) -> Ledger:
    """A ledger with small distinct numbers everywhere, so a tally moved into the wrong field
    shows. Built from a snapshot, then adjusted, so it follows new fields of the ledger."""
    observed = snapshot(
        balance_trx=1_000,
        frozen={EN: 50 * SUN, BW: 70 * SUN},
        can_delegate={EN: 40 * SUN, BW: 60 * SUN},
        staked_bytes=0,
        free_bytes=0,
        available_unfreeze_count=30,
    )
    return dataclasses.replace(Ledger.of(observed, CHAIN_T0, FEE), **changes)  # type: ignore[arg-type]


def fields(led: Ledger, names: Mapping[str, object]) -> dict[str, object]:
    return {name: getattr(led, name) for name in names}


# -- parameter readers --------------------------------------------------------------------------


def test_amount_of_reads_each_amount_name_in_order() -> None:
    assert ledger.amount_of({"frozen_balance": 5}) == 5
    assert ledger.amount_of({"unfreeze_balance": 6}) == 6
    assert ledger.amount_of({"balance": 7}) == 7
    assert ledger.amount_of({"frozen_balance": 5, "unfreeze_balance": 6, "balance": 7}) == 5
    assert ledger.amount_of({"unfreeze_balance": 6, "balance": 7}) == 6
    # a non-integer first name is skipped, the next integer one counts
    assert ledger.amount_of({"frozen_balance": "5", "balance": 7}) == 7
    assert ledger.amount_of({"frozen_balance": True, "balance": 7}) == 7
    assert ledger.amount_of({"votes": []}) == 0


def test_resource_of_reads_both_resources() -> None:
    assert ledger.resource_of({"resource": "BANDWIDTH"}) is BW
    assert ledger.resource_of({"resource": "ENERGY"}) is EN
    assert ledger.resource_of({"resource": None}) is None


def test_receiver_of_reads_the_receiver() -> None:
    assert ledger.receiver_of({"receiver_address": RECEIVER}) == RECEIVER
    assert ledger.receiver_of({"owner_address": RECEIVER}) is None


def test_vote_list_of_reads_lists_and_tuples_in_order() -> None:
    raw: list[JsonValue] = [
        {"vote_address": W2, "vote_count": 3},
        {"vote_address": W1, "vote_count": 4},
    ]
    assert ledger.vote_list_of({"votes": raw}) == (wv(W2, 3), wv(W1, 4))
    assert ledger.vote_list_of({"votes": tuple(raw)}) == (wv(W2, 3), wv(W1, 4))
    # one bad entry is skipped, the good ones after it are kept
    mixed: list[JsonValue] = [{"vote_address": W3}, {"vote_address": W1, "vote_count": 2}]
    assert ledger.vote_list_of({"votes": mixed}) == (wv(W1, 2),)


def test_size_of_passes_resource_lock_and_vote_entries() -> None:
    est = bandwidth.estimate_bytes
    assert ledger.size_of(Kind.FREEZE, {"resource": "BANDWIDTH"}) == est(Kind.FREEZE, resource=BW)
    assert ledger.size_of(Kind.FREEZE, {"resource": "ENERGY"}) == est(Kind.FREEZE, resource=EN)
    assert ledger.size_of(Kind.FREEZE, {"resource": "BANDWIDTH"}) == 252 + 8
    assert ledger.size_of(Kind.DELEGATE, {"lock": True}) == 279 + 6 + 8
    assert ledger.size_of(Kind.DELEGATE, {"lock": False}) == 279 + 8
    assert ledger.size_of(Kind.DELEGATE, {"lock": "true"}) == 279 + 8
    assert ledger.size_of(Kind.VOTE, {}) == 271 + 8
    three: list[JsonValue] = [{"vote_address": w, "vote_count": 1} for w in (W1, W2, W3)]
    assert ledger.size_of(Kind.VOTE, {"votes": three}) == 271 + 2 * 29 + 8


# -- the snapshot it starts from ----------------------------------------------------------------


def test_of_copies_every_fact_of_the_snapshot() -> None:
    now = CHAIN_T0
    observed = snapshot(
        balance_trx=900,
        frozen={EN: 30 * SUN, BW: 20 * SUN},
        can_delegate={EN: 25 * SUN, BW: 15 * SUN},
        staked_bytes=1234,
        free_bytes=567,
        delegations=(
            DelegationOut(RECEIVER, EN, False, 4 * SUN),
            DelegationOut(RECEIVER, EN, True, 6 * SUN, lock_expire_time_ms=now + 1),
            DelegationOut(RECEIVER2, BW, True, 8 * SUN, lock_expire_time_ms=now - 1),
        ),
        unfreezing=(
            UnfreezingEntry(EN, 3 * SUN, now),
            UnfreezingEntry(BW, 5 * SUN, now + 1),
        ),
        votes=(wv(W1, 10), wv(W2, 5)),
        available_unfreeze_count=29,
        reward_sun=777,
    )
    led = Ledger.of(observed, now, 999)
    expected: dict[str, object] = {
        "balance_sun": 900 * SUN,
        "staked_bytes": 1234,
        "free_bytes": 567,
        "fee_sun_per_byte": 999,
        "frozen": {EN: 30 * SUN, BW: 20 * SUN},
        "frozen_sure": {EN: 30 * SUN, BW: 20 * SUN},
        "can_delegate": {EN: 25 * SUN, BW: 15 * SUN},
        "delegated": {(RECEIVER, EN): 10 * SUN, (RECEIVER2, BW): 8 * SUN},
        "undelegatable": {(RECEIVER, EN): 4 * SUN, (RECEIVER2, BW): 8 * SUN},
        "tron_power_sun": 68 * SUN,
        "votes": (wv(W1, 10), wv(W2, 5)),
        "unfreeze_slots": 29,
        "withdrawable_sun": 3 * SUN,
        "reward_sun": 777,
    }
    assert fields(led, expected) == expected
    # the two pools are separate dictionaries: one moves without the other
    led.frozen[EN] += 1
    assert led.frozen_sure[EN] == 30 * SUN


# -- fees ---------------------------------------------------------------------------------------


def test_fee_for_is_free_exactly_when_one_pool_covers_the_whole_size() -> None:
    assert blank(staked_bytes=300).fee_for(300) == 0
    assert blank(free_bytes=300).fee_for(300) == 0
    assert blank(staked_bytes=299, free_bytes=299).fee_for(300) == 300 * FEE
    assert blank(staked_bytes=299, free_bytes=299, fee_sun_per_byte=7).fee_for(300) == 2100


def test_pay_bandwidth_takes_staked_first_then_free_then_burns() -> None:
    led = blank(staked_bytes=300, free_bytes=300)
    assert led.pay_bandwidth(300) == 0
    assert (led.staked_bytes, led.free_bytes, led.balance_sun) == (0, 300, 1_000 * SUN)
    assert led.pay_bandwidth(300) == 0
    assert (led.staked_bytes, led.free_bytes, led.balance_sun) == (0, 0, 1_000 * SUN)
    led = blank(staked_bytes=299, free_bytes=299, fee_sun_per_byte=7)
    assert led.pay_bandwidth(300) == 2100
    assert (led.staked_bytes, led.free_bytes, led.balance_sun) == (299, 299, 1_000 * SUN - 2100)


def test_fees_for_charges_one_after_the_other_without_touching_the_ledger() -> None:
    led = blank(staked_bytes=500, free_bytes=400)
    # 300 from staked (200 left), 300 from free (100 left), 300 burned, 100 from free
    assert led.fees_for([300, 300, 300, 100]) == 300 * FEE
    assert (led.staked_bytes, led.free_bytes, led.balance_sun) == (500, 400, 1_000 * SUN)
    assert led.fees_for([]) == 0


# -- effects ------------------------------------------------------------------------------------


def test_freeze_sure_and_not_sure() -> None:
    led = blank()
    led.apply(Kind.FREEZE, {"frozen_balance": 5 * SUN, "resource": "BANDWIDTH"}, sure=True)
    assert led.balance_sun == 995 * SUN
    assert led.frozen == {EN: 50 * SUN, BW: 75 * SUN}
    assert led.frozen_sure == {EN: 50 * SUN, BW: 75 * SUN}
    assert led.can_delegate == {EN: 40 * SUN, BW: 65 * SUN}
    assert led.tron_power_sun == 125 * SUN
    led.apply(Kind.FREEZE, {"frozen_balance": 2 * SUN}, sure=False)  # no resource: ENERGY
    assert led.balance_sun == 993 * SUN
    assert led.frozen == {EN: 52 * SUN, BW: 75 * SUN}
    assert led.frozen_sure == {EN: 50 * SUN, BW: 75 * SUN}
    assert led.can_delegate == {EN: 42 * SUN, BW: 65 * SUN}
    assert led.tron_power_sun == 127 * SUN


def test_unfreeze_takes_stake_sweeps_matured_and_rescales_votes() -> None:
    led = blank(
        withdrawable_sun=3 * SUN,
        votes=(wv(W1, 60), wv(W2, 40)),
        staked_bytes=1000,
    )
    led.apply(Kind.UNFREEZE, {"unfreeze_balance": 70 * SUN}, sure=True)  # ENERGY by default
    assert led.frozen == {EN: -20 * SUN, BW: 70 * SUN}
    assert led.frozen_sure == {EN: -20 * SUN, BW: 70 * SUN}
    assert led.can_delegate == {EN: -30 * SUN, BW: 60 * SUN}
    assert led.tron_power_sun == 50 * SUN
    assert led.unfreeze_slots == 29
    assert led.balance_sun == 1_003 * SUN
    assert led.withdrawable_sun == 0
    assert led.votes == (wv(W1, 30), wv(W2, 20))
    assert led.staked_bytes == 1000  # an ENERGY unfreeze leaves staked bandwidth alone


def test_unfreeze_of_bandwidth_scales_staked_bandwidth_down() -> None:
    led = blank(staked_bytes=1000)
    led.apply(Kind.UNFREEZE, {"unfreeze_balance": 21 * SUN, "resource": "BANDWIDTH"}, sure=True)
    assert led.frozen[BW] == 49 * SUN
    assert led.staked_bytes == 700  # 1000 × 49 / 70
    led.apply(Kind.UNFREEZE, {"unfreeze_balance": 60 * SUN, "resource": "BANDWIDTH"}, sure=True)
    assert led.frozen[BW] == -11 * SUN
    assert led.staked_bytes == 0  # the pool is gone, never negative bytes
    led = blank(staked_bytes=1000, frozen={EN: 50 * SUN, BW: 0})
    led.apply(Kind.UNFREEZE, {"unfreeze_balance": 1, "resource": "BANDWIDTH"}, sure=True)
    assert led.staked_bytes == 1000  # no bandwidth stake before: nothing to scale


def test_delegate_unlocked_locked_and_without_receiver() -> None:
    led = blank()
    led.apply(Kind.DELEGATE, {"balance": 5 * SUN, "receiver_address": RECEIVER}, sure=True)
    led.apply(Kind.DELEGATE, {"balance": 2 * SUN, "receiver_address": RECEIVER}, sure=True)
    led.apply(
        Kind.DELEGATE,
        {"balance": 3 * SUN, "receiver_address": RECEIVER2, "resource": "BANDWIDTH", "lock": True},
        sure=False,
    )
    assert led.delegated == {(RECEIVER, EN): 7 * SUN, (RECEIVER2, BW): 3 * SUN}
    assert led.undelegatable == {(RECEIVER, EN): 7 * SUN}
    assert led.frozen == {EN: 43 * SUN, BW: 67 * SUN}
    assert led.frozen_sure == {EN: 43 * SUN, BW: 67 * SUN}
    assert led.can_delegate == {EN: 33 * SUN, BW: 57 * SUN}
    assert led.tron_power_sun == 120 * SUN  # delegated stake keeps its tron power
    led.apply(Kind.DELEGATE, {"balance": 1 * SUN}, sure=True)
    assert led.frozen[EN] == 42 * SUN
    assert led.delegated == {(RECEIVER, EN): 7 * SUN, (RECEIVER2, BW): 3 * SUN}


def test_undelegate_sure_and_not_sure() -> None:
    led = blank(
        delegated={(RECEIVER, EN): 9 * SUN},
        undelegatable={(RECEIVER, EN): 9 * SUN},
    )
    led.apply(Kind.UNDELEGATE, {"balance": 4 * SUN, "receiver_address": RECEIVER}, sure=True)
    assert led.delegated == {(RECEIVER, EN): 5 * SUN}
    assert led.undelegatable == {(RECEIVER, EN): 5 * SUN}
    assert led.frozen == {EN: 54 * SUN, BW: 70 * SUN}
    assert led.frozen_sure == {EN: 54 * SUN, BW: 70 * SUN}
    assert led.can_delegate == {EN: 44 * SUN, BW: 60 * SUN}
    led.apply(
        Kind.UNDELEGATE,
        {"balance": 2 * SUN, "receiver_address": RECEIVER2, "resource": "BANDWIDTH"},
        sure=False,
    )
    assert led.delegated == {(RECEIVER, EN): 5 * SUN, (RECEIVER2, BW): -2 * SUN}
    assert led.undelegatable == {(RECEIVER, EN): 5 * SUN, (RECEIVER2, BW): -2 * SUN}
    assert led.frozen == {EN: 54 * SUN, BW: 72 * SUN}
    assert led.frozen_sure == {EN: 54 * SUN, BW: 70 * SUN}
    assert led.can_delegate == {EN: 44 * SUN, BW: 62 * SUN}
    led.apply(Kind.UNDELEGATE, {"balance": 1 * SUN}, sure=True)
    assert led.frozen[EN] == 55 * SUN
    assert led.delegated == {(RECEIVER, EN): 5 * SUN, (RECEIVER2, BW): -2 * SUN}
    assert led.tron_power_sun == 120 * SUN


def test_vote_withdraw_and_claim() -> None:
    led = blank(votes=(wv(W1, 1),), withdrawable_sun=4 * SUN, reward_sun=3 * SUN)
    led.apply(Kind.VOTE, {"votes": [{"vote_address": W2, "vote_count": 9}]}, sure=False)
    assert led.votes == (wv(W2, 9),)
    led.apply(Kind.WITHDRAW_EXPIRE_UNFREEZE, {}, sure=True)
    assert (led.balance_sun, led.withdrawable_sun) == (1_004 * SUN, 0)
    led.apply(Kind.CLAIM_REWARDS, {}, sure=True)
    assert (led.balance_sun, led.reward_sun) == (1_007 * SUN, 0)
    assert led.frozen == {EN: 50 * SUN, BW: 70 * SUN}


def test_staked_bandwidth_scales_in_whole_bytes_down_to_nothing() -> None:
    led = blank(staked_bytes=1000, frozen={EN: 0, BW: 3 * SUN})
    led.apply(Kind.UNFREEZE, {"unfreeze_balance": 1 * SUN, "resource": "BANDWIDTH"}, sure=True)
    assert led.staked_bytes == 666  # 1000 × 2 / 3, rounded down to whole bytes
    assert isinstance(led.staked_bytes, int)
    led = blank(staked_bytes=1000, frozen={EN: 0, BW: 2})
    led.apply(Kind.UNFREEZE, {"unfreeze_balance": 5, "resource": "BANDWIDTH"}, sure=True)
    assert led.staked_bytes == 0  # more than the pool: nothing staked is left
    led = blank(staked_bytes=1000, frozen={EN: 0, BW: 1})
    led.apply(Kind.UNFREEZE, {"unfreeze_balance": 1, "resource": "BANDWIDTH"}, sure=True)
    assert led.staked_bytes == 0  # a one-sun pool is still a pool
