"""Reorgs and lagged reads in the engine: the state after a reorg is exactly the state of a chain
that was built that way from the start (same blocks, receipts, balances, votes, delegations,
rewards), admin credits survive, and reads ``lag_blocks`` behind the head see that block."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.devnet.engine.conftest import DAY_S, TRX, Harness, make_chain
from tron_devnet.engine.chain import Chain, ReorgError
from tron_devnet.types import (
    DelegateResourceContract,
    FreezeBalanceV2Contract,
    ResourceCode,
    Transaction,
    TransferContract,
    Vote,
    VoteWitnessContract,
)

ENERGY = ResourceCode.ENERGY


def _pair() -> tuple[Harness, Harness]:
    """Two identical chains: one to reorg, one to build the expected chain directly."""
    chain_a, gen = make_chain()
    chain_b, _ = make_chain()
    return Harness(chain_a, gen), Harness(chain_b, gen)


def _assert_same(a: Chain, b: Chain, addresses: list[bytes]) -> None:
    assert [a.block_by_num(n) for n in range(a.head.number + 1)] == [
        b.block_by_num(n) for n in range(b.head.number + 1)
    ]
    assert a.state_json() == b.state_json()
    assert a.witnesses_json() == b.witnesses_json()
    for address in addresses:
        assert a.account_json(address) == b.account_json(address)
        assert a.account_resource_json(address) == b.account_resource_json(address)
        assert a.delegated_index_v2_json(address) == b.delegated_index_v2_json(address)
        assert a.reward(address) == b.reward(address)


def _stake(a: Harness, b: Harness) -> tuple[bytes, bytes]:
    """Block 1 empty, block 2 a freeze of the first user, in both chains."""
    owner, receiver = a.users[0], a.users[1]
    for harness in (a, b):
        harness.chain.mine(1)
    freeze = a.build(FreezeBalanceV2Contract(owner, 1_000 * TRX, ENERGY))
    for harness in (a, b):
        assert harness.chain.broadcast(freeze).ok
        harness.chain.mine(1)
    return owner, receiver


def test_reorg_with_drop_equals_a_chain_that_never_had_the_transaction() -> None:
    a, b = _pair()
    owner, receiver = _stake(a, b)
    witness = a.witnesses[0]
    vote = a.ok(VoteWitnessContract(owner, (Vote(witness, 600),)))
    delegate = a.ok(DelegateResourceContract(owner, ENERGY, 100 * TRX, receiver))
    a.chain.mine(1)
    assert a.info(vote)["blockNumber"] == 3

    result = a.chain.reorg(1, {vote.txid})

    assert result["replaced"] == [3]
    assert result["repacked"] == [{"txid": delegate.txid, "block": 4}]
    assert result["rejected"] == []
    # the expected chain: block 3 one slot later and empty, block 4 with the delegation
    b.chain.advance_time(3)
    b.chain.mine(1)
    assert b.chain.broadcast(delegate).ok
    b.chain.mine(1)
    assert a.info(vote) == {}
    assert a.chain.transaction(vote.txid) is None
    assert a.info(delegate) == b.info(delegate)
    _assert_same(a.chain, b.chain, [owner, receiver, witness])
    # rewards keep following the new chain across maintenance periods
    for harness in (a, b):
        harness.chain.advance_time(DAY_S)
        harness.chain.mine(3)
    _assert_same(a.chain, b.chain, [owner, receiver, witness])


def test_reorg_without_drop_equals_the_chain_that_packed_it_later() -> None:
    a, b = _pair()
    owner, receiver = _stake(a, b)
    witness = a.witnesses[1]
    vote = a.ok(VoteWitnessContract(owner, (Vote(witness, 700),)))
    a.chain.mine(2)  # vote in block 3, block 4 empty

    result = a.chain.reorg(2)

    assert result["replaced"] == [3, 4]
    assert result["repacked"] == [{"txid": vote.txid, "block": 5}]
    b.chain.advance_time(6)
    b.chain.mine(2)
    assert b.chain.broadcast(vote).ok
    b.chain.mine(1)
    assert a.info(vote)["blockNumber"] == 5
    assert a.info(vote) == b.info(vote)
    _assert_same(a.chain, b.chain, [owner, receiver, witness])


def test_reorg_repush_rejects_what_the_new_chain_makes_invalid() -> None:
    a, b = _pair()
    owner, receiver = _stake(a, b)
    head = a.chain.mine(1).number
    # references block `head`, which the reorg replaces: TaPoS fails on the new chain
    transfer = a.ok(TransferContract(owner, receiver, 1 * TRX), ref_block_num=head)
    a.chain.mine(1)
    result = a.chain.reorg(2)
    assert result["repacked"] == []
    assert [(r["txid"], r["code"]) for r in result["rejected"]] == [(transfer.txid, "TAPOS_ERROR")]
    assert a.info(transfer) == {}
    assert a.chain.transaction(transfer.txid) is None


def test_pending_transactions_are_pushed_again_after_the_replaced_ones() -> None:
    a, _ = _pair()
    owner, receiver = a.users[0], a.users[1]
    a.chain.mine(1)
    first = a.ok(TransferContract(owner, receiver, 2 * TRX))
    a.chain.mine(1)
    second = a.ok(TransferContract(owner, receiver, 3 * TRX), ref_block_num=1)
    result = a.chain.reorg(1)
    assert [entry["txid"] for entry in result["repacked"]] == [first.txid, second.txid]
    assert a.chain.pending_count == 0
    assert a.info(first)["blockNumber"] == a.info(second)["blockNumber"] == 3


def test_admin_credits_survive_a_reorg_and_a_snapshot() -> None:
    chain, _ = make_chain()
    address = Harness(chain, chain.genesis).new_key()[0]
    chain.mine(1)
    chain.fund(address, 5 * TRX)
    chain.mine(1)
    chain.fund(address, 1 * TRX)  # still pending
    restored = Chain.from_snapshot(chain.to_snapshot())
    for candidate in (chain, restored):
        candidate.reorg(1)
        assert candidate.account_json(address)["balance"] == 6 * TRX
        candidate.reorg(2)
        assert candidate.account_json(address)["balance"] == 6 * TRX


def test_reorg_limits() -> None:
    chain, _ = make_chain(solid_lag=2)
    chain.mine(5)  # solid 3
    before = chain.head
    with pytest.raises(ReorgError, match="solid block 3"):
        chain.reorg(3)
    with pytest.raises(ReorgError, match="depth must be >= 1"):
        chain.reorg(0)
    with pytest.raises(ReorgError, match="neither in the replaced blocks nor pending"):
        chain.reorg(1, {bytes(32)})
    assert chain.head == before
    chain.reorg(2)
    assert chain.head.number == 6


def test_lagged_reads_see_the_older_block() -> None:
    chain, gen = make_chain()
    harness = Harness(chain, gen)
    owner = harness.users[0]
    chain.mine(1)
    freeze = harness.ok(FreezeBalanceV2Contract(owner, 10 * TRX, ENERGY))
    assert chain.account_json(owner, lag_blocks=1) == chain.account_json(owner, solid=True)
    chain.mine(1)
    fresh = chain.account_json(owner)
    assert fresh["frozenV2"][1] == {"type": "ENERGY", "amount": 10 * TRX}
    lagged = chain.account_json(owner, lag_blocks=1)
    assert lagged["frozenV2"][1] == {"type": "ENERGY"}
    assert chain.transaction_info_json(freeze.txid, lag_blocks=1) == {}
    assert chain.transaction(freeze.txid, lag_blocks=1) is None
    assert chain.now_block(lag_blocks=1).number == 1
    assert chain.block_by_num(2, lag_blocks=1) is None
    chain.mine(1)
    lagged = chain.account_json(owner, lag_blocks=1)
    assert lagged["frozenV2"][1] == {"type": "ENERGY", "amount": 10 * TRX}
    assert chain.transaction_info_json(freeze.txid, lag_blocks=1)["blockNumber"] == 2


_TRANSFER = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 50))


@settings(max_examples=25, deadline=None)
@given(
    blocks_txs=st.lists(st.lists(_TRANSFER, max_size=3), min_size=1, max_size=5),
    data=st.data(),
)
def test_any_reorg_equals_the_chain_built_that_way(
    blocks_txs: list[list[tuple[int, int, int]]], data: st.DataObject
) -> None:
    """Random transfers in random blocks, a random depth and random drops: the reorged chain
    equals a chain that had the empty fork blocks and then received the surviving
    transactions, pushed in the same order."""
    a, b = _pair()
    users = a.users[:4]
    sent: list[Transaction] = []
    for block_txs in blocks_txs:
        for sender, receiver, amount in block_txs:
            tx = a.build(TransferContract(users[sender], users[receiver], amount * TRX))
            if a.chain.broadcast(tx).ok:
                sent.append(tx)
        a.chain.mine(1)
    depth = data.draw(st.integers(1, len(blocks_txs)), label="depth")
    replaced_from = a.chain.head.number - depth + 1
    returned = [tx for tx in sent if a.info(tx)["blockNumber"] >= replaced_from]
    drop = {tx.txid for tx in returned if data.draw(st.booleans(), label="drop")}

    result = a.chain.reorg(depth, drop)

    for number in range(1, replaced_from):  # the blocks the reorg keeps, as A packed them
        kept = a.chain.block_by_num(number)
        assert kept is not None
        for tx in kept.transactions:
            assert b.chain.broadcast(tx).ok
        b.chain.mine(1)
    b.chain.advance_time(3 * depth)
    b.chain.mine(depth)
    rejected: set[bytes] = set()
    for tx in returned:
        if tx.txid not in drop and not b.chain.broadcast(tx).ok:
            rejected.add(tx.txid)
    b.chain.mine(1)
    assert {entry["txid"] for entry in result["rejected"]} == rejected
    assert [entry["txid"] for entry in result["repacked"]] == [
        tx.txid for tx in returned if tx.txid not in drop | rejected
    ]
    _assert_same(a.chain, b.chain, users)
    for tx in sent:
        assert a.info(tx) == b.info(tx)
