"""``tron-staking serve --role controller`` as a process: it converges a declared position on
the devnet by itself, serves its probes and metrics, logs no secret (no private key, neither
the KEK nor the JWT secret it is configured with), and drains on SIGTERM."""

from __future__ import annotations

import base64
import os
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.controller import harness, processes
from tests.integration.controller.harness import ControllerRig
from tron_staking import settings
from tron_staking.domain.enums import StakingResourceType, StakingStatusType
from tron_staking.domain.spec import PositionSpec
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore

pytestmark = pytest.mark.anyio

SUN = 1_000_000
CONVERGE_TIMEOUT_S = 90.0


@pytest.fixture
def kek_text() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def jwt_secret() -> str:
    return secrets.token_urlsafe(48)


@pytest.fixture
def serve_process(
    rig: ControllerRig,
    mongo_settings: settings.MongoSettings,
    redis_url: str,
    kek_text: str,
    jwt_secret: str,
    tmp_path: Path,
) -> Iterator[processes.ServeProcess]:
    serve = processes.start(
        mongo=mongo_settings,
        redis_url=redis_url,
        chain_url=rig.devnet.url,
        kek_text=kek_text,
        log=tmp_path / "serve.log",
        extra={"STAKING_REPLICA_ID": "serve-test", "STAKING_JWT_SECRET": jwt_secret},
    )
    try:
        yield serve
    finally:
        serve.kill()


async def test_serve_converges_a_position_and_drains_on_sigterm(
    rig: ControllerRig, serve_process: processes.ServeProcess, kek_text: str, jwt_secret: str
) -> None:
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    keystore = Keystore(rig.store.signing_keys, Kek.from_base64(kek_text))
    await keystore.import_key(owner_account.private_key, at=rig.clock.now())
    await devnet.mine(1)
    start = await rig.head_number()
    await serve_process.wait_ready()
    assert (await serve_process.get("/health/live")).status_code == 200
    await rig.declare(
        PositionSpec(owner=owner, resource=StakingResourceType.ENERGY, amount_sun=20 * SUN),
        "pos_serve",
    )
    with anyio.fail_after(CONVERGE_TIMEOUT_S):
        while True:
            assert serve_process.process.poll() is None, serve_process.log.read_text()
            position = await rig.position("pos_serve")
            if harness.is_ready(position):
                break
            await devnet.mine(1)
            await anyio.sleep(0.3)
    assert position.state is StakingStatusType.FROZEN
    assert await rig.types_on_chain(owner, start) == {"FreezeBalanceV2Contract": 1}
    metrics = (await serve_process.get("/metrics")).text
    assert 'staking_transactions_total{kind="freeze",result="recorded"} 1.0' in metrics
    reconciles = {
        sample.labels["result"]: sample.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "staking_reconcile"
        for sample in family.samples
        if sample.name == "staking_reconcile_total"
    }
    assert reconciles["requeue"] + reconciles["success"] >= 2
    chain_ok = sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "staking_chain_requests"
        for sample in family.samples
        if sample.name == "staking_chain_requests_total" and sample.labels["outcome"] == "ok"
    )
    assert chain_ok > 0

    serve_process.process.send_signal(signal.SIGTERM)
    assert serve_process.process.wait(timeout=processes.STOP_TIMEOUT_S) == 0
    logs = serve_process.log.read_text()
    assert "controller stopped" in logs
    assert "operation recorded" in logs
    kek_hex = base64.b64decode(kek_text).hex()
    for secret in (owner_account.private_key, kek_text, kek_hex, jwt_secret):
        assert secret not in logs
    # Every key the devnet knows (the owner's and the others'), not only the one imported.
    for account in (*devnet.accounts, *devnet.witnesses):
        assert not account.private_key or account.private_key not in logs
    assert await rig.store.leases.held_by("serve-test") == []
