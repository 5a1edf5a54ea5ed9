"""The chain model against the facts of reference/tron-stake2.md (the model must be right for
the planner's properties to mean anything)."""

from __future__ import annotations

import pytest

from tests.unit.controller import builders as b
from tests.unit.controller.chain_model import Chain, Tx
from tests.unit.controller.model import state as ms
from tests.unit.controller.model.actuators import Contract, Rejected
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType

Res = StakingResourceType
SUN = ms.SUN
OWNER, RECEIVER, W1, W2 = b.OWNER, b.RECEIVER, b.WITNESSES[0], b.WITNESSES[1]
CONTRACT = b.address("contract")


def chain(balance_trx: int = 10_000) -> Chain:
    accounts = {
        OWNER: ms.Account(balance_sun=balance_trx * SUN),
        RECEIVER: ms.Account(),
        CONTRACT: ms.Account(is_contract=True),
    }
    return Chain(ms.State(accounts=accounts, witnesses=frozenset({W1, W2})))


def send(c: Chain, contract: Contract, **params: object) -> Tx:
    tx = Tx(
        txid=c.new_txid(),
        contract=contract,
        params={"owner_address": OWNER, **params},
        expiration_ms=c.head_time_ms + 60_000,
    )
    c.broadcast(tx)
    return tx


def refused(c: Chain, contract: Contract, **params: object) -> str:
    with pytest.raises(Rejected) as caught:
        send(c, contract, **params)
    return caught.value.message


def freeze(c: Chain, trx: int, resource: Res = Res.ENERGY) -> Tx:
    return send(c, Contract.FREEZE, frozen_balance=trx * SUN, resource=resource.value)


def votes(c: Chain, counts: dict[Address, int]) -> Tx:
    entries = [{"vote_address": w, "vote_count": n} for w, n in counts.items()]
    return send(c, Contract.VOTE, votes=entries)


def test_the_pending_pool_validates_against_pending_state_and_blocks_apply_in_order() -> None:
    c = chain()
    freeze(c, 1000)
    vote = votes(c, {W1: 1000})  # accepted: the freeze is in the pending state
    c.mine()
    assert c.receipt(vote.txid) is not None
    assert c.state.accounts[OWNER].votes == [(W1, 1000)]
    assert (
        refused(c, Contract.VOTE, votes=[])
        == "Contract validate error : VoteNumber must more than 0"
    )


def test_a_dropped_freeze_takes_what_depended_on_it_out_of_the_pool() -> None:
    c = chain()
    frozen = freeze(c, 1000)
    vote = votes(c, {W1: 1000})
    c.drop(frozen.txid)
    c.mine()
    assert c.receipt(vote.txid) is None
    assert c.receipt(frozen.txid) is None


def test_duplicates_and_expired_transactions_are_refused() -> None:
    c = chain()
    tx = freeze(c, 10)
    with pytest.raises(Rejected, match="DUP_TRANSACTION_ERROR"):
        c.broadcast(tx)
    late = Tx(c.new_txid(), Contract.FREEZE, tx.params, expiration_ms=c.head_time_ms + 1000)
    with pytest.raises(Rejected, match="Transaction expired"):
        c.broadcast(late)


def test_unfreeze_rescales_votes_as_the_reference_example() -> None:
    """2,000 TP, votes 600/400, unstake 1,500 → TP 500 → votes 300/200 (reference §3.2)."""
    c = chain()
    freeze(c, 2000)
    votes(c, {W1: 600, W2: 400})
    send(c, Contract.UNFREEZE, unfreeze_balance=1500 * SUN, resource="ENERGY")
    c.mine()
    assert c.state.accounts[OWNER].votes == [(W1, 300), (W2, 200)]
    assert [i.rescaled_votes for i in c.included.values()] == [False, False, True]


def test_unfreeze_limits_sweep_and_withdraw() -> None:
    c = chain()
    freeze(c, 100)
    c.mine()
    assert refused(c, Contract.WITHDRAW_EXPIRE_UNFREEZE).endswith(
        "no unFreeze balance to withdraw "
    )
    for _ in range(32):
        send(c, Contract.UNFREEZE, unfreeze_balance=SUN, resource="ENERGY")
    assert refused(c, Contract.UNFREEZE, unfreeze_balance=SUN, resource="ENERGY").endswith(
        "Invalid unfreeze operation, unfreezing times is over limit"
    )
    assert refused(c, Contract.UNFREEZE, unfreeze_balance=SUN, resource="BANDWIDTH").endswith(
        "no frozenBalance(BANDWIDTH)"
    )
    c.mine()
    c.mine(advance_ms=ms.UNFREEZE_DELAY_MS)
    before = c.state.accounts[OWNER].balance_sun
    send(c, Contract.WITHDRAW_EXPIRE_UNFREEZE)
    c.mine()
    assert c.state.accounts[OWNER].balance_sun == before + 32 * SUN
    assert c.snapshot(OWNER).available_unfreeze_count == 32


def test_free_bandwidth_then_a_burn_then_a_new_day() -> None:
    c = chain()
    freeze(c, 1, Res.ENERGY)
    freeze(c, 1, Res.ENERGY)
    assert c.snapshot(OWNER).balance_sun == 10_000 * SUN
    third = freeze(c, 1, Res.ENERGY)
    c.mine()
    inclusion = c.receipt(third.txid)
    assert inclusion is not None
    assert inclusion.fee_sun == 254 * ms.FEE_SUN_PER_BYTE
    # 508 bytes used at the parent's slot, read one slot later: one 28,800th recovered
    assert c.snapshot(OWNER).free_bandwidth_available_bytes == 600 - 507
    c.mine(advance_ms=ms.DAY_MS)
    assert c.snapshot(OWNER).free_bandwidth_available_bytes == 600


def test_staked_bandwidth_pays_first_and_occupies_delegatable_bandwidth() -> None:
    c = chain()
    freeze(c, 1000, Res.BANDWIDTH)
    c.mine()
    # 1,000 TRX of 4,320,001,000 TRX of weight, of 43.2e9 bytes a day, truncated
    assert c.snapshot(OWNER).staked_bandwidth_available_bytes == 9_999
    delegate = send(
        c, Contract.DELEGATE, balance=100 * SUN, resource="BANDWIDTH", receiver_address=RECEIVER
    )
    c.mine()
    inclusion = c.receipt(delegate.txid)
    assert inclusion is not None
    assert inclusion.fee_sun == 0
    # 900 TRX left frozen for bandwidth (the 100 delegated out stake the receiver), less 279
    assert c.snapshot(OWNER).staked_bandwidth_available_bytes == 8_999 - 279
    message = refused(
        c, Contract.DELEGATE, balance=900 * SUN, resource="BANDWIDTH", receiver_address=RECEIVER
    )
    assert message.endswith(
        "delegateBalance must be less than or equal to available FreezeBandwidthV2 balance"
    )


def test_delegation_receivers_and_locks() -> None:
    c = chain()
    freeze(c, 1000)
    c.mine()
    nobody = b.address("nobody")
    assert refused(
        c, Contract.DELEGATE, balance=SUN, resource="ENERGY", receiver_address=nobody
    ).endswith(f"Account[{ms.hex_address(nobody)}] not exists")
    assert refused(
        c, Contract.DELEGATE, balance=SUN, resource="ENERGY", receiver_address=CONTRACT
    ).endswith("Do not allow delegate resources to contract addresses")
    send(
        c,
        Contract.DELEGATE,
        balance=10 * SUN,
        resource="ENERGY",
        receiver_address=RECEIVER,
        lock=True,
        lock_period=864_000,
    )
    c.mine()
    assert refused(
        c,
        Contract.DELEGATE,
        balance=SUN,
        resource="ENERGY",
        receiver_address=RECEIVER,
        lock=True,
        lock_period=1200,
    ).endswith("of the last lock period for ENERGY!")
    assert "unlock_balance=0" in refused(
        c, Contract.UNDELEGATE, balance=10 * SUN, resource="ENERGY", receiver_address=RECEIVER
    )
    c.mine(advance_ms=864_000 * ms.BLOCK_MS + ms.BLOCK_MS)
    send(c, Contract.UNDELEGATE, balance=10 * SUN, resource="ENERGY", receiver_address=RECEIVER)
    c.mine()
    assert c.snapshot(OWNER).delegations == ()
    assert c.snapshot(OWNER).frozen_sun[Res.ENERGY] == 1000 * SUN


def test_votes_need_witnesses_and_tron_power() -> None:
    c = chain()
    freeze(c, 10)
    not_witness = RECEIVER
    message = refused(c, Contract.VOTE, votes=[{"vote_address": not_witness, "vote_count": 1}])
    assert message.endswith(f"Witness[{ms.hex_address(not_witness)}] not exists")
    assert refused(c, Contract.VOTE, votes=[{"vote_address": W1, "vote_count": 11}]).endswith(
        "The total number of votes[11000000] is greater than the tronPower[10000000]"
    )


def test_rewards_count_from_the_next_maintenance_and_claims_once_a_day() -> None:
    c = chain()
    freeze(c, 1000)
    votes(c, {W1: 1000})
    c.mine()
    c.mine(advance_ms=ms.MAINTENANCE_MS)  # the cycle the votes were cast in closes
    assert c.snapshot(OWNER).reward_sun == 0
    c.mine(advance_ms=ms.MAINTENANCE_MS)  # a full cycle with the votes in force
    assert c.snapshot(OWNER).reward_sun == 1000 * ms.REWARD_SUN_PER_VOTE_PER_CYCLE
    send(c, Contract.CLAIM_REWARDS)
    c.mine()
    assert c.snapshot(OWNER).reward_sun == 0
    assert "less than 24 hours" in refused(c, Contract.CLAIM_REWARDS)


def test_cancel_all_refreezes_what_has_not_matured() -> None:
    c = chain()
    freeze(c, 100)
    c.mine()
    send(c, Contract.UNFREEZE, unfreeze_balance=40 * SUN, resource="ENERGY")
    c.mine()
    assert c.outside(Contract.CANCEL_ALL_UNFREEZE, OWNER)
    c.mine()
    snapshot = c.snapshot(OWNER)
    assert (snapshot.frozen_sun[Res.ENERGY], snapshot.unfreezing) == (100 * SUN, ())


def test_lagging_and_solid_views() -> None:
    c = chain()
    freeze(c, 100)
    c.mine()
    head = c.snapshot(OWNER)
    assert head.frozen_sun[Res.ENERGY] == 100 * SUN
    assert c.snapshot(OWNER, lag_blocks=1).frozen_sun[Res.ENERGY] == 0
    assert c.solid_snapshot(OWNER).head_block_number == head.head_block_number - 19
    assert c.solid_snapshot(OWNER).frozen_sun[Res.ENERGY] == 0
    for _ in range(19):
        c.mine()
    assert c.solid_snapshot(OWNER).frozen_sun[Res.ENERGY] == 100 * SUN
    assert not c.snapshot(OWNER, empty=True).exists
