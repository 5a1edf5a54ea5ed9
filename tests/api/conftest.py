"""Fixtures of the API tests: a running API (``api``) over the session's MongoDB-protocol
server and Redis, a fresh database per test, and the module's devnet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.api import harness
from tests.support.devnet import Devnet
from tron_staking import settings


@pytest.fixture
def api_env(
    mongo_settings: settings.MongoSettings, redis_url: str, devnet_module: Devnet
) -> dict[str, str]:
    return harness.env_for(mongo_settings, redis_url, devnet_module.url)


@pytest.fixture
def api(api_env: dict[str, str]) -> Iterator[harness.ApiServer]:
    server = harness.ApiServer(api_env).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def client(api: harness.ApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, timeout=30.0) as http:
        yield http


@pytest.fixture
def owner(devnet_module: Devnet) -> str:
    return devnet_module.accounts[0].address


@pytest.fixture
def other_owner(devnet_module: Devnet) -> str:
    return devnet_module.accounts[1].address


@pytest.fixture
def witness(devnet_module: Devnet) -> str:
    return devnet_module.witnesses[0].address


@pytest.fixture
def auth(api: harness.ApiServer, owner: str) -> dict[str, str]:
    """Read and write on ``owner``."""
    return harness.bearer(api.token(owner))
