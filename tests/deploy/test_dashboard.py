"""manifests/grafana-dashboard.json: valid JSON whose every query reads only metrics the
service exports, parses as PromQL (promtool), and covers what the issue lists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import promql, tools

DASHBOARD = tools.MANIFESTS / "grafana-dashboard.json"
# Grafana's variables, replaced by values Prometheus accepts before promtool parses a query.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$job": "tron-staking"}
_LABEL_VALUES = re.compile(r"^label_values\(\s*([A-Za-z_:][\w:]*)\s*,\s*\w+\s*\)$")


def _dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return document


def _panel_exprs() -> list[str]:
    return [
        target["expr"] for panel in _dashboard()["panels"] for target in panel.get("targets", [])
    ]


def _variable_metrics() -> set[str]:
    """The metrics the dashboard's query variables read (``label_values(metric, label)``)."""
    names: set[str] = set()
    for variable in _dashboard()["templating"]["list"]:
        if variable["type"] != "query":
            continue
        match = _LABEL_VALUES.match(variable["query"]["query"])
        assert match is not None, f"unexpected variable query {variable['query']}"
        names.add(match.group(1))
    return names


def test_every_query_reads_only_exported_metrics() -> None:
    exported = promql.exported_names()
    used: set[str] = set(_variable_metrics())
    for expr in _panel_exprs():
        names = promql.metric_names(expr)
        assert names, f"no metric in {expr!r}"
        used |= names
    assert used - exported == set()


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    rules = []
    for number, expr in enumerate(_panel_exprs()):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"unreplaced Grafana variable in {expr!r}"
        rules.append({"record": f"dashboard:query_{number}", "expr": expr})
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = tools.run(tools.tool("promtool"), "check", "rules", str(path))
    assert result.returncode == 0, tools.explain(result)


@pytest.mark.parametrize(
    "metric",
    [
        "staking_positions",  # positions by state
        "staking_position_convergence_seconds_bucket",  # convergence time
        "staking_reconcile_total",  # reconcile rate and errors
        "staking_transactions_total",  # transactions by kind and result
        "staking_chain_request_duration_seconds_bucket",  # chain latency
        "staking_chain_requests_total",  # chain errors
        "staking_workqueue_depth",  # queue depth
        "staking_leases_held",  # leases per replica
    ],
)
def test_the_issue_panels_are_there(metric: str) -> None:
    assert any(metric in promql.metric_names(expr) for expr in _panel_exprs())


def test_panels_have_unique_ids_and_a_prometheus_data_source() -> None:
    dashboard = _dashboard()
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert dashboard["uid"] == "tron-staking"
