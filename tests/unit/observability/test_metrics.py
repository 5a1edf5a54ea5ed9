"""The metric vocabulary of the API contract, on a registry owned by the caller."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry

from tron_staking.observability import metrics

# Every metric name of contract/api.md § Metrics, with its label names.
CONTRACT: dict[str, tuple[str, ...]] = {
    "staking_requests_total": ("method", "route", "status"),
    "staking_freezes_total": (),
    "staking_unfreezes_total": (),
    "staking_rewards_claimed_total": (),
    "staking_active_records": (),
    "staking_total_trx_staked": (),
    "staking_operation_duration_seconds": ("kind",),
    "staking_reconcile_total": ("result",),
    "staking_reconcile_duration_seconds": (),
    "staking_positions": ("state",),
    "staking_transactions_total": ("kind", "result"),
    "staking_chain_requests_total": ("endpoint", "outcome"),
    "staking_chain_request_duration_seconds": ("endpoint",),
    "staking_drift_detected_total": (),
    "staking_position_convergence_seconds": (),
    "staking_workqueue_depth": (),
    "staking_leases_held": (),
    "staking_chain_head_lag_blocks": (),
}


def _help_names(text: str) -> set[str]:
    return set(re.findall(r"^# HELP (\S+) ", text, flags=re.MULTILINE))


def test_every_contract_metric_is_exposed_with_its_labels() -> None:
    m = metrics.Metrics(CollectorRegistry())
    m.requests_total.labels(method="GET", route="/health", status="200").inc()
    m.operation_duration_seconds.labels(kind="freeze").observe(3.0)
    m.positions.labels(state="pending").set(2)
    m.transactions_total.labels(kind="freeze", result="included").inc()
    m.chain_requests_total.labels(endpoint="getaccount", outcome="ok").inc()
    m.chain_request_duration_seconds.labels(endpoint="getaccount").observe(0.01)
    text = m.exposition().decode()
    exposed = _help_names(text)
    # Counters are described under their name without the _total suffix.
    for name in CONTRACT:
        base = name.removesuffix("_total")
        assert base in exposed or name in exposed, name
    for name, labels in CONTRACT.items():
        for label in labels:
            assert re.search(rf"^{name}\S*\{{[^}}]*\b{label}=", text, re.MULTILINE), (name, label)


def test_reconcile_results_start_at_zero_so_rates_are_defined() -> None:
    text = metrics.Metrics(CollectorRegistry()).exposition().decode()
    for result in metrics.RECONCILE_RESULTS:
        assert f'staking_reconcile_total{{result="{result}"}} 0.0' in text


def test_two_instances_do_not_share_a_registry() -> None:
    first = metrics.Metrics()
    second = metrics.Metrics()
    first.freezes_total.inc()
    assert "staking_freezes_total 1.0" in first.exposition().decode()
    assert "staking_freezes_total 0.0" in second.exposition().decode()
