"""Fixtures of the chain adapter's integration tests (devnet over HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.chain.support import DevnetSigner, RequestLog, make_client
from tests.support.devnet import Devnet
from tron_staking.chain.client import TronChainClient


@pytest.fixture
async def client(devnet: Devnet) -> AsyncIterator[TronChainClient]:
    """The real adapter on a fresh devnet, with a generous budget."""
    chain = make_client(devnet)
    try:
        yield chain
    finally:
        await chain.aclose()


@pytest.fixture
def signer(devnet: Devnet) -> DevnetSigner:
    """Signs for every funded devnet account."""
    return DevnetSigner(*devnet.accounts)


@pytest.fixture
def request_log(devnet: Devnet) -> RequestLog:
    return RequestLog(devnet)
