"""VoteWitnessContract and WithdrawBalanceContract: rules and state changes."""

from __future__ import annotations

from tests.devnet.engine.conftest import BAD_ADDRESS, TRX, Harness
from tron_devnet.types import (
    FreezeBalanceV2Contract,
    ResourceCode,
    Vote,
    VoteWitnessContract,
    WithdrawBalanceContract,
)


def voter(h: Harness, amount: int = 1_000 * TRX) -> bytes:
    owner = h.users[0]
    h.ok(FreezeBalanceV2Contract(owner, amount, ResourceCode.ENERGY))
    return owner


def vote_count(h: Harness, witness: bytes) -> int:
    for entry in h.chain.witnesses_json()["witnesses"]:
        if entry["address"] == witness:
            return int(entry.get("voteCount", 0))
    raise AssertionError("no such witness")


# ---- VoteWitnessContract ----


def test_vote_invalid_owner(harness: Harness) -> None:
    value = VoteWitnessContract(BAD_ADDRESS, (Vote(harness.witnesses[0], 1),))
    assert harness.build_error(value) == "Invalid address"


def test_vote_needs_votes(harness: Harness) -> None:
    assert harness.invalid(VoteWitnessContract(voter(harness), ())) == (
        "VoteNumber must more than 0"
    )


def test_vote_at_most_30(harness: Harness) -> None:
    votes = (*(Vote(w, 1) for w in harness.witnesses), Vote(harness.witnesses[0], 1))
    assert len(votes) == 31
    assert harness.invalid(VoteWitnessContract(voter(harness), votes)) == (
        "VoteNumber more than maxVoteNumber 30"
    )


def test_vote_invalid_candidate_address(harness: Harness) -> None:
    value = VoteWitnessContract(voter(harness), (Vote(BAD_ADDRESS, 1),))
    assert harness.invalid(value) == "Invalid vote address!"


def test_vote_positive_count(harness: Harness) -> None:
    value = VoteWitnessContract(voter(harness), (Vote(harness.witnesses[0], 0),))
    assert harness.invalid(value) == "vote count must be greater than 0"


def test_vote_candidate_account_missing(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    value = VoteWitnessContract(voter(harness), (Vote(fresh, 1),))
    assert harness.invalid(value) == f"Account[{fresh.hex()}] not exists"


def test_vote_candidate_not_a_witness(harness: Harness) -> None:
    other = harness.users[1]
    value = VoteWitnessContract(voter(harness), (Vote(other, 1),))
    assert harness.invalid(value) == f"Witness[{other.hex()}] not exists"


def test_vote_candidates_are_checked_in_order(harness: Harness) -> None:
    other = harness.users[1]
    value = VoteWitnessContract(voter(harness), (Vote(other, 1), Vote(BAD_ADDRESS, 1)))
    assert harness.invalid(value) == f"Witness[{other.hex()}] not exists"


def test_vote_missing_owner(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    value = VoteWitnessContract(fresh, (Vote(harness.witnesses[0], 1),))
    assert harness.build_error(value) == f"Account[{fresh.hex()}] not exists"


def test_vote_more_than_tron_power(harness: Harness) -> None:
    owner = harness.users[0]
    value = VoteWitnessContract(owner, (Vote(harness.witnesses[0], 100),))
    assert harness.invalid(value) == (
        "The total number of votes[100000000] is greater than the tronPower[0]"
    )
    voter(harness, 50 * TRX)
    assert harness.invalid(value) == (
        "The total number of votes[100000000] is greater than the tronPower[50000000]"
    )


def test_votes_are_replaced_and_tallied_at_maintenance(harness: Harness) -> None:
    owner = voter(harness)
    first, second = harness.witnesses[0], harness.witnesses[1]
    base_first, base_second = vote_count(harness, first), vote_count(harness, second)
    harness.ok(VoteWitnessContract(owner, (Vote(first, 300), Vote(second, 200))))
    harness.chain.produce_block()
    harness.ok(VoteWitnessContract(owner, (Vote(first, 100),)))
    account = harness.account(owner)
    assert account["votes"] == [{"vote_address": first, "vote_count": 100}]
    assert harness.chain.account_resource_json(owner)["tronPowerUsed"] == 100
    harness.chain.produce_block()
    assert vote_count(harness, first) == base_first  # only at the next maintenance
    harness.chain.advance_time(6 * 3600)
    harness.chain.produce_block()
    assert vote_count(harness, first) == base_first + 100
    assert vote_count(harness, second) == base_second
    harness.ok(VoteWitnessContract(owner, (Vote(second, 1_000),)))
    harness.chain.advance_time(6 * 3600)
    harness.chain.produce_block()
    assert vote_count(harness, first) == base_first
    assert vote_count(harness, second) == base_second + 1_000


def test_votes_can_rerank_the_active_witnesses(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(FreezeBalanceV2Contract(owner, 500_000 * TRX, ResourceCode.ENERGY))
    last = harness.witnesses[-1]  # a standby witness (ranked 30th)
    harness.ok(VoteWitnessContract(owner, (Vote(last, 500_000),)))
    states = {
        w["address"]: w.get("isJobs", False) for w in harness.chain.witnesses_json()["witnesses"]
    }
    assert states[last] is False
    harness.chain.advance_time(6 * 3600)
    harness.chain.produce_block()
    states = {
        w["address"]: w.get("isJobs", False) for w in harness.chain.witnesses_json()["witnesses"]
    }
    assert states[last] is True
    assert states[harness.witnesses[26]] is False  # pushed out of the top 27
    assert sum(states.values()) == 27


# ---- WithdrawBalanceContract ----


def test_withdraw_invalid_address(harness: Harness) -> None:
    assert harness.build_error(WithdrawBalanceContract(BAD_ADDRESS)) == "Invalid address"


def test_withdraw_missing_account(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    assert harness.build_error(WithdrawBalanceContract(fresh)) == (
        f"Account[{fresh.hex()}] not exists"
    )


def test_withdraw_guard_representative(harness: Harness) -> None:
    witness = harness.witnesses[0]
    harness.chain.mine(3)
    assert harness.invalid(WithdrawBalanceContract(witness)) == (
        f"Account[{witness.hex()}] is a guard representative and is not allowed to withdraw Balance"
    )


def test_withdraw_without_reward(harness: Harness) -> None:
    assert harness.invalid(WithdrawBalanceContract(harness.users[0])) == (
        "witnessAccount does not have any reward"
    )
