"""The helper that finds metric names in PromQL, on the shapes the rules and dashboard use."""

from __future__ import annotations

import pytest

from tests.deploy import promql


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('up{job="tron-staking"} == 0', {"up"}),
        ('absent(up{job="x"} == 1)', {"up"}),
        (
            'histogram_quantile(0.9, sum by (le) (rate(a_seconds_bucket{job=~"$job"}'
            "[$__rate_interval])))",
            {"a_seconds_bucket"},
        ),
        ('sum(rate(b_total{result="error"}[10m])) / sum(rate(b_total[10m])) > 0.1', {"b_total"}),
        ("x > 0 unless sum(increase(y_count[15m])) > 0 or z", {"x", "y_count", "z"}),
    ],
)
def test_metric_names(expr: str, names: set[str]) -> None:
    assert promql.metric_names(expr) == names


def test_exported_names_follow_the_metric_types() -> None:
    exported = promql.exported_names()
    assert {"staking_reconcile_total", "staking_positions"} <= exported
    assert {"staking_position_convergence_seconds_bucket"} <= exported
    assert "staking_reconcile" not in exported
