"""Drift: stake removed outside the service (an unfreeze sent with the owner's key) is
detected, confirmed on the solid node before anything moves, reported, and repaired."""

from __future__ import annotations

import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.controller.reconciler import Outcome
from tron_staking.domain.enums import ConditionStatus, ConditionType, StakingResourceType
from tron_staking.domain.spec import PositionSpec

pytestmark = pytest.mark.anyio

SUN = 1_000_000


async def test_outside_unfreeze_is_confirmed_then_repaired(rig: ControllerRig) -> None:
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    await rig.import_key(owner_account)
    await devnet.mine(1)
    start = await rig.head_number()
    await rig.declare(
        PositionSpec(owner=owner, resource=StakingResourceType.BANDWIDTH, amount_sun=40 * SUN),
        "pos_drift",
    )
    reconciler = rig.reconciler()

    async def settle(max_blocks: int) -> int:
        for mined in range(max_blocks):
            for _ in range(2):
                result = await reconciler.reconcile(owner)
                assert result.outcome is not Outcome.ERROR, result.message
                rig.results.append(result)
            position = await rig.position("pos_drift")
            if harness.is_ready(position) and not harness.in_flight(await rig.operations(owner)):
                return mined
            await devnet.mine(1)
        raise AssertionError(f"not settled: {position}")

    await settle(harness.SOLID_LAG_BLOCKS + 6)
    tron = devnet.client()
    try:
        await devnet.send(
            tron.trx.unfreeze_balance(owner, "BANDWIDTH", unfreeze_balance=15 * SUN),
            owner_account,
        )
    finally:
        await devnet.aclose()
    await devnet.mine(1)
    rig.results.clear()

    # Until the outside unfreeze is solid, the head alone is no evidence: nothing is sent.
    for _ in range(harness.SOLID_LAG_BLOCKS - 2):
        rig.results.append(await reconciler.reconcile(owner))
        await devnet.mine(1)
    assert await rig.types_on_chain(owner, start) == {
        "FreezeBalanceV2Contract": 1,
        "UnfreezeBalanceV2Contract": 1,
    }
    # Once it is solid, the drift is confirmed, reported and repaired.
    drifted_seen = False
    for _ in range(6):
        rig.results.append(await reconciler.reconcile(owner))
        drifted = (await rig.position("pos_drift")).condition(ConditionType.DRIFTED)
        drifted_seen |= drifted is not None and drifted.status is ConditionStatus.TRUE
        await devnet.mine(1)
    await settle(harness.SOLID_LAG_BLOCKS + 10)
    findings = sum(r.drift_findings for r in rig.results)
    print(f"drift findings reported: {findings}; Drifted=True seen: {drifted_seen}")
    assert findings >= 1
    assert drifted_seen
    history = await rig.transitions("pos_drift")
    print([(h["from"], h["to"], h["trigger"]) for h in history])
    # A partial outside unfreeze leaves the position frozen: the repair freezes the missing
    # 15 TRX as evidence of the same state, with no transition of its own.
    assert [h["to"] for h in history] == ["frozen"]
    types = await rig.types_on_chain(owner, start)
    assert types["UnfreezeBalanceV2Contract"] == 1
    assert types["FreezeBalanceV2Contract"] == 2  # the declaration, then the repair
    observed = await rig.chain.observe(owner, [])
    assert observed.frozen(StakingResourceType.BANDWIDTH) == 40 * SUN  # 40 - 15 + 15
