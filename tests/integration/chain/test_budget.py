"""The client-side request budget and the API key header, seen from the devnet side."""

from __future__ import annotations

import anyio
import pytest

from tests.integration.chain.support import RequestLog, make_client
from tests.support.devnet import Devnet
from tron_staking import settings
from tron_staking.chain.client import TronChainClient
from tron_staking.chain.transport import API_KEY_HEADER
from tron_staking.domain.addresses import Address
from tron_staking.errors import ConfigurationError

pytestmark = pytest.mark.anyio


def _most_in_any_window(stamps: list[float], window_s: float) -> int:
    stamps = sorted(stamps)
    return max(
        sum(1 for other in stamps[i:] if other - start < window_s) for i, start in enumerate(stamps)
    )


async def test_requests_never_exceed_the_budget(devnet: Devnet, request_log: RequestLog) -> None:
    """Forty concurrent requests at 20 per second: any second of arrivals at the node holds
    at most 20 + 1 of them (the bucket holds one request)."""
    qps = 20.0
    client = make_client(devnet, qps=qps)
    owner = Address(devnet.accounts[0].address)
    try:
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(client.head)
            for _ in range(6):
                group.start_soon(client.observe, owner, [])
    finally:
        await client.aclose()
    stamps = [at for at, _, _ in request_log.entries]
    assert len(stamps) == 10 + 6 * 5
    assert _most_in_any_window(stamps, 1.0) <= qps + 1
    assert client.counter.total == len(stamps)


async def test_api_key_header_only_when_configured(devnet: Devnet, request_log: RequestLog) -> None:
    keyed = TronChainClient.from_settings(
        settings.load(
            {
                "TRON_HTTP_ENDPOINT": devnet.url,
                "TRON_API_KEY": "k-0123456789",
                "STAKING_CHAIN_QPS": "100",
            }
        ).chain,
        expiration_window_s=60,
    )
    plain = make_client(devnet)
    try:
        await keyed.head()
        await plain.head()
    finally:
        await keyed.aclose()
        await plain.aclose()
    (_, _, with_key), (_, _, without_key) = request_log.entries
    assert with_key[API_KEY_HEADER.lower()] == "k-0123456789"
    assert API_KEY_HEADER.lower() not in without_key


def test_a_node_url_and_a_valid_window_are_required(devnet: Devnet) -> None:
    with pytest.raises(ConfigurationError, match="TRON_HTTP_ENDPOINT"):
        TronChainClient.from_settings(settings.load({}).chain, expiration_window_s=60)
    chain = settings.load({"TRON_HTTP_ENDPOINT": devnet.url}).chain
    with pytest.raises(ConfigurationError, match="STAKING_TX_EXPIRATION_S"):
        TronChainClient.from_settings(chain, expiration_window_s=1)
