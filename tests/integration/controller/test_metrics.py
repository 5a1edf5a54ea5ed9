"""The controller's metrics through ``/metrics`` of the controller's probe app, with exact
values: the time from recording to inclusion by kind, the chain time from declaration to
Ready once per generation, and store-wide totals that two replicas report alike."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.cache.null import NullCache
from tron_staking.controller import probes
from tron_staking.controller.reconciler import Outcome
from tron_staking.controller.runner import Runner, RunnerSettings
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.spec import PositionSpec
from tron_staking.observability.metrics import Metrics

pytestmark = pytest.mark.anyio

SUN = 1_000_000
STEP_S = 3
"""Seconds the controller's clock moves between two reconciles."""


async def _scrape(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async def ready() -> bool:
        return True

    app = probes.create_app(metrics, ready)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_durations_convergence_and_store_totals_on_metrics(rig: ControllerRig) -> None:
    devnet = rig.devnet
    account = devnet.accounts[0]
    owner = harness.owner_address(account)
    await rig.import_key(account)
    await devnet.mine(1)
    declared = await rig.declare(
        PositionSpec(owner=owner, resource=StakingResourceType.ENERGY, amount_sun=50 * SUN),
        "pos_metrics",
    )
    settings = RunnerSettings(workers=1, totals_interval_s=3600)
    registries = [Metrics(), Metrics()]
    replicas = [
        Runner(rig.reconciler(name), rig.store.positions, NullCache(), metrics, rig.clock, settings)
        for name, metrics in zip(("replica-a", "replica-b"), registries, strict=True)
    ]
    worker = replicas[0]
    ready_head_ms = None
    for _ in range(harness.SOLID_LAG_BLOCKS + 8):
        result = await worker.reconcile_once(owner)
        assert result.outcome is not Outcome.ERROR, result.message
        if result.convergence_s:
            ready_head_ms = await devnet.head_time_ms()
            break
        rig.clock.advance(STEP_S)
        await devnet.mine(1)
    assert ready_head_ms is not None
    for _ in range(2):  # Ready already: no second observation for the same generation
        assert (await worker.reconcile_once(owner)).convergence_s == ()

    for replica in replicas:
        await replica.refresh_totals()
    scraped = [await _scrape(metrics) for metrics in registries]
    first = scraped[0]
    # The freeze was recorded in the first reconcile and seen included one step later.
    assert first[("staking_operation_duration_seconds_count", (("kind", "freeze"),))] == 1
    assert first[("staking_operation_duration_seconds_sum", (("kind", "freeze"),))] == STEP_S
    expected_s = ready_head_ms / 1000 - declared.created_at.astimezone(dt.UTC).timestamp()
    assert first[("staking_position_convergence_seconds_count", ())] == 1
    assert first[("staking_position_convergence_seconds_sum", ())] == pytest.approx(
        expected_s, abs=1e-3
    )
    # Store-wide figures: the same on the replica that did nothing.
    for samples in scraped:
        assert samples[("staking_total_trx_staked", ())] == 50
        assert samples[("staking_positions", (("state", "frozen"),))] == 1
        assert samples[("staking_positions", (("state", "pending"),))] == 0
        assert samples[("staking_active_records", ())] == 1
