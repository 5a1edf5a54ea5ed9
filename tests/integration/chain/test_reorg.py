"""Short reorgs on the devnet: a dropped receipt disappears from the look-ups, the same bytes
land again, and what the TaPoS reference block means for a re-send."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.chain.support import DevnetSigner
from tests.support.devnet import Devnet
from tron_staking.chain import outcomes
from tron_staking.chain.client import TronChainClient
from tron_staking.chain.transactions import BlockRef, SignedTransaction, TxKind
from tron_staking.domain.addresses import Address

pytestmark = pytest.mark.anyio

TRX = 1_000_000
FREEZE: dict[str, Any] = {"frozen_balance": 4 * TRX, "resource": "ENERGY"}


async def _freeze(
    client: TronChainClient,
    signer: DevnetSigner,
    owner: str,
    *,
    reference: BlockRef | None = None,
) -> SignedTransaction:
    head = await client.head()
    unsigned = await client.build(Address(owner), TxKind.FREEZE, FREEZE, head, reference=reference)
    signed = await client.sign(unsigned, signer)
    assert await client.broadcast(signed) == outcomes.Accepted(signed.txid)
    return signed


async def _reorg(devnet: Devnet, depth: int, drop: list[str]) -> None:
    await devnet.post("devnet/reorg", {"depth": depth, "drop": drop})


async def test_a_dropped_receipt_disappears_and_the_same_bytes_land_again(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    await devnet.mine(25)
    owner = devnet.accounts[0].address
    signed = await _freeze(client, signer, owner)
    await devnet.mine(1)
    assert await client.transaction_info(signed.txid) is not None
    await _reorg(devnet, 1, [signed.txid])
    assert await client.transaction_info(signed.txid) is None
    # The reference block (the head at build time) was not replaced: the re-send is valid.
    assert await client.broadcast(signed) == outcomes.Accepted(signed.txid)
    await devnet.mine(1)
    assert await client.transaction_info(signed.txid) is not None
    body = await devnet.get("devnet/transactions", {"owner": owner})
    assert [tx["txid"] for tx in body["transactions"]] == [signed.txid]


async def test_a_replaced_reference_block_fails_tapos_unless_it_is_solid(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    await devnet.mine(25)
    owner = devnet.accounts[1].address
    on_head = await _freeze(client, signer, owner)
    on_solid = await _freeze(client, signer, owner, reference=await client.solid_head())
    await devnet.mine(1)
    await _reorg(devnet, 2, [on_head.txid, on_solid.txid])
    assert await client.broadcast(on_head) == outcomes.Rejected(
        on_head.txid, "TAPOS_ERROR", "Tapos check error."
    )
    assert await client.broadcast(on_solid) == outcomes.Accepted(on_solid.txid)
