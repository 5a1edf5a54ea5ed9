"""Controller hardening on the devnet and a real MongoDB-protocol store: an operation that
landed while nobody applied it is applied however old it is; a stored key that cannot be
decrypted stalls its positions and sends nothing."""

from __future__ import annotations

import collections

import pytest
import structlog.testing

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.controller.inflight import InFlight
from tron_staking.controller.oplog import EFFECT_PENDING, OperationLog
from tron_staking.controller.reconciler import Outcome
from tron_staking.domain.enums import (
    ConditionStatus,
    ConditionType,
    OperationState,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.spec import PositionSpec
from tron_staking.signer.keystore import Keystore

pytestmark = pytest.mark.anyio

SUN = 1_000_000
TWO_DAYS_S = 2 * 86_400


async def test_an_operation_included_but_never_applied_is_applied_days_later(
    rig: ControllerRig,
) -> None:
    devnet = rig.devnet
    account = devnet.accounts[0]
    owner = harness.owner_address(account)
    await rig.import_key(account)
    await devnet.mine(1)
    start = await rig.head_number()
    spec = PositionSpec(owner=owner, resource=StakingResourceType.ENERGY, amount_sun=50 * SUN)
    await rig.declare(spec, "pos_late")
    reconciler = rig.reconciler()
    result = await reconciler.reconcile(owner)
    assert result.outcome is not Outcome.ERROR, result.message
    (freeze,) = await rig.operations(owner)
    await devnet.mine(harness.SOLID_LAG_BLOCKS + 2)

    # A controller sees the receipt (already final) and stores it, then dies before it stores
    # the position's transition (a crash, or a write of the position that failed).
    lease = await rig.store.leases.acquire(owner, "crashed", harness.LEASE_TTL_S)
    log = OperationLog(rig.store.operations)
    observed = await rig.chain.observe(owner, [])
    loaded = await log.load(owner, observed.head_block_time_ms)
    inflight = InFlight(rig.chain, rig.keystore, log)
    await inflight.advance(loaded, observed, lease, at=rig.clock.now(), may_send=True)
    await rig.store.leases.release(lease)
    (landed,) = await rig.operations(owner)
    assert landed.state is OperationState.SOLIDIFIED
    assert (await rig.position("pos_late")).state is StakingStatusType.PENDING

    # Nobody reconciles for two days of chain time.
    await devnet.advance_time(TWO_DAYS_S)
    await devnet.mine(1)
    for _ in range(3):
        result = await reconciler.reconcile(owner)
        assert result.outcome is not Outcome.ERROR, result.message
        await devnet.mine(1)

    position = await rig.position("pos_late")
    assert position.state is StakingStatusType.FROZEN
    assert freeze.id in position.applied_operations
    types = await rig.types_on_chain(owner, start)
    assert types == collections.Counter({"FreezeBalanceV2Contract": 1})
    stored = await rig.store.operations.get(freeze.id)
    assert stored[EFFECT_PENDING] is False


async def test_a_key_sealed_under_another_kek_stalls_and_sends_nothing(
    rig: ControllerRig,
) -> None:
    devnet = rig.devnet
    account = devnet.accounts[0]
    owner = harness.owner_address(account)
    other = Keystore(rig.store.signing_keys, harness.new_kek())
    await other.import_key(account.private_key, at=rig.clock.now())
    await devnet.mine(1)
    start = await rig.head_number()
    spec = PositionSpec(owner=owner, resource=StakingResourceType.ENERGY, amount_sun=50 * SUN)
    await rig.declare(spec, "pos_badkey")
    reconciler = rig.reconciler()
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            result = await reconciler.reconcile(owner)
            assert result.outcome is not Outcome.ERROR, result.message
            await devnet.mine(1)

    position = await rig.position("pos_badkey")
    stalled = position.condition(ConditionType.STALLED)
    assert stalled is not None
    assert stalled.status is ConditionStatus.TRUE
    assert stalled.reason == "SigningKeyUnusable"
    assert "KEK" in stalled.message
    assert position.state is StakingStatusType.PENDING
    assert await rig.operations(owner) == []
    assert await rig.chain_transactions(owner, start) == []
    key_hex = account.private_key.removeprefix("0x").lower()
    assert logs, "the reconciles logged nothing"
    assert all(key_hex not in repr(entry).lower() for entry in logs)
    assert any(entry.get("reason") == "SigningKeyUnusable" for entry in logs)
