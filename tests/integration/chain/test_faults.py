"""Node and network failures under the devnet's fault rules: what each becomes, and that a
re-send of the same bytes lands exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.chain.support import (
    DevnetSigner,
    RequestLog,
    make_client,
    send,
    send_and_mine,
)
from tests.support.devnet import Devnet
from tron_staking.chain import outcomes
from tron_staking.chain.client import ReadRetry, TronChainClient
from tron_staking.chain.transactions import SignedTransaction, TxKind
from tron_staking.domain.addresses import Address
from tron_staking.errors import ChainAmbiguousError, ChainUnavailableError, RateLimitedError

pytestmark = pytest.mark.anyio

TRX = 1_000_000
BROADCAST = "wallet/broadcasttransaction"
FREEZE: dict[str, Any] = {"frozen_balance": 9 * TRX, "resource": "ENERGY"}


async def _signed_freeze(
    client: TronChainClient, signer: DevnetSigner, owner: str
) -> SignedTransaction:
    head = await client.head()
    unsigned = await client.build(Address(owner), TxKind.FREEZE, FREEZE, head)
    return await client.sign(unsigned, signer)


async def _effective(devnet: Devnet, owner: str) -> list[str]:
    body = await devnet.get("devnet/transactions", {"owner": owner})
    return [tx["txid"] for tx in body["transactions"]]


async def _resend_lands_once(
    devnet: Devnet, client: TronChainClient, signed: SignedTransaction, owner: str
) -> None:
    """After the fault: the same bytes again, a block, exactly one effective transaction."""
    await devnet.faults()
    again = await client.broadcast(signed)
    assert isinstance(again, outcomes.Accepted | outcomes.Duplicate)
    await devnet.mine(1)
    assert await client.transaction_info(signed.txid) is not None
    assert await _effective(devnet, owner) == [signed.txid]


async def test_503_on_broadcast_is_clear_and_processes_nothing(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    owner = devnet.accounts[0].address
    signed = await _signed_freeze(client, signer, owner)
    await devnet.faults({"path": BROADCAST, "mode": "http_503"})
    outcome = await client.broadcast(signed)
    assert isinstance(outcome, outcomes.Transient)
    assert not outcome.ambiguous
    await devnet.mine(1)
    assert await client.transaction_info(signed.txid) is None
    await _resend_lands_once(devnet, client, signed, owner)


async def test_429_on_broadcast_pauses_every_request_for_retry_after(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner, request_log: RequestLog
) -> None:
    owner = devnet.accounts[1].address
    signed = await _signed_freeze(client, signer, owner)
    await devnet.faults({"path": BROADCAST, "mode": "http_429", "count": 1})
    request_log.clear()
    outcome = await client.broadcast(signed)
    assert isinstance(outcome, outcomes.Transient)
    assert not outcome.ambiguous
    assert outcome.retry_after_s == 1.0
    await client.head()  # any request waits out the node's Retry-After
    (limited_at, limited_path, _), (next_at, next_path, _) = request_log.entries
    assert (limited_path, next_path) == (BROADCAST, "wallet/getnowblock")
    assert next_at - limited_at >= 0.9
    await _resend_lands_once(devnet, client, signed, owner)


async def test_429_on_reads_is_retried_after_retry_after(
    devnet: Devnet, client: TronChainClient, request_log: RequestLog
) -> None:
    owner = Address(devnet.accounts[1].address)
    await devnet.faults({"path": "wallet/getaccount", "mode": "http_429", "count": 1})
    request_log.clear()
    observed = await client.observe(owner, [])
    assert observed.exists
    stamps = [at for at, path, _ in request_log.entries if path == "wallet/getaccount"]
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 0.9
    assert client.counter.snapshot()[("wallet/getaccount", "rate_limited")] == 1


async def test_503_and_drops_on_reads_are_retried(devnet: Devnet, client: TronChainClient) -> None:
    owner = Address(devnet.accounts[2].address)
    await devnet.faults(
        {"path": "wallet/getaccount", "mode": "http_503", "count": 1},
        {"path": "wallet/getaccountresource", "mode": "drop", "count": 1},
    )
    observed = await client.observe(owner, [])
    assert observed.exists
    assert observed.balance_sun > 0
    counts = client.counter.snapshot()
    assert counts[("wallet/getaccount", "unavailable")] == 1
    assert counts[("wallet/getaccountresource", "ambiguous")] == 1


async def test_reads_give_up_with_our_error(devnet: Devnet) -> None:
    quick = make_client(
        devnet, retry=ReadRetry(attempts=2, timeout_s=5.0, wait_initial_s=0.01, wait_max_s=0.02)
    )
    try:
        await devnet.faults({"path": "wallet/getnowblock", "mode": "http_503"})
        with pytest.raises(ChainUnavailableError):
            await quick.head()
        await devnet.faults({"path": "wallet/getnowblock", "mode": "http_429"})
        with pytest.raises(RateLimitedError) as caught:
            await quick.head()
        assert caught.value.retry_after_s == 1.0
    finally:
        await quick.aclose()


async def test_timeout_on_broadcast_is_ambiguous(devnet: Devnet, signer: DevnetSigner) -> None:
    impatient = make_client(devnet, timeout_s=0.5)
    owner = devnet.accounts[3].address
    try:
        signed = await _signed_freeze(impatient, signer, owner)
        await devnet.faults({"path": BROADCAST, "mode": "timeout", "count": 1})
        outcome = await impatient.broadcast(signed)
        assert isinstance(outcome, outcomes.Transient)
        assert outcome.ambiguous
        await devnet.mine(1)
        assert await impatient.transaction_info(signed.txid) is None
        await _resend_lands_once(devnet, impatient, signed, owner)
    finally:
        await impatient.aclose()


async def test_timeout_on_reads_raises_ambiguous_after_retries(devnet: Devnet) -> None:
    impatient = make_client(
        devnet,
        timeout_s=0.3,
        retry=ReadRetry(attempts=2, timeout_s=5.0, wait_initial_s=0.01, wait_max_s=0.02),
    )
    try:
        await devnet.faults({"path": "wallet/getnowblock", "mode": "timeout"})
        with pytest.raises(ChainAmbiguousError):
            await impatient.head()
    finally:
        await devnet.faults()
        await impatient.aclose()


async def test_drop_on_broadcast_is_ambiguous(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    owner = devnet.accounts[4].address
    signed = await _signed_freeze(client, signer, owner)
    await devnet.faults({"path": BROADCAST, "mode": "drop", "count": 1})
    outcome = await client.broadcast(signed)
    assert isinstance(outcome, outcomes.Transient)
    assert outcome.ambiguous
    await _resend_lands_once(devnet, client, signed, owner)


async def test_accept_then_timeout_is_ambiguous_and_the_resend_is_a_duplicate(
    devnet: Devnet, signer: DevnetSigner
) -> None:
    """The node took it but the answer was lost: exactly why ambiguity is not failure."""
    impatient = make_client(devnet, timeout_s=0.5)
    owner = devnet.accounts[5].address
    try:
        signed = await _signed_freeze(impatient, signer, owner)
        await devnet.faults({"path": BROADCAST, "mode": "accept_then_timeout", "count": 1})
        outcome = await impatient.broadcast(signed)
        assert isinstance(outcome, outcomes.Transient)
        assert outcome.ambiguous
        await devnet.faults()
        again = await impatient.broadcast(signed)
        assert isinstance(again, outcomes.Duplicate)
        await devnet.mine(1)
        assert await impatient.transaction_info(signed.txid) is not None
        assert await _effective(devnet, owner) == [signed.txid]
    finally:
        await impatient.aclose()


async def test_accept_then_drop_never_lands_and_expires_on_the_solid_node(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    owner = devnet.accounts[6].address
    signed = await _signed_freeze(client, signer, owner)
    await devnet.faults({"path": BROADCAST, "mode": "accept_then_drop", "count": 1})
    assert await client.broadcast(signed) == outcomes.Accepted(signed.txid)
    await devnet.faults()
    # 60 s of expiration window = 20 blocks; the solid block trails the head by 19 more.
    await devnet.mine(45)
    solid = await client.solid_head()
    assert solid.timestamp_ms > signed.unsigned.expiration_ms
    assert await client.solid_transaction_info(signed.txid) is None
    assert await client.transaction_info(signed.txid) is None
    assert await _effective(devnet, owner) == []


async def test_a_fault_free_transaction_still_lands(
    devnet: Devnet, client: TronChainClient, signer: DevnetSigner
) -> None:
    """Faults on other paths do not touch a broadcast."""
    owner = devnet.accounts[7].address
    await devnet.faults({"path": "wallet/getReward", "mode": "http_503"})
    found = await send_and_mine(devnet, client, signer, owner, TxKind.FREEZE, FREEZE)
    assert found.fee_sun == 0
    signed, outcome = await send(client, signer, owner, TxKind.FREEZE, FREEZE)
    assert outcome == outcomes.Accepted(signed.txid)


async def test_an_empty_answer_where_java_tron_always_prints_is_retried(
    devnet: Devnet, client: TronChainClient
) -> None:
    """``{}`` for an existing account's resources is an unsynced node, not zero tron power."""
    owner = Address(devnet.accounts[2].address)
    await devnet.faults({"path": "wallet/getaccountresource", "mode": "empty", "count": 1})
    observed = await client.observe(owner, [])
    assert observed.free_bandwidth_available_bytes > 0
    assert client.counter.snapshot()[("wallet/getaccountresource", "ok")] == 2


async def test_an_unsynced_node_gives_no_snapshot(devnet: Devnet) -> None:
    quick = make_client(
        devnet, retry=ReadRetry(attempts=2, timeout_s=5.0, wait_initial_s=0.01, wait_max_s=0.02)
    )
    owner = Address(devnet.accounts[2].address)
    try:
        await devnet.faults({"path": "wallet/getnowblock", "mode": "empty"})
        with pytest.raises(ChainUnavailableError, match="blockID"):
            await quick.observe(owner, [])
        await devnet.faults({"path": "wallet/getReward", "mode": "empty"})
        await send_and_mine(
            devnet,
            quick,
            DevnetSigner(devnet.accounts[2]),
            owner,
            TxKind.FREEZE,
            {"frozen_balance": 10 * TRX, "resource": "ENERGY"},
        )
        await send_and_mine(
            devnet,
            quick,
            DevnetSigner(devnet.accounts[2]),
            owner,
            TxKind.VOTE,
            {"votes": [{"vote_address": devnet.witnesses[0].address, "vote_count": 10}]},
        )
        with pytest.raises(ChainUnavailableError, match="reward"):
            await quick.observe(owner, [])
    finally:
        await quick.aclose()
