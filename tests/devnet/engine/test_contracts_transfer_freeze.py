"""TransferContract and FreezeBalanceV2Contract: every validation rule and the state change."""

from __future__ import annotations

from collections.abc import Callable

from tests.devnet.engine.conftest import BAD_ADDRESS, TRX, Harness
from tron_devnet.types import FreezeBalanceV2Contract, ResourceCode, TransferContract

ENERGY = ResourceCode.ENERGY
BANDWIDTH = ResourceCode.BANDWIDTH


# ---- TransferContract ----


def test_transfer_invalid_owner(harness: Harness) -> None:
    value = TransferContract(BAD_ADDRESS, harness.users[1], TRX)
    assert harness.build_error(value) == "Invalid ownerAddress!"


def test_transfer_invalid_to(harness: Harness) -> None:
    value = TransferContract(harness.users[0], BAD_ADDRESS, TRX)
    assert harness.invalid(value) == "Invalid toAddress!"


def test_transfer_to_self(harness: Harness) -> None:
    owner = harness.users[0]
    assert harness.invalid(TransferContract(owner, owner, TRX)) == (
        "Cannot transfer TRX to yourself."
    )


def test_transfer_missing_owner(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    value = TransferContract(fresh, harness.users[0], TRX)
    assert harness.build_error(value) == "Validate TransferContract error, no OwnerAccount."


def test_transfer_amount_positive(harness: Harness) -> None:
    value = TransferContract(harness.users[0], harness.users[1], 0)
    assert harness.invalid(value) == "Amount must be greater than 0."


def test_transfer_balance_not_sufficient(harness: Harness) -> None:
    owner = harness.users[0]
    value = TransferContract(owner, harness.users[1], harness.balance(owner) + 1)
    assert harness.invalid(value) == "Validate TransferContract error, balance is not sufficient."


def test_transfer_to_new_account_needs_the_creation_fee(harness: Harness) -> None:
    owner = harness.users[0]
    fresh, _ = harness.new_key()
    balance = harness.balance(owner)
    # The 0.1 TRX bandwidth burn comes first, then the actuator wants amount + 1 TRX.
    value = TransferContract(owner, fresh, balance - 100_000 - TRX + 1)
    assert harness.invalid(value) == "Validate TransferContract error, balance is not sufficient."
    assert harness.send(TransferContract(owner, fresh, balance - 100_000 - TRX)).ok
    assert harness.balance(owner) == 0


def test_transfer_moves_balance(harness: Harness) -> None:
    owner, receiver = harness.users[0], harness.users[1]
    before_owner, before_receiver = harness.balance(owner), harness.balance(receiver)
    tx = harness.ok(TransferContract(owner, receiver, 7 * TRX))
    assert harness.balance(owner) == before_owner - 7 * TRX
    assert harness.balance(receiver) == before_receiver + 7 * TRX
    harness.chain.produce_block()
    assert "fee" not in harness.info(tx)


# ---- FreezeBalanceV2Contract ----


def test_freeze_not_supported(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getUnfreezeDelayDays=0)
    assert h.invalid(FreezeBalanceV2Contract(h.users[0], TRX, ENERGY)) == (
        "Not support FreezeV2 transaction, need to be opened by the committee"
    )


def test_freeze_invalid_address(harness: Harness) -> None:
    assert harness.build_error(FreezeBalanceV2Contract(BAD_ADDRESS, TRX, ENERGY)) == (
        "Invalid address"
    )


def test_freeze_missing_account(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    assert harness.build_error(FreezeBalanceV2Contract(fresh, TRX, ENERGY)) == (
        f"Account[{fresh.hex()}] not exists"
    )


def test_freeze_positive(harness: Harness) -> None:
    value = FreezeBalanceV2Contract(harness.users[0], -5, ENERGY)
    assert harness.invalid(value) == "frozenBalance must be positive"


def test_freeze_at_least_one_trx(harness: Harness) -> None:
    value = FreezeBalanceV2Contract(harness.users[0], TRX - 1, ENERGY)
    assert harness.invalid(value) == "frozenBalance must be greater than or equal to 1 TRX"


def test_freeze_at_most_balance(harness: Harness) -> None:
    owner = harness.users[0]
    value = FreezeBalanceV2Contract(owner, harness.balance(owner) + 1, ENERGY)
    assert harness.invalid(value) == "frozenBalance must be less than or equal to accountBalance"


def test_freeze_tron_power_needs_new_resource_model(harness: Harness) -> None:
    value = FreezeBalanceV2Contract(harness.users[0], TRX, ResourceCode.TRON_POWER)
    assert harness.invalid(value) == "ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]"


def test_freeze_unknown_resource(harness: Harness) -> None:
    value = FreezeBalanceV2Contract(harness.users[0], TRX, 7)
    assert harness.invalid(value) == "ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]"


def test_freeze_unknown_resource_with_new_model(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getAllowNewResourceModel=1)
    assert h.invalid(FreezeBalanceV2Contract(h.users[0], TRX, 7)) == (
        "ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY、TRON_POWER]"
    )
    assert h.send(FreezeBalanceV2Contract(h.users[0], TRX, ResourceCode.TRON_POWER)).ok


def test_freeze_state_and_weights(harness: Harness) -> None:
    owner = harness.users[0]
    before = harness.balance(owner)
    harness.ok(FreezeBalanceV2Contract(owner, 1_500_000, ENERGY))
    harness.ok(FreezeBalanceV2Contract(owner, 1_500_000, ENERGY))
    third = harness.ok(FreezeBalanceV2Contract(owner, 2 * TRX, BANDWIDTH))
    burnt = (third.signed_size + 64) * 1000  # the free 600 bytes are used up by then
    account = harness.account(owner)
    assert account["balance"] == before - 5 * TRX - burnt
    assert account["frozenV2"] == [
        {"amount": 2 * TRX},
        {"type": "ENERGY", "amount": 3 * TRX},
        {"type": "TRON_POWER"},
    ]
    resource = harness.chain.account_resource_json(owner)
    # weight = floor-difference of whole TRX: 1.5 → 1, 3.0 → 3
    assert resource["TotalEnergyWeight"] == 3
    assert resource["TotalNetWeight"] == 2
    assert resource["tronPowerLimit"] == 5
