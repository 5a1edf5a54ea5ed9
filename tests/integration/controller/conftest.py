"""Fixtures of the controller's integration tests: a ``ControllerRig`` on a fresh devnet and a
fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.controller import harness
from tests.support.clock import ManualClock
from tests.support.devnet import Devnet
from tron_staking.signer.keystore import Keystore
from tron_staking.store.client import MongoStore


@pytest.fixture
async def rig(
    devnet: Devnet, store: MongoStore, clock: ManualClock
) -> AsyncIterator[harness.ControllerRig]:
    chain = harness.chain_client(devnet)
    keystore = Keystore(store.signing_keys, harness.new_kek())
    try:
        yield harness.ControllerRig(devnet, store, clock, keystore, chain)
    finally:
        await chain.aclose()
