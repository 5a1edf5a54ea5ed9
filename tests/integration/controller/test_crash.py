"""Crash safety: ``serve`` dies at each step of the pipeline (``STAKING_CHAOS_CRASH_AT``: the
process exits at once, as after a SIGKILL) and a fresh process takes over: the position
converges, and the chain shows exactly one effective transaction per intent."""

from __future__ import annotations

import base64
import collections
import os
from pathlib import Path

import anyio
import pytest

from tests.integration.controller import harness, processes
from tests.integration.controller.harness import ControllerRig
from tron_staking import settings
from tron_staking.controller.chaos import CRASH_EXIT_CODE, CrashPoint
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType, StakingStatusType
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore

pytestmark = pytest.mark.anyio

SUN = 1_000_000
CRASH_TIMEOUT_S = 30.0
CONVERGE_TIMEOUT_S = 100.0
LEASE_TTL_S = "2"
"""Short, so that the restarted process takes the dead one's owner over quickly."""


async def _mine_until(rig: ControllerRig, done: processes.ServeProcess | None) -> None:
    """Mine a block every 0.3 s until ``done`` exits (or, with None, forever)."""
    while done is None or done.process.poll() is None:
        await rig.devnet.mine(1)
        await anyio.sleep(0.3)


@pytest.mark.parametrize("point", list(CrashPoint))
async def test_crash_at_each_step_then_restart_converges_exactly_once(
    rig: ControllerRig,
    mongo_settings: settings.MongoSettings,
    tmp_path: Path,
    point: CrashPoint,
) -> None:
    devnet = rig.devnet
    kek_text = base64.b64encode(os.urandom(32)).decode()
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    receiver = harness.owner_address(devnet.accounts[1])
    keystore = Keystore(rig.store.signing_keys, Kek.from_base64(kek_text))
    await keystore.import_key(owner_account.private_key, at=rig.clock.now())
    await devnet.mine(1)
    start = await rig.head_number()
    log = tmp_path / "serve.log"

    def launch(extra: dict[str, str]) -> processes.ServeProcess:
        return processes.start(
            mongo=mongo_settings,
            redis_url=None,
            chain_url=devnet.url,
            kek_text=kek_text,
            log=log,
            extra={"STAKING_LEASE_TTL_S": LEASE_TTL_S, **extra},
        )

    doomed = launch({"STAKING_CHAOS_CRASH_AT": point.value, "STAKING_REPLICA_ID": "doomed"})
    try:
        await doomed.wait_ready()
        await rig.declare(
            PositionSpec(
                owner=owner,
                resource=StakingResourceType.ENERGY,
                amount_sun=100 * SUN,
                votes=(VoteWeight(Address(devnet.witnesses[0].address), 100),),
                delegate=DelegateSpec(receiver=receiver),
            ),
            "pos_crash",
        )
        with anyio.fail_after(CRASH_TIMEOUT_S):
            await _mine_until(rig, doomed)
        assert doomed.process.returncode == CRASH_EXIT_CODE, log.read_text()
    finally:
        doomed.kill()
    assert f"chaos: crashing {point.value}" in log.read_text()

    survivor = launch({"STAKING_REPLICA_ID": "survivor"})
    try:
        await survivor.wait_ready()
        with anyio.move_on_after(CONVERGE_TIMEOUT_S):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_mine_until, rig, None)
                while True:
                    assert survivor.process.poll() is None, log.read_text()
                    position = await rig.position("pos_crash")
                    operations = await rig.operations(owner)
                    if harness.is_ready(position) and not harness.in_flight(operations):
                        tg.cancel_scope.cancel()
                        break
                    await anyio.sleep(0.3)
    finally:
        survivor.kill()
    position = await rig.position("pos_crash")
    assert harness.is_ready(position), (position, harness.states(operations))
    assert position.state is StakingStatusType.DELEGATED
    assert await rig.types_on_chain(owner, start) == {
        "FreezeBalanceV2Contract": 1,
        "VoteWitnessContract": 1,
        "DelegateResourceContract": 1,
    }
    landed = collections.Counter(op.intent_key for op in harness.effective(operations))
    assert set(landed.values()) == {1}
