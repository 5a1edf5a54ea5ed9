"""Voting rewards: accrual per cycle, settlement, claiming (reference §8)."""

from __future__ import annotations

from tests.devnet.engine.conftest import TRX, Harness
from tron_devnet.types import (
    FreezeBalanceV2Contract,
    ResourceCode,
    UnfreezeBalanceV2Contract,
    Vote,
    VoteWitnessContract,
    WithdrawBalanceContract,
)

SIX_HOURS_S = 6 * 3600
VOTES = 10_000


def cycle(h: Harness) -> int:
    return int(h.chain.state_json()["cycle"])


def close_cycle(h: Harness) -> None:
    """Produce the block that crosses the next maintenance time."""
    h.chain.advance_time(SIX_HOURS_S)
    h.chain.produce_block()


def voters_pool(h: Harness, witness: bytes, first: int, last: int) -> int:
    """What blocks ``first..last`` paid into ``witness``'s voter pool (80 % of its pay)."""
    counts = {w["address"]: w.get("voteCount", 0) for w in h.chain.witnesses_json()["witnesses"]}
    vote_sum = sum(counts.values())
    standby = int(counts[witness] * (128 * TRX / vote_sum))
    pool = 0
    for number in range(first, last + 1):
        block = h.chain.block_by_num(number)
        assert block is not None
        pays = [standby]
        if block.witness_address == witness:
            pays.append(8 * TRX)
        pool += sum(pay - int(0.2 * pay) for pay in pays)
    return pool


def test_rewards_accrue_from_the_maintenance_after_the_vote(harness: Harness) -> None:
    owner, witness = harness.users[0], harness.witnesses[0]
    harness.ok(FreezeBalanceV2Contract(owner, VOTES * TRX, ResourceCode.ENERGY))
    harness.ok(VoteWitnessContract(owner, (Vote(witness, VOTES),)))
    harness.chain.mine(3)
    assert harness.chain.reward(owner) == 0
    start = cycle(harness)
    close_cycle(harness)  # the votes are tallied here and count from the new cycle
    assert cycle(harness) == start + 1
    assert harness.chain.reward(owner) == 0
    first = harness.chain.head.number + 1
    harness.chain.mine(5)
    assert harness.chain.reward(owner) == 0  # the cycle is not closed yet
    close_cycle(harness)
    last = harness.chain.head.number
    pool = voters_pool(harness, witness, first, last)
    witness_votes = 1_000_000 + VOTES
    expected = (pool * 10**18 // witness_votes) * VOTES // 10**18
    assert expected > 0
    assert harness.chain.reward(owner) == expected
    assert harness.chain.reward(owner, solid=True) == 0  # the solid block is older


def test_reward_is_claimed_once_a_day(harness: Harness) -> None:
    owner, witness = harness.users[0], harness.witnesses[0]
    harness.ok(FreezeBalanceV2Contract(owner, VOTES * TRX, ResourceCode.ENERGY))
    harness.ok(VoteWitnessContract(owner, (Vote(witness, VOTES),)))
    close_cycle(harness)
    harness.chain.mine(4)
    close_cycle(harness)
    reward = harness.chain.reward(owner)
    assert reward > 0
    balance = harness.balance(owner)
    tx = harness.ok(WithdrawBalanceContract(owner))
    now = harness.chain.head.timestamp
    account = harness.account(owner)
    assert account["balance"] == balance + reward
    assert account["latest_withdraw_time"] == now
    assert "allowance" not in account
    assert harness.chain.reward(owner) == 0
    assert harness.invalid(WithdrawBalanceContract(owner)) == (
        f"The last withdraw time is {now}, less than 24 hours"
    )
    harness.chain.produce_block()
    assert harness.info(tx)["withdraw_amount"] == reward
    harness.chain.advance_time(SIX_HOURS_S * 3)
    harness.chain.produce_block()
    assert harness.invalid(WithdrawBalanceContract(owner)) == (
        f"The last withdraw time is {now}, less than 24 hours"
    )
    harness.chain.advance_time(SIX_HOURS_S)
    harness.chain.produce_block()
    assert harness.chain.reward(owner) > 0  # the cycles since the claim paid again
    assert harness.send(WithdrawBalanceContract(owner)).ok


def test_settlement_moves_the_reward_into_allowance(harness: Harness) -> None:
    owner, witness = harness.users[0], harness.witnesses[0]
    harness.ok(FreezeBalanceV2Contract(owner, 2 * VOTES * TRX, ResourceCode.ENERGY))
    harness.ok(VoteWitnessContract(owner, (Vote(witness, VOTES),)))
    close_cycle(harness)
    harness.chain.mine(2)
    close_cycle(harness)
    reward = harness.chain.reward(owner)
    assert "allowance" not in harness.account(owner)
    harness.ok(UnfreezeBalanceV2Contract(owner, TRX, ResourceCode.ENERGY))  # settles first
    assert harness.account(owner)["allowance"] == reward
    assert harness.chain.reward(owner) == reward


def test_witness_brokerage_goes_to_its_allowance(harness: Harness) -> None:
    witness = harness.witnesses[0]
    assert harness.chain.brokerage(witness) == 20
    harness.chain.mine(3)
    allowance = harness.account(witness).get("allowance", 0)
    assert allowance > 0
    assert harness.chain.reward(witness) == allowance
