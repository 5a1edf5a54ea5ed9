"""``tron-staking serve --role controller`` as a process: it converges a declared position on
the devnet by itself, serves its probes and metrics, logs no secret, and drains on SIGTERM."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tests.support import servers
from tron_staking import settings
from tron_staking.domain.enums import StakingResourceType, StakingStatusType
from tron_staking.domain.spec import PositionSpec
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore

pytestmark = pytest.mark.anyio

SUN = 1_000_000
START_TIMEOUT_S = 30.0
CONVERGE_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0


class ServeProcess:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def kek_text() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def serve_process(
    rig: ControllerRig,
    mongo_settings: settings.MongoSettings,
    redis_url: str,
    kek_text: str,
    tmp_path: Path,
) -> Iterator[ServeProcess]:
    port = servers.free_port()
    env = servers.environment_without_service_variables()
    env.update(
        {
            "MONGODB_URL": mongo_settings.url,
            "STAKING_MONGO_DATABASE": mongo_settings.database,
            "REDIS_URL": redis_url,
            "TRON_HTTP_ENDPOINT": rig.devnet.url,
            "STAKING_KEK": kek_text,
            "SERVICE_PORT": str(port),
            "SERVICE_HOST": "127.0.0.1",
            "STAKING_POLL_INTERVAL_S": "0.2",
            "STAKING_REPLICA_ID": "serve-test",
            "STAKING_LOG_FORMAT": "json",
            "LOG_LEVEL": "DEBUG",
        }
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tron_staking", "serve", "--role", "controller"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        yield ServeProcess(process, port, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


async def _get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5.0) as client:
        return await client.get(url)


async def _wait_ready(serve: ServeProcess) -> None:
    with anyio.fail_after(START_TIMEOUT_S):
        while True:
            assert serve.process.poll() is None, serve.log.read_text()
            try:
                if (await _get(f"{serve.url}/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await anyio.sleep(0.2)


async def test_serve_converges_a_position_and_drains_on_sigterm(
    rig: ControllerRig, serve_process: ServeProcess, kek_text: str
) -> None:
    devnet = rig.devnet
    owner_account = devnet.accounts[0]
    owner = harness.owner_address(owner_account)
    keystore = Keystore(rig.store.signing_keys, Kek.from_base64(kek_text))
    await keystore.import_key(owner_account.private_key, at=rig.clock.now())
    await devnet.mine(1)
    start = await rig.head_number()
    await _wait_ready(serve_process)
    assert (await _get(f"{serve_process.url}/health/live")).status_code == 200
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
    metrics = (await _get(f"{serve_process.url}/metrics")).text
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
    assert serve_process.process.wait(timeout=STOP_TIMEOUT_S) == 0
    logs = serve_process.log.read_text()
    assert "controller stopped" in logs
    assert "operation recorded" in logs
    for secret in (owner_account.private_key, kek_text, base64.b64decode(kek_text).hex()):
        assert secret not in logs
    assert await rig.store.leases.held_by("serve-test") == []
