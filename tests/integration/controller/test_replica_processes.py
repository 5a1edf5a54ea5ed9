"""Three ``serve`` processes on one database: one is killed with SIGKILL mid-run; the others
take its owners over once the leases expire, every position converges, and the chain shows
exactly one effective transaction per intent."""

from __future__ import annotations

import base64
import collections
import os
import signal
from pathlib import Path

import anyio
import pytest

from tests.integration.controller import harness, processes
from tests.integration.controller.harness import ControllerRig
from tron_staking import settings
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.spec import PositionSpec, VoteWeight
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore

pytestmark = pytest.mark.anyio

SUN = 1_000_000
OWNERS = 3
CONVERGE_TIMEOUT_S = 90.0


async def test_three_replicas_one_killed_converge_exactly_once(
    rig: ControllerRig,
    mongo_settings: settings.MongoSettings,
    redis_url: str,
    tmp_path: Path,
) -> None:
    devnet = rig.devnet
    kek_text = base64.b64encode(os.urandom(32)).decode()
    keystore = Keystore(rig.store.signing_keys, Kek.from_base64(kek_text))
    accounts = devnet.accounts[:OWNERS]
    witness = Address(devnet.witnesses[0].address)
    for account in accounts:
        await keystore.import_key(account.private_key, at=rig.clock.now())
    await devnet.mine(1)
    start = await rig.head_number()
    replicas = [
        processes.start(
            mongo=mongo_settings,
            redis_url=redis_url,
            chain_url=devnet.url,
            kek_text=kek_text,
            log=tmp_path / f"replica-{index}.log",
            extra={"STAKING_REPLICA_ID": f"replica-{index}", "STAKING_LEASE_TTL_S": "2"},
        )
        for index in range(3)
    ]
    try:
        for replica in replicas:
            await replica.wait_ready()
        for index, account in enumerate(accounts):
            await rig.declare(
                PositionSpec(
                    owner=harness.owner_address(account),
                    resource=StakingResourceType.BANDWIDTH,
                    amount_sun=(10 + index) * SUN,
                    votes=(VoteWeight(witness, 100),),
                ),
                f"pos_replica_{index}",
            )
        converged = False
        with anyio.move_on_after(CONVERGE_TIMEOUT_S):
            for round_number in range(10_000):
                if round_number == 3:
                    replicas[0].process.send_signal(signal.SIGKILL)
                positions = [await rig.position(f"pos_replica_{i}") for i in range(OWNERS)]
                operations = [
                    op for account in accounts for op in await rig.operations(account.address)
                ]
                if all(harness.is_ready(p) for p in positions) and not harness.in_flight(
                    operations
                ):
                    converged = True
                    break
                await devnet.mine(1)
                await anyio.sleep(0.3)
        for replica in replicas[1:]:
            assert replica.process.poll() is None, replica.log.read_text()
    finally:
        for replica in replicas:
            replica.kill()
    assert converged, [await rig.position(f"pos_replica_{i}") for i in range(OWNERS)]
    assert replicas[0].process.returncode == -signal.SIGKILL
    for account in accounts:
        assert await rig.types_on_chain(account.address, start) == {
            "FreezeBalanceV2Contract": 1,
            "VoteWitnessContract": 1,
        }
        keys = collections.Counter(
            op.intent_key for op in harness.effective(await rig.operations(account.address))
        )
        assert set(keys.values()) == {1}
