"""A devnet bug is an internal error, never a java-tron validation answer.

The chain runs with an actuator table whose freeze ``validate`` raises an unexpected exception:
the node-side builder (which validates) answers HTTP 500 with java-tron's error shape and the
traceback is logged; a broadcast answers java-tron's catch-all ``OTHER_ERROR`` ("Error: …",
``Wallet.broadcastTransaction``), never ``CONTRACT_VALIDATE_ERROR``, and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tron_devnet import actuators, codec, crypto, genesis
from tron_devnet.engine.chain import Chain
from tron_devnet.server import start
from tron_devnet.types import FreezeBalanceV2Contract, RawData, ResourceCode

TRX = 1_000_000


def _exploding_chain() -> tuple[Chain, genesis.Genesis]:
    def explode(*_: Any) -> None:
        raise RuntimeError("boom")

    table = actuators.default_actuators()
    table[FreezeBalanceV2Contract] = (explode, table[FreezeBalanceV2Contract][1])
    gen = genesis.default_genesis(accounts=2, seed="errors")
    return Chain(gen, actuators=table), gen


def test_builder_bug_is_http_500_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    chain, gen = _exploding_chain()
    owner = crypto.address_to_base58(gen.accounts[0].address)
    body = {"owner_address": owner, "frozen_balance": TRX, "resource": "ENERGY", "visible": True}
    with caplog.at_level(logging.ERROR), start(chain=chain) as server:
        response = httpx.post(f"{server.url}/wallet/freezebalancev2", json=body)
    assert response.status_code == 500
    assert response.json() == {
        "Error": "class java.lang.RuntimeException : internal devnet error: RuntimeError: boom"
    }
    logged = [r for r in caplog.records if r.name == "tron_devnet.http" and r.exc_info]
    assert len(logged) == 1
    assert "wallet/freezebalancev2" in logged[0].getMessage()


def test_broadcast_bug_is_other_error_and_changes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain, gen = _exploding_chain()
    owner = gen.accounts[0]
    assert owner.private_key is not None
    chain.mine(1)
    head = chain.head
    raw = RawData(
        ref_block_bytes=head.block_id[6:8],
        ref_block_hash=head.block_id[8:16],
        expiration=head.timestamp + 60_000,
        contracts=(
            codec.new_contract(
                FreezeBalanceV2Contract(owner.address, 5 * TRX, ResourceCode.ENERGY)
            ),
        ),
        timestamp=head.timestamp,
    )
    unsigned = codec.make_transaction(raw)
    tx = codec.with_signatures(unsigned, [crypto.sign(unsigned.txid, owner.private_key)])
    before = chain.account_json(owner.address)
    with caplog.at_level(logging.ERROR), start(chain=chain) as server:
        body = {**codec.transaction_to_json(tx, visible=False)}
        response = httpx.post(f"{server.url}/wallet/broadcasttransaction", json=body)
        assert response.status_code == 200
        answer = response.json()
        assert answer["code"] == "OTHER_ERROR"
        assert bytes.fromhex(answer["message"]).decode() == "Error: boom"
        assert server.call(lambda c: c.account_json(owner.address)) == before
        assert server.call(lambda c: c.pending_count) == 0
    assert any(r.exc_info for r in caplog.records if r.name == "tron_devnet.engine.chain")
