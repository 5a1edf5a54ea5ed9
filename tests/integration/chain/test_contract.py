"""The ChainClient port's contract, run against the real adapter on the devnet.

Every implementation of :class:`~tron_staking.chain.ports.ChainClient` (a fake included)
must pass these: they are what the executor and the reconciler rely on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.chain.support import DevnetSigner, make_client
from tests.support.devnet import Devnet
from tron_staking.chain import outcomes
from tron_staking.chain.ports import ChainClient
from tron_staking.chain.transactions import TxKind, UnsignedTransaction
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType
from tron_staking.domain.ids import TxId
from tron_staking.errors import SigningKeyError

pytestmark = pytest.mark.anyio

TRX = 1_000_000
SOLID_LAG = 19


@pytest.fixture
async def chain(devnet: Devnet) -> AsyncIterator[ChainClient]:
    implementation: ChainClient = make_client(devnet, window_s=90)
    try:
        yield implementation
    finally:
        await implementation.aclose()


async def _freeze(chain: ChainClient, owner: str, amount_trx: int) -> UnsignedTransaction:
    head = await chain.head()
    return await chain.build(
        Address(owner),
        StakingOperationType.FREEZE,
        {"owner_address": owner, "frozen_balance": amount_trx * TRX, "resource": "ENERGY"},
        head,
    )


async def test_heads(devnet: Devnet, chain: ChainClient) -> None:
    await devnet.mine(SOLID_LAG + 3)
    head = await chain.head()
    solid = await chain.solid_head()
    assert head.number == SOLID_LAG + 3
    assert solid.number == head.number - SOLID_LAG
    assert head.timestamp_ms - solid.timestamp_ms == SOLID_LAG * 3_000
    assert head.block_id[:16] == f"{head.number:016x}"


async def test_witnesses(devnet: Devnet, chain: ChainClient) -> None:
    witnesses = await chain.list_witnesses()
    assert {w.address for w in witnesses} == {Address(w.address) for w in devnet.witnesses}
    assert all(w.vote_count >= 0 and w.url for w in witnesses)


async def test_build_expires_a_window_after_the_given_head(
    devnet: Devnet, chain: ChainClient
) -> None:
    head = await chain.head()
    await devnet.mine(2)
    unsigned = await _freeze(chain, devnet.accounts[0].address, 1)
    later = await chain.head()
    assert unsigned.expiration_ms == later.timestamp_ms + 90_000
    assert unsigned.raw_data["ref_block_bytes"] == later.ref_block_bytes
    pinned = await chain.build(
        Address(devnet.accounts[0].address),
        TxKind.FREEZE,
        {"frozen_balance": TRX, "resource": "ENERGY"},
        later,
        reference=head,
    )
    assert pinned.raw_data["ref_block_hash"] == head.ref_block_hash
    assert pinned.expiration_ms == later.timestamp_ms + 90_000


async def test_a_signature_must_be_the_owners(
    devnet: Devnet, chain: ChainClient, signer: DevnetSigner
) -> None:
    unsigned = await _freeze(chain, devnet.accounts[0].address, 1)
    foreign = await signer.sign(Address(devnet.accounts[1].address), unsigned.txid)
    with pytest.raises(SigningKeyError):
        chain.attach_signature(unsigned, foreign)
    own = await signer.sign(unsigned.owner, unsigned.txid)
    assert chain.attach_signature(unsigned, own).signatures == (own,)


async def test_lifecycle_pending_included_final(
    devnet: Devnet, chain: ChainClient, signer: DevnetSigner
) -> None:
    unsigned = await _freeze(chain, devnet.accounts[0].address, 2)
    signed = await chain.sign(unsigned, signer)
    assert await chain.broadcast(signed) == outcomes.Accepted(unsigned.txid)
    assert await chain.transaction_info(unsigned.txid) is None
    assert await chain.solid_transaction_info(unsigned.txid) is None
    await devnet.mine(1)
    included = await chain.transaction_info(unsigned.txid)
    assert included is not None
    assert await chain.solid_transaction_info(unsigned.txid) is None
    await devnet.mine(SOLID_LAG)
    final = await chain.solid_transaction_info(unsigned.txid)
    assert final == included
    assert isinstance(await chain.broadcast(signed), outcomes.Duplicate)


async def test_unknown_txid(chain: ChainClient) -> None:
    unknown = TxId("ab" * 32)
    assert await chain.transaction_info(unknown) is None
    assert await chain.solid_transaction_info(unknown) is None


async def test_a_recorded_transaction_can_be_resent_from_storage(
    devnet: Devnet, chain: ChainClient, signer: DevnetSigner
) -> None:
    """What the executor stores (raw_data + signatures) is enough to re-send the same bytes."""
    unsigned = await _freeze(chain, devnet.accounts[0].address, 3)
    signed = await chain.sign(unsigned, signer)
    stored_raw, stored_signatures = dict(unsigned.raw_data), list(signed.signatures)
    restored = UnsignedTransaction.restore(
        owner=unsigned.owner, kind=unsigned.kind, txid=unsigned.txid, raw_data=stored_raw
    )
    resent = chain.attach_signature(restored, stored_signatures[0])
    assert resent == signed
    assert await chain.broadcast(resent) == outcomes.Accepted(unsigned.txid)
