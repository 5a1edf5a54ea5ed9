"""DelegateResourceContract and UnDelegateResourceContract: rules, records, locks, usage."""

from __future__ import annotations

from collections.abc import Callable

from tests.devnet.engine.conftest import BAD_ADDRESS, TRX, Harness
from tron_devnet.types import (
    DelegateResourceContract,
    FreezeBalanceV2Contract,
    ResourceCode,
    TransferContract,
    UnDelegateResourceContract,
    Vote,
    VoteWitnessContract,
)

ENERGY = ResourceCode.ENERGY
BANDWIDTH = ResourceCode.BANDWIDTH


def staked(h: Harness, energy: int = 100 * TRX, bandwidth: int = 100 * TRX) -> bytes:
    owner = h.users[0]
    h.ok(FreezeBalanceV2Contract(owner, energy, ENERGY))
    h.ok(FreezeBalanceV2Contract(owner, bandwidth, BANDWIDTH))
    h.chain.produce_block()
    return owner


def delegate(
    owner: bytes,
    receiver: bytes,
    amount: int,
    resource: int = ENERGY,
    *,
    lock: bool = False,
    lock_period: int = 0,
) -> DelegateResourceContract:
    return DelegateResourceContract(owner, resource, amount, receiver, lock, lock_period)


# ---- DelegateResourceContract: validation ----


def test_delegate_needs_delegation_support(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getAllowDelegateResource=0)
    assert h.invalid(delegate(h.users[0], h.users[1], TRX)) == "No support for resource delegate"


def test_delegate_needs_stake_2(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getUnfreezeDelayDays=0)
    assert h.invalid(delegate(h.users[0], h.users[1], TRX)) == (
        "Not support Delegate resource transaction, need to be opened by the committee"
    )


def test_delegate_invalid_owner(harness: Harness) -> None:
    assert harness.build_error(delegate(BAD_ADDRESS, harness.users[1], TRX)) == "Invalid address"


def test_delegate_missing_owner(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    assert harness.build_error(delegate(fresh, harness.users[1], TRX)) == (
        f"Account[{fresh.hex()}] not exists"
    )


def test_delegate_at_least_one_trx(harness: Harness) -> None:
    owner = staked(harness)
    assert harness.invalid(delegate(owner, harness.users[1], TRX - 1)) == (
        "delegateBalance must be greater than or equal to 1 TRX"
    )


def test_delegate_more_than_available(harness: Harness) -> None:
    owner = staked(harness)
    assert harness.invalid(delegate(owner, harness.users[1], 100 * TRX + 1)) == (
        "delegateBalance must be less than or equal to available FreezeEnergyV2 balance"
    )
    assert harness.invalid(delegate(owner, harness.users[1], 100 * TRX + 1, BANDWIDTH)) == (
        "delegateBalance must be less than or equal to available FreezeBandwidthV2 balance"
    )


def whale(h: Harness) -> None:
    """Make the total bandwidth weight large enough for usage to be worth whole sun."""
    h.ok(FreezeBalanceV2Contract(h.users[4], 900_000 * TRX, BANDWIDTH))


def usage_in_sun(h: Harness, usage: int) -> int:
    weight = h.chain.account_resource_json(h.users[0])["TotalNetWeight"]
    return int(usage * TRX * (weight / 43_200_000_000))


def test_delegate_bandwidth_available_excludes_usage(harness: Harness) -> None:
    whale(harness)
    owner = staked(harness)
    probe = harness.build(delegate(owner, harness.users[1], 99 * TRX, BANDWIDTH))
    used_sun = usage_in_sun(harness, probe.signed_size + 64)  # the tx's own bytes count
    assert used_sun > 0
    available = 100 * TRX - used_sun
    too_much = delegate(owner, harness.users[1], available + 1, BANDWIDTH)
    assert harness.invalid(too_much) == (
        "delegateBalance must be less than or equal to available FreezeBandwidthV2 balance"
    )
    assert harness.send(delegate(owner, harness.users[1], available, BANDWIDTH)).ok


def test_delegate_unknown_resource(harness: Harness) -> None:
    owner = staked(harness)
    value = delegate(owner, harness.users[1], TRX, ResourceCode.TRON_POWER)
    assert harness.invalid(value) == "ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]"


def test_delegate_invalid_receiver(harness: Harness) -> None:
    owner = staked(harness)
    assert harness.invalid(delegate(owner, BAD_ADDRESS, TRX)) == "Invalid receiverAddress"


def test_delegate_to_self(harness: Harness) -> None:
    owner = staked(harness)
    assert harness.invalid(delegate(owner, owner, TRX)) == (
        "receiverAddress must not be the same as ownerAddress"
    )


def test_delegate_receiver_must_exist(harness: Harness) -> None:
    owner = staked(harness)
    fresh, _ = harness.new_key()
    assert harness.invalid(delegate(owner, fresh, TRX)) == f"Account[{fresh.hex()}] not exists"


def test_delegate_lock_period_bounds(harness: Harness) -> None:
    owner = staked(harness)
    message = "The lock period of delegate resource cannot be less than 0 and cannot exceed 864000!"
    for period in (864_001, -1):
        value = delegate(owner, harness.users[1], TRX, lock=True, lock_period=period)
        assert harness.invalid(value) == message
    # without a lock the period is not looked at
    assert harness.send(delegate(owner, harness.users[1], TRX, lock_period=-1)).ok


def test_delegate_lock_cannot_shorten_the_remaining_lock(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(delegate(owner, receiver, TRX, lock=True, lock_period=1_000))
    value = delegate(owner, receiver, TRX, lock=True, lock_period=10)
    assert harness.invalid(value) == (
        "The lock period for ENERGY this time cannot be less than the remaining "
        "time[3000000ms] of the last lock period for ENERGY!"
    )
    # the other resource's lock is separate
    bandwidth = delegate(owner, receiver, TRX, BANDWIDTH, lock=True, lock_period=10)
    assert harness.send(bandwidth).ok
    harness.chain.produce_block()
    value = delegate(owner, receiver, TRX, BANDWIDTH, lock=True, lock_period=5)
    assert harness.invalid(value) == (
        "The lock period for BANDWIDTH this time cannot be less than the remaining "
        "time[27000ms] of the last lock period for BANDWIDTH!"
    )


def test_delegate_lock_period_ignored_without_the_max_lock_proposal(
    make_harness: Callable[..., Harness],
) -> None:
    h = make_harness(getMaxDelegateLockPeriod=86_400)
    owner = staked(h)
    h.ok(delegate(owner, h.users[1], TRX, lock=True, lock_period=10**12))
    record = h.chain.delegated_resource_v2_json(owner, h.users[1])["delegatedResource"][0]
    assert record["expire_time_for_energy"] == h.chain.head.timestamp + 86_400 * 3_000


# ---- DelegateResourceContract: state ----


def test_delegation_moves_stake_but_keeps_tron_power(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(VoteWitnessContract(owner, (Vote(harness.witnesses[0], 200),)))
    before = harness.chain.account_resource_json(owner)
    harness.ok(delegate(owner, receiver, 30 * TRX))
    harness.ok(delegate(owner, receiver, 20 * TRX, BANDWIDTH))
    after = harness.chain.account_resource_json(owner)
    assert after["tronPowerLimit"] == before["tronPowerLimit"] == 200
    assert after["TotalEnergyWeight"] == before["TotalEnergyWeight"]
    assert after["TotalNetWeight"] == before["TotalNetWeight"]
    account = harness.account(owner)
    assert account["frozenV2"][:2] == [{"amount": 80 * TRX}, {"type": "ENERGY", "amount": 70 * TRX}]
    assert account["delegated_frozenV2_balance_for_bandwidth"] == 20 * TRX
    assert account["account_resource"]["delegated_frozenV2_balance_for_energy"] == 30 * TRX
    got = harness.account(receiver)
    assert got["acquired_delegated_frozenV2_balance_for_bandwidth"] == 20 * TRX
    assert got["account_resource"]["acquired_delegated_frozenV2_balance_for_energy"] == 30 * TRX
    assert harness.chain.account_resource_json(receiver).get("tronPowerLimit") is None
    assert harness.chain.delegated_resource_v2_json(owner, receiver) == {
        "delegatedResource": [
            {
                "from": owner,
                "to": receiver,
                "frozen_balance_for_bandwidth": 20 * TRX,
                "frozen_balance_for_energy": 30 * TRX,
            }
        ]
    }
    assert harness.chain.delegated_index_v2_json(owner) == {
        "account": owner,
        "toAccounts": [receiver],
    }
    assert harness.chain.delegated_index_v2_json(receiver) == {
        "account": receiver,
        "fromAccounts": [owner],
    }


def test_locked_and_unlocked_records(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(delegate(owner, receiver, 5 * TRX))
    harness.ok(delegate(owner, receiver, 7 * TRX, lock=True))
    now = harness.chain.head.timestamp
    records = harness.chain.delegated_resource_v2_json(owner, receiver)["delegatedResource"]
    assert records == [
        {"from": owner, "to": receiver, "frozen_balance_for_energy": 5 * TRX},
        {
            "from": owner,
            "to": receiver,
            "frozen_balance_for_energy": 7 * TRX,
            "expire_time_for_energy": now + 86_400 * 3_000,
        },
    ]


def test_new_lock_resets_the_whole_locked_amount(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(delegate(owner, receiver, 5 * TRX, lock=True, lock_period=100))
    harness.chain.mine(3)
    harness.ok(delegate(owner, receiver, 1 * TRX, lock=True, lock_period=100))
    record = harness.chain.delegated_resource_v2_json(owner, receiver)["delegatedResource"][0]
    assert record["frozen_balance_for_energy"] == 6 * TRX
    assert record["expire_time_for_energy"] == harness.chain.head.timestamp + 300_000


def test_index_orders_counterparts_by_latest_delegation(harness: Harness) -> None:
    owner = staked(harness)
    first, second = harness.users[1], harness.users[2]
    harness.ok(delegate(owner, first, TRX))
    harness.ok(delegate(owner, second, TRX))
    harness.chain.produce_block()
    assert harness.chain.delegated_index_v2_json(owner)["toAccounts"] in (
        [first, second],
        [second, first],
    )  # same timestamp: ordered by address
    harness.ok(delegate(owner, first, TRX))
    assert harness.chain.delegated_index_v2_json(owner)["toAccounts"] == [second, first]


def test_index_of_an_address_that_never_delegated(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    assert harness.chain.delegated_index_v2_json(fresh) == {"account": fresh}
    assert harness.chain.delegated_index_v2_json(fresh[:20]) == {}


def test_can_delegated_max_size(harness: Harness) -> None:
    owner = staked(harness)
    assert harness.chain.can_delegated_max_size_json(owner, ENERGY) == {"max_size": 100 * TRX}
    assert harness.chain.can_delegated_max_size_json(owner, BANDWIDTH) == {"max_size": 100 * TRX}
    assert harness.chain.can_delegated_max_size_json(harness.users[3], ENERGY) == {}
    fresh, _ = harness.new_key()
    assert harness.chain.can_delegated_max_size_json(fresh, ENERGY) == {}


def test_can_delegated_max_size_subtracts_an_estimate_of_the_delegation(harness: Harness) -> None:
    whale(harness)
    owner = staked(harness)
    # 275 + size(lock, lock_period=864000, balance=100 TRX) − size(balance=1 TRX) = 275 + 7
    estimate = usage_in_sun(harness, 282)
    assert harness.chain.can_delegated_max_size_json(owner, BANDWIDTH) == {
        "max_size": 100 * TRX - estimate
    }


# ---- UnDelegateResourceContract: validation ----


def undelegate(
    owner: bytes, receiver: bytes, amount: int, resource: int = ENERGY
) -> UnDelegateResourceContract:
    return UnDelegateResourceContract(owner, resource, amount, receiver)


def test_undelegate_needs_delegation_support(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getAllowDelegateResource=0)
    assert h.invalid(undelegate(h.users[0], h.users[1], TRX)) == "No support for resource delegate"


def test_undelegate_needs_stake_2(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(getUnfreezeDelayDays=0)
    assert h.invalid(undelegate(h.users[0], h.users[1], TRX)) == (
        "Not support unDelegate resource transaction, need to be opened by the committee"
    )


def test_undelegate_invalid_owner(harness: Harness) -> None:
    value = undelegate(BAD_ADDRESS, harness.users[1], TRX)
    assert harness.build_error(value) == "Invalid address"


def test_undelegate_missing_owner(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    value = undelegate(fresh, harness.users[1], TRX)
    assert harness.build_error(value) == f"Account[{fresh.hex()}] does not exist"


def test_undelegate_invalid_receiver(harness: Harness) -> None:
    assert harness.invalid(undelegate(harness.users[0], BAD_ADDRESS, TRX)) == (
        "Invalid receiverAddress"
    )


def test_undelegate_to_self(harness: Harness) -> None:
    owner = harness.users[0]
    assert harness.invalid(undelegate(owner, owner, TRX)) == (
        "receiverAddress must not be the same as ownerAddress"
    )


def test_undelegate_without_record(harness: Harness) -> None:
    fresh, _ = harness.new_key()  # the receiver need not exist
    assert harness.invalid(undelegate(harness.users[0], fresh, TRX)) == (
        "delegated Resource does not exist"
    )


def test_undelegate_positive_amount(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(delegate(owner, receiver, 5 * TRX))
    assert harness.invalid(undelegate(owner, receiver, 0)) == (
        "unDelegateBalance must be more than 0 TRX"
    )


def test_undelegate_more_than_delegated(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(delegate(owner, receiver, 5 * TRX))
    harness.ok(delegate(owner, receiver, 3 * TRX, BANDWIDTH))
    assert harness.invalid(undelegate(owner, receiver, 6 * TRX)) == (
        "insufficient delegateFrozenBalance(Energy), request=6000000, unlock_balance=5000000"
    )
    assert harness.invalid(undelegate(owner, receiver, 4 * TRX, BANDWIDTH)) == (
        "insufficient delegatedFrozenBalance(BANDWIDTH), request=4000000, unlock_balance=3000000"
    )


def test_undelegate_unknown_resource(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(delegate(owner, receiver, 5 * TRX))
    value = undelegate(owner, receiver, TRX, ResourceCode.TRON_POWER)
    assert harness.invalid(value) == "ResourceCode error.valid ResourceCode[BANDWIDTH、Energy]"


# ---- UnDelegateResourceContract: state ----


def test_lock_expiry_is_measured_in_blocks(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(delegate(owner, receiver, 5 * TRX, lock=True, lock_period=10))
    expected = "insufficient delegateFrozenBalance(Energy), request=5000000, unlock_balance=0"
    assert harness.invalid(undelegate(owner, receiver, 5 * TRX)) == expected
    harness.chain.mine(10)  # the lock ends exactly at the head time now: still locked
    assert harness.invalid(undelegate(owner, receiver, 5 * TRX)) == expected
    harness.chain.mine(1)
    records = harness.chain.delegated_resource_v2_json(owner, receiver)["delegatedResource"]
    assert len(records) == 1
    assert "expire_time_for_energy" in records[0]  # still shown until the lazy unlock
    harness.ok(undelegate(owner, receiver, 5 * TRX))
    assert harness.chain.delegated_resource_v2_json(owner, receiver) == {}
    assert harness.chain.delegated_index_v2_json(owner) == {"account": owner}


def test_undelegate_restores_stake(harness: Harness) -> None:
    owner, receiver = staked(harness), harness.users[1]
    harness.ok(delegate(owner, receiver, 30 * TRX))
    harness.chain.produce_block()
    harness.ok(undelegate(owner, receiver, 10 * TRX))
    account = harness.account(owner)
    assert account["frozenV2"][1] == {"type": "ENERGY", "amount": 80 * TRX}
    assert account["account_resource"]["delegated_frozenV2_balance_for_energy"] == 20 * TRX
    got = harness.account(receiver)["account_resource"]
    assert got["acquired_delegated_frozenV2_balance_for_energy"] == 20 * TRX
    harness.ok(undelegate(owner, receiver, 20 * TRX))
    assert "delegated_frozenV2_balance_for_energy" not in harness.account(owner)["account_resource"]
    assert harness.chain.delegated_resource_v2_json(owner, receiver) == {}


def test_undelegate_hands_the_receivers_usage_back(harness: Harness) -> None:
    owner, receiver = harness.users[0], harness.users[1]
    harness.ok(FreezeBalanceV2Contract(owner, 1_000 * TRX, BANDWIDTH))
    harness.chain.produce_block()
    harness.ok(delegate(owner, receiver, 500 * TRX, BANDWIDTH))
    spend = harness.ok(TransferContract(receiver, owner, TRX))  # on delegated bandwidth
    used = spend.signed_size + 64
    assert harness.account(receiver)["net_usage"] == used
    owner_usage = harness.account(owner)["net_usage"]
    harness.ok(undelegate(owner, receiver, 500 * TRX, BANDWIDTH))
    assert "net_usage" not in harness.account(receiver)
    undelegate_tx_usage = harness.account(owner)["net_usage"] - owner_usage - used
    assert 0 < undelegate_tx_usage < 400  # the owner also paid the undelegation itself
