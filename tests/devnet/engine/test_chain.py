"""Blocks, time, solid state, maintenance, queries, snapshots and the genesis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.devnet.engine.conftest import GENESIS_TIME_MS, TRX, Harness, make_chain
from tron_devnet import actuators, crypto, genesis, params
from tron_devnet.engine.blocks import header_raw_bytes
from tron_devnet.engine.chain import Chain, SnapshotError
from tron_devnet.types import (
    FreezeBalanceV2Contract,
    ResourceCode,
    ResponseCode,
    TransferContract,
    Vote,
    VoteWitnessContract,
)

ENERGY = ResourceCode.ENERGY


def test_blocks_link_and_advance_three_seconds() -> None:
    chain, _ = make_chain()
    genesis_block = chain.head
    assert (genesis_block.number, genesis_block.timestamp) == (0, GENESIS_TIME_MS)
    block = chain.mine(3)
    assert block.number == 3
    assert block.timestamp == GENESIS_TIME_MS + 9_000
    for number in range(1, 4):
        current = chain.block_by_num(number)
        assert current is not None
        assert current.block_id[:8] == number.to_bytes(8, "big")
        assert current.parent_id == chain.block_by_num(number - 1).block_id  # type: ignore[union-attr]
        assert chain.block_by_id(current.block_id) == current
    assert chain.block_by_num(4) is None
    assert chain.block_by_id(b"\x00" * 32) is None


def test_block_header_is_hashed_and_signed() -> None:
    chain, _ = make_chain()
    block = chain.mine(2)
    raw = header_raw_bytes(
        block.number, block.parent_id, block.timestamp, block.witness_address, block.tx_trie_root
    )
    assert block.block_id == block.number.to_bytes(8, "big") + crypto.sha256(raw)[8:]
    signer = crypto.recover_address(crypto.sha256(raw), block.witness_signature)
    assert signer == block.witness_address


def test_solid_lag_zero_follows_the_head() -> None:
    chain, gen = make_chain(solid_lag=0)
    chain.mine(1)
    h = Harness(chain, gen)
    h.ok(FreezeBalanceV2Contract(h.users[0], 10 * TRX, ENERGY))
    block = chain.produce_block()
    assert chain.solid == block
    assert chain.account_json(h.users[0], solid=True) == chain.account_json(h.users[0])


def test_unexpected_failures_answer_other_error(caplog: pytest.LogCaptureFixture) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("boom")

    table = actuators.default_actuators()
    validate, _ = table[FreezeBalanceV2Contract]
    table[FreezeBalanceV2Contract] = (validate, explode)
    chain, gen = make_chain(actuators=table)
    chain.mine(1)
    harness = Harness(chain, gen)
    owner = harness.users[0]
    before = harness.account(owner)
    result = harness.send(FreezeBalanceV2Contract(owner, 10 * TRX, ENERGY))
    assert (result.code, result.message) == (ResponseCode.OTHER_ERROR, "Error: boom")
    assert harness.account(owner) == before
    assert harness.chain.pending_count == 0
    logged = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info is not None]
    assert [str(r.exc_info[1]) for r in logged if r.exc_info] == ["boom"]


def test_advance_time_moves_the_next_block() -> None:
    chain, _ = make_chain()
    chain.advance_time(10)
    assert chain.chain_time_ms == GENESIS_TIME_MS + 10_000
    assert chain.produce_block().timestamp == GENESIS_TIME_MS + 13_000
    assert chain.produce_block().timestamp == GENESIS_TIME_MS + 16_000


def test_witnesses_produce_in_turn() -> None:
    chain, gen = make_chain()
    chain.mine(27 * 2)
    active = {w.address for w in gen.witnesses[:27]}
    producers = [chain.block_by_num(n).witness_address for n in range(1, 55)]  # type: ignore[union-attr]
    assert set(producers) == active
    assert producers[:27] == producers[27:]
    witnesses = {w["address"]: w for w in chain.witnesses_json()["witnesses"]}
    assert all(witnesses[a]["totalProduced"] == 2 for a in active)
    standby = gen.witnesses[27].address
    assert "totalProduced" not in witnesses[standby]
    assert "isJobs" not in witnesses[standby]


def test_missed_slots_are_counted() -> None:
    chain, _ = make_chain()
    chain.mine(1)
    chain.advance_time(3 * 27)  # 27 slots skipped: every active witness misses one
    chain.produce_block()
    witnesses = chain.witnesses_json()["witnesses"]
    assert sum(w.get("totalMissed", 0) for w in witnesses) == 27


def test_maintenance_runs_for_every_period_crossed(harness: Harness) -> None:
    state = harness.chain.state_json()
    assert state["cycle"] == 0
    assert state["next_maintenance_time_ms"] == GENESIS_TIME_MS + 6 * 3600 * 1000
    harness.chain.advance_time(13 * 3600)
    harness.chain.produce_block()
    state = harness.chain.state_json()
    assert state["cycle"] == 2
    assert state["next_maintenance_time_ms"] == GENESIS_TIME_MS + 18 * 3600 * 1000


def test_solid_state_lags_the_head() -> None:
    chain, gen = make_chain(solid_lag=3)
    chain.mine(1)
    h = Harness(chain, gen)
    owner = h.users[0]
    tx = h.ok(FreezeBalanceV2Contract(owner, 10 * TRX, ENERGY))
    packed = chain.produce_block()
    assert chain.solid.number == 0
    assert chain.account_json(owner)["frozenV2"][1]["amount"] == 10 * TRX
    assert "amount" not in chain.account_json(owner, solid=True)["frozenV2"][1]
    assert chain.transaction(tx.txid, solid=True) is None
    assert chain.transaction_info_json(tx.txid, solid=True) == {}
    chain.mine(2)
    assert chain.solid.number == packed.number - 1
    assert "amount" not in chain.account_json(owner, solid=True)["frozenV2"][1]
    chain.mine(1)
    assert chain.solid.number == packed.number
    assert chain.now_block(solid=True) == packed
    assert chain.account_json(owner, solid=True)["frozenV2"][1]["amount"] == 10 * TRX
    assert chain.transaction(tx.txid, solid=True) == (tx, packed.number)
    assert chain.transaction_info_json(tx.txid, solid=True)["blockNumber"] == packed.number


def test_pending_queries_see_pending_state(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(FreezeBalanceV2Contract(owner, 10 * TRX, ENERGY))
    assert harness.chain.account_json(owner)["frozenV2"][1]["amount"] == 10 * TRX


def test_unknown_account_queries() -> None:
    chain, _ = make_chain()
    address = crypto.private_key_to_address(crypto.derive_private_key("x", 1))
    assert chain.account_json(address) == {}
    assert chain.account_resource_json(address) == {}
    assert chain.account_net_json(address) == {}
    assert chain.delegated_resource_v2_json(address, address) == {}
    assert chain.available_unfreeze_count_json(address) == {}
    assert chain.can_withdraw_unfreeze_amount_json(address, 0) == {}
    assert chain.reward(address) == 0
    assert chain.brokerage(address) == 20
    assert chain.transaction(b"\x00" * 32) is None
    assert chain.transaction_info_json(b"\x00" * 32) == {}


def test_account_json_shape(harness: Harness) -> None:
    owner = harness.users[0]
    account = harness.account(owner)
    assert list(account) == [
        "address",
        "balance",
        "net_window_size",
        "net_window_optimized",
        "account_resource",
        "owner_permission",
        "active_permission",
        "frozenV2",
        "asset_optimized",
    ]
    assert account["frozenV2"] == [{}, {"type": "ENERGY"}, {"type": "TRON_POWER"}]
    assert account["owner_permission"] == {
        "permission_name": "owner",
        "threshold": 1,
        "keys": [{"address": owner, "weight": 1}],
    }
    assert account["active_permission"][0]["operations"].hex() == "7fff1fc0033ec30f" + "0" * 48
    assert account["account_resource"] == {
        "energy_window_size": 28_800_000,
        "energy_window_optimized": True,
    }
    witness = harness.account(harness.witnesses[0])
    assert witness["is_witness"] is True
    assert harness.chain.available_unfreeze_count_json(owner) == {"count": 32}


def test_account_resource_shape(harness: Harness) -> None:
    owner = harness.users[0]
    assert harness.chain.account_resource_json(owner) == {
        "freeNetLimit": 600,
        "TotalNetLimit": 43_200_000_000,
        "TotalEnergyLimit": 180_000_000_000,
    }
    assert harness.chain.account_net_json(owner) == {
        "freeNetLimit": 600,
        "TotalNetLimit": 43_200_000_000,
    }


def test_chain_parameters_json() -> None:
    chain, _ = make_chain(getMemoFee=0)
    entries = chain.chain_parameters_json()["chainParameter"]
    assert [entry["key"] for entry in entries] == list(params.CHAIN_PARAMETER_KEYS)
    by_key = {entry["key"]: entry for entry in entries}
    assert by_key["getMemoFee"] == {"key": "getMemoFee"}
    assert by_key["getUnfreezeDelayDays"] == {"key": "getUnfreezeDelayDays", "value": 14}
    assert by_key["getMaxDelegateLockPeriod"]["value"] == 864_000


def test_sign_weight(harness: Harness) -> None:
    owner = harness.users[0]
    value = FreezeBalanceV2Contract(owner, TRX, ENERGY)
    unsigned = harness.build(value, signatures=[])
    assert harness.chain.sign_weight_json(unsigned) == {
        "permission": {
            "permission_name": "owner",
            "threshold": 1,
            "keys": [{"address": owner, "weight": 1}],
        },
        "result": {"code": "NOT_ENOUGH_PERMISSION"},
    }
    signed = harness.build(value)
    assert harness.chain.sign_weight_json(signed) == {
        "permission": {
            "permission_name": "owner",
            "threshold": 1,
            "keys": [{"address": owner, "weight": 1}],
        },
        "approved_list": [owner],
        "current_weight": 1,
        "result": {},
    }
    fresh, _ = harness.new_key()
    orphan = harness.build(FreezeBalanceV2Contract(fresh, TRX, ENERGY), signatures=[])
    assert harness.chain.sign_weight_json(orphan) == {
        "result": {"code": "PERMISSION_ERROR", "message": "Account does not exist!"}
    }
    empty = harness.build(None, signatures=[])
    assert harness.chain.sign_weight_json(empty) == {
        "result": {"code": "OTHER_ERROR", "message": "Invalid transaction: no valid contract"}
    }
    short = harness.build(value, signatures=[b"\x01" * 10])
    assert harness.chain.sign_weight_json(short)["result"] == {
        "code": "SIGNATURE_FORMAT_ERROR",
        "message": "Signature size is 10",
    }


def test_packed_transactions(harness: Harness) -> None:
    owner, other = harness.users[0], harness.users[1]
    first = harness.ok(FreezeBalanceV2Contract(owner, TRX, ENERGY))
    harness.ok(TransferContract(other, owner, TRX))
    harness.chain.produce_block()
    second = harness.ok(VoteWitnessContract(owner, (Vote(harness.witnesses[0], 1),)))
    harness.chain.produce_block()
    listed = harness.chain.packed_transactions(owner, 0)
    assert [entry["txid"] for entry in listed] == [first.txid.hex(), second.txid.hex()]
    assert listed[0] == {
        "type": "FreezeBalanceV2Contract",
        "owner": owner,
        "contract": {"owner_address": owner, "frozen_balance": TRX, "resource": "ENERGY"},
        "txid": first.txid.hex(),
        "block": 2,
    }
    assert listed[1]["contract"]["votes"] == [
        {"vote_address": harness.witnesses[0], "vote_count": 1}
    ]
    assert len(harness.chain.packed_transactions(None, 0)) == 3
    assert len(harness.chain.packed_transactions(None, 3)) == 1


def test_fund(harness: Harness) -> None:
    fresh, _ = harness.new_key()
    harness.chain.fund(fresh, 5 * TRX)
    harness.chain.fund(fresh, 1 * TRX)
    account = harness.account(fresh)
    assert account["balance"] == 6 * TRX
    assert account["create_time"] == harness.chain.head.timestamp
    with pytest.raises(ValueError, match="amount_sun"):
        harness.chain.fund(fresh, 0)


def test_state_json(harness: Harness) -> None:
    harness.ok(FreezeBalanceV2Contract(harness.users[0], TRX, ENERGY))
    state = harness.chain.state_json()
    assert state["head"]["number"] == 1
    assert state["solid"]["number"] == 0
    assert state["pending"] == 1
    assert len(state["accounts"]) == 6 + 30
    assert len(state["witnesses"]) == 30
    assert sum(w["is_jobs"] for w in state["witnesses"]) == 27


def test_snapshot_round_trip(harness: Harness) -> None:
    owner = harness.users[0]
    harness.ok(FreezeBalanceV2Contract(owner, 100 * TRX, ENERGY))
    harness.ok(VoteWitnessContract(owner, (Vote(harness.witnesses[3], 50),)))
    harness.chain.mine(25)
    harness.ok(FreezeBalanceV2Contract(owner, 7 * TRX, ResourceCode.BANDWIDTH))  # still pending
    harness.chain.advance_time(60)
    snapshot = json.loads(json.dumps(harness.chain.to_snapshot()))
    restored = Chain.from_snapshot(snapshot)
    for solid in (False, True):
        assert restored.account_json(owner, solid=solid) == harness.chain.account_json(
            owner, solid=solid
        )
    assert restored.head == harness.chain.head
    assert restored.solid == harness.chain.solid
    assert restored.pending_count == 1
    assert restored.chain_time_ms == harness.chain.chain_time_ms
    assert restored.to_snapshot() == harness.chain.to_snapshot()
    assert restored.produce_block() == harness.chain.produce_block()
    assert restored.state_json() == harness.chain.state_json()
    with pytest.raises(SnapshotError):
        Chain.from_snapshot({"version": 99})


def test_default_genesis() -> None:
    gen = genesis.default_genesis(accounts=3, seed="s", genesis_time_ms=3_000)
    assert len(gen.accounts) == 3 + 30
    assert gen.accounts[0].private_key == crypto.derive_private_key("s", 0)
    assert gen.accounts[0].balance_sun == 1_000_000 * TRX
    votes = [w.vote_count for w in gen.witnesses]
    assert votes == sorted(votes, reverse=True)
    assert len(set(votes)) == 30
    assert genesis.default_genesis().genesis_time_ms % 3_000 == 0


def test_load_genesis(tmp_path: Path) -> None:
    key = crypto.derive_private_key("g", 0)
    address = crypto.private_key_to_address(key)
    witness = crypto.private_key_to_address(crypto.derive_private_key("g", 1))
    path = tmp_path / "genesis.json"
    path.write_text(
        json.dumps(
            {
                "accounts": [
                    {
                        "address": crypto.address_to_base58(address),
                        "balance_sun": 5,
                        "private_key": key.hex(),
                    }
                ],
                "witnesses": [{"address": witness.hex(), "url": "u", "vote_count": 9}],
                "chain_parameters": {"getUnfreezeDelayDays": 1},
                "genesis_time_ms": 6_000,
            }
        )
    )
    gen = genesis.load_genesis(path)
    assert gen.accounts == [genesis.GenesisAccount(address, 5, key)]
    assert gen.witnesses == [genesis.GenesisWitness(witness, "u", 9, 20, None)]
    assert gen.chain_parameters["getUnfreezeDelayDays"] == 1
    chain = Chain(gen)
    assert chain.account_json(witness)["type"] == "AssetIssue"
    chain.mine(2)
    assert chain.head.witness_address == witness


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[]", "genesis must be a JSON object"),
        ('{"witnesses": []}', "genesis needs at least one witness to produce blocks"),
        ('{"witnesses": [{"address": "nope"}]}', "witnesses[0]: invalid address 'nope'"),
        (
            '{"witnesses": [{"address": "41' + "00" * 20 + '"}], "chain_parameters": {"x": 1}}',
            "unknown chain parameter 'x'",
        ),
        ('{"bogus": 1}', "unknown genesis key(s): bogus"),
        ("{", "is not valid JSON"),
    ],
)
def test_load_genesis_errors(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "genesis.json"
    path.write_text(document)
    with pytest.raises(genesis.GenesisError) as caught:
        genesis.load_genesis(path)
    assert message in str(caught.value)


def test_load_genesis_missing_file(tmp_path: Path) -> None:
    with pytest.raises(genesis.GenesisError, match="cannot read genesis file"):
        genesis.load_genesis(tmp_path / "absent.json")
