"""UnfreezeBalanceV2, WithdrawExpireUnfreeze and CancelAllUnfreezeV2: rules and state changes."""

from __future__ import annotations

from collections.abc import Callable

from tests.devnet.engine.conftest import BAD_ADDRESS, DAY_S, TRX, Harness
from tron_devnet.types import (
    CancelAllUnfreezeV2Contract,
    FreezeBalanceV2Contract,
    ResourceCode,
    UnfreezeBalanceV2Contract,
    Vote,
    VoteWitnessContract,
    WithdrawExpireUnfreezeContract,
)

ENERGY = ResourceCode.ENERGY
BANDWIDTH = ResourceCode.BANDWIDTH
TRON_POWER = ResourceCode.TRON_POWER


def staked(h: Harness, amount: int = 100 * TRX, resource: int = ENERGY) -> bytes:
    owner = h.users[0]
    h.ok(FreezeBalanceV2Contract(owner, amount, resource))
    h.chain.produce_block()
    return owner


# ---- UnfreezeBalanceV2Contract ----


def test_unfreeze_not_supported(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getUnfreezeDelayDays=0)
    assert h.invalid(UnfreezeBalanceV2Contract(h.users[0], TRX, ENERGY)) == (
        "Not support UnfreezeV2 transaction, need to be opened by the committee"
    )


def test_unfreeze_invalid_address(harness: Harness) -> None:
    value = UnfreezeBalanceV2Contract(BAD_ADDRESS, TRX, ENERGY)
    assert harness.build_error(value) == "Invalid address"


def test_unfreeze_missing_account(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    value = UnfreezeBalanceV2Contract(fresh, TRX, ENERGY)
    assert harness.build_error(value) == f"Account[{fresh.hex()}] does not exist"


def test_unfreeze_nothing_frozen(harness: Harness) -> None:
    owner = harness.users[0]
    assert harness.invalid(UnfreezeBalanceV2Contract(owner, TRX, BANDWIDTH)) == (
        "no frozenBalance(BANDWIDTH)"
    )
    assert harness.invalid(UnfreezeBalanceV2Contract(owner, TRX, ENERGY)) == (
        "no frozenBalance(Energy)"
    )


def test_unfreeze_resource_codes(harness: Harness) -> None:
    owner = staked(harness)
    expected = "ResourceCode error.valid ResourceCode[BANDWIDTH、Energy]"
    assert harness.invalid(UnfreezeBalanceV2Contract(owner, TRX, TRON_POWER)) == expected
    assert harness.invalid(UnfreezeBalanceV2Contract(owner, TRX, 9)) == expected


def test_unfreeze_resource_codes_with_new_model(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getAllowNewResourceModel=1)
    owner = h.users[0]
    assert h.invalid(UnfreezeBalanceV2Contract(owner, TRX, TRON_POWER)) == (
        "no frozenBalance(TronPower)"
    )
    assert h.invalid(UnfreezeBalanceV2Contract(owner, TRX, 9)) == (
        "ResourceCode error.valid ResourceCode[BANDWIDTH、Energy、TRON_POWER]"
    )


def test_unfreeze_invalid_amount(harness: Harness) -> None:
    owner = staked(harness)
    for amount in (0, -1, 100 * TRX + 1):
        value = UnfreezeBalanceV2Contract(owner, amount, ENERGY)
        assert harness.invalid(value) == f"Invalid unfreeze_balance, [{amount}] is error"


def test_unfreeze_the_33rd_is_refused(harness: Harness) -> None:
    owner = staked(harness)
    harness.ok(FreezeBalanceV2Contract(owner, 10_000 * TRX, BANDWIDTH))  # pays the bandwidth
    harness.chain.produce_block()
    for _ in range(32):
        harness.ok(UnfreezeBalanceV2Contract(owner, TRX, ENERGY))
    assert harness.chain.available_unfreeze_count_json(owner) == {}
    assert harness.invalid(UnfreezeBalanceV2Contract(owner, TRX, ENERGY)) == (
        "Invalid unfreeze operation, unfreezing times is over limit"
    )
    # Matured entries no longer count.
    harness.chain.advance_time(14 * DAY_S)
    harness.chain.produce_block()
    assert harness.chain.available_unfreeze_count_json(owner) == {"count": 32}
    assert harness.send(UnfreezeBalanceV2Contract(owner, TRX, ENERGY)).ok


def test_unfreeze_state(harness: Harness) -> None:
    owner = staked(harness)
    balance = harness.balance(owner)
    harness.ok(UnfreezeBalanceV2Contract(owner, 40 * TRX, ENERGY))
    now = harness.chain.head.timestamp
    account = harness.account(owner)
    assert account["frozenV2"][1] == {"type": "ENERGY", "amount": 60 * TRX}
    assert account["unfrozenV2"] == [
        {
            "type": "ENERGY",
            "unfreeze_amount": 40 * TRX,
            "unfreeze_expire_time": now + 14 * 86_400_000,
        }
    ]
    assert harness.balance(owner) == balance  # free bandwidth paid; nothing comes back yet
    assert harness.chain.account_resource_json(owner)["TotalEnergyWeight"] == 60
    assert harness.chain.available_unfreeze_count_json(owner) == {"count": 31}
    assert harness.chain.can_withdraw_unfreeze_amount_json(owner, 0) == {}
    later = now + 14 * 86_400_000
    assert harness.chain.can_withdraw_unfreeze_amount_json(owner, later) == {"amount": 40 * TRX}
    assert harness.chain.can_withdraw_unfreeze_amount_json(owner, -1) == {}


def test_matured_unfreezes_are_swept_on_the_next_unfreeze(harness: Harness) -> None:
    owner = staked(harness)
    harness.ok(UnfreezeBalanceV2Contract(owner, 10 * TRX, ENERGY))
    harness.chain.produce_block()
    harness.ok(UnfreezeBalanceV2Contract(owner, 5 * TRX, ENERGY))
    harness.chain.produce_block()
    harness.ok(UnfreezeBalanceV2Contract(owner, 7 * TRX, ENERGY))
    harness.chain.advance_time(14 * DAY_S - 6)  # the first two mature, the third does not
    harness.chain.produce_block()
    balance = harness.balance(owner)
    tx = harness.ok(UnfreezeBalanceV2Contract(owner, 1 * TRX, ENERGY))
    assert harness.balance(owner) == balance + 15 * TRX
    entries = harness.account(owner)["unfrozenV2"]
    assert [e["unfreeze_amount"] for e in entries] == [7 * TRX, 1 * TRX]
    harness.chain.produce_block()
    assert harness.info(tx)["withdraw_expire_amount"] == 15 * TRX


def test_unfreeze_rescales_votes(harness: Harness) -> None:
    owner = harness.users[0]
    first, second = harness.witnesses[0], harness.witnesses[1]
    harness.ok(FreezeBalanceV2Contract(owner, 2_000 * TRX, ENERGY))
    harness.ok(VoteWitnessContract(owner, (Vote(first, 600), Vote(second, 400))))
    harness.chain.produce_block()
    harness.ok(UnfreezeBalanceV2Contract(owner, 1_500 * TRX, ENERGY))
    votes = harness.account(owner)["votes"]
    assert votes == [
        {"vote_address": first, "vote_count": 300},
        {"vote_address": second, "vote_count": 200},
    ]
    assert harness.chain.account_resource_json(owner)["tronPowerUsed"] == 500


def test_unfreeze_keeps_votes_covered_by_tron_power(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(FreezeBalanceV2Contract(owner, 2_000 * TRX, ENERGY))
    harness.ok(VoteWitnessContract(owner, (Vote(harness.witnesses[0], 500),)))
    harness.ok(UnfreezeBalanceV2Contract(owner, 1_500 * TRX, ENERGY))
    assert harness.account(owner)["votes"][0]["vote_count"] == 500


def test_unfreeze_drops_votes_that_round_to_zero(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(FreezeBalanceV2Contract(owner, 100 * TRX, ENERGY))
    harness.ok(
        VoteWitnessContract(owner, (Vote(harness.witnesses[0], 99), Vote(harness.witnesses[1], 1)))
    )
    harness.ok(UnfreezeBalanceV2Contract(owner, 98 * TRX, ENERGY))
    assert harness.account(owner)["votes"] == [
        {"vote_address": harness.witnesses[0], "vote_count": 1}
    ]


# ---- WithdrawExpireUnfreezeContract ----


def test_withdraw_expire_not_supported(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getUnfreezeDelayDays=0)
    assert h.invalid(WithdrawExpireUnfreezeContract(h.users[0])) == (
        "Not support WithdrawExpireUnfreeze transaction, need to be opened by the committee"
    )


def test_withdraw_expire_invalid_address(harness: Harness) -> None:
    value = WithdrawExpireUnfreezeContract(BAD_ADDRESS)
    assert harness.build_error(value) == "Invalid address"


def test_withdraw_expire_missing_account(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    value = WithdrawExpireUnfreezeContract(fresh)
    assert harness.build_error(value) == f"Account[{fresh.hex()}] not exists"


def test_withdraw_expire_nothing_matured(harness: Harness) -> None:
    owner = staked(harness)
    assert harness.invalid(WithdrawExpireUnfreezeContract(owner)) == (
        "no unFreeze balance to withdraw "
    )
    harness.ok(UnfreezeBalanceV2Contract(owner, TRX, ENERGY))
    assert harness.invalid(WithdrawExpireUnfreezeContract(owner)) == (
        "no unFreeze balance to withdraw "
    )


def test_withdraw_expire_state(harness: Harness) -> None:
    owner = staked(harness)
    harness.ok(UnfreezeBalanceV2Contract(owner, 3 * TRX, ENERGY))
    harness.chain.advance_time(14 * DAY_S)
    harness.chain.produce_block()
    harness.ok(UnfreezeBalanceV2Contract(owner, 2 * TRX, ENERGY))  # sweeps the first entry
    expire = harness.account(owner)["unfrozenV2"][0]["unfreeze_expire_time"]
    harness.chain.produce_block()
    harness.chain.advance_time(14 * DAY_S - 9)
    harness.chain.produce_block()
    assert harness.chain.head.timestamp == expire - 3_000
    assert harness.invalid(WithdrawExpireUnfreezeContract(owner)) == (
        "no unFreeze balance to withdraw "
    )
    harness.chain.produce_block()  # expire time == now counts as matured
    balance = harness.balance(owner)
    tx = harness.ok(WithdrawExpireUnfreezeContract(owner))
    assert harness.balance(owner) == balance + 2 * TRX
    assert "unfrozenV2" not in harness.account(owner)
    harness.chain.produce_block()
    assert harness.info(tx)["withdraw_expire_amount"] == 2 * TRX


# ---- CancelAllUnfreezeV2Contract ----


def test_cancel_all_not_supported(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getAllowCancelAllUnfreezeV2=0)
    assert h.invalid(CancelAllUnfreezeV2Contract(h.users[0])) == (
        "Not support CancelAllUnfreezeV2 transaction, need to be opened by the committee"
    )


def test_cancel_all_invalid_address(harness: Harness) -> None:
    assert harness.build_error(CancelAllUnfreezeV2Contract(BAD_ADDRESS)) == "Invalid address"


def test_cancel_all_missing_account(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    value = CancelAllUnfreezeV2Contract(fresh)
    assert harness.build_error(value) == f"Account[{fresh.hex()}] not exists"


def test_cancel_all_empty_list(harness: Harness) -> None:
    assert harness.invalid(CancelAllUnfreezeV2Contract(harness.users[0])) == (
        "No unfreezeV2 list to cancel"
    )


def test_cancel_all_state(harness: Harness) -> None:
    owner = staked(harness)
    harness.ok(FreezeBalanceV2Contract(owner, 50 * TRX, BANDWIDTH))
    harness.chain.produce_block()
    harness.ok(UnfreezeBalanceV2Contract(owner, 4 * TRX, ENERGY))
    harness.chain.advance_time(14 * DAY_S)
    harness.chain.produce_block()
    harness.ok(UnfreezeBalanceV2Contract(owner, 10 * TRX, ENERGY))
    harness.ok(UnfreezeBalanceV2Contract(owner, 5 * TRX, BANDWIDTH))
    balance = harness.balance(owner)
    tx = harness.ok(CancelAllUnfreezeV2Contract(owner))
    account = harness.account(owner)
    assert "unfrozenV2" not in account
    assert account["frozenV2"][:2] == [{"amount": 50 * TRX}, {"type": "ENERGY", "amount": 96 * TRX}]
    assert harness.balance(owner) == balance
    resource = harness.chain.account_resource_json(owner)
    assert (resource["TotalEnergyWeight"], resource["TotalNetWeight"]) == (96, 50)
    harness.chain.produce_block()
    info = harness.info(tx)
    assert "withdraw_expire_amount" not in info
    assert info["cancel_unfreezeV2_amount"] == [
        {"key": "ENERGY", "value": 10 * TRX},
        {"key": "TRON_POWER", "value": 0},
        {"key": "BANDWIDTH", "value": 5 * TRX},
    ]


def test_cancel_all_withdraws_matured_entries(harness: Harness) -> None:
    owner = staked(harness)
    harness.ok(UnfreezeBalanceV2Contract(owner, 4 * TRX, ENERGY))
    harness.chain.advance_time(14 * DAY_S)
    harness.chain.produce_block()
    balance = harness.balance(owner)
    tx = harness.ok(CancelAllUnfreezeV2Contract(owner))
    assert harness.balance(owner) == balance + 4 * TRX
    harness.chain.produce_block()
    info = harness.info(tx)
    assert info["withdraw_expire_amount"] == 4 * TRX
    assert info["cancel_unfreezeV2_amount"] == [
        {"key": "ENERGY", "value": 0},
        {"key": "TRON_POWER", "value": 0},
        {"key": "BANDWIDTH", "value": 0},
    ]
