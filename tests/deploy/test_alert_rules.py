"""The alert rules: promtool accepts them and their unit tests pass, every alert has a case
where it fires and one where it stays silent, each reads only metrics that exist, and each
has a section in docs/operations.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import promql, tools

RULE_FILE = tools.RULES / "staking.rules.yml"
TEST_FILES = sorted(tools.RULES.glob("*.test.yml"))
OPERATIONS = tools.ROOT / "docs" / "operations.md"
# Series the rules read that the service does not export: Prometheus's own target health and
# kube-state-metrics' view of the Deployment.
EXTERNAL_SERIES = {
    "up",
    "kube_deployment_spec_replicas",
    "kube_deployment_status_replicas_available",
}


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULE_FILE.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


ALERTS = _alerts()
ALERT_NAMES = [rule["alert"] for rule in ALERTS]


def test_promtool_check_rules() -> None:
    result = tools.run(tools.tool("promtool"), "check", "rules", str(RULE_FILE))
    assert result.returncode == 0, tools.explain(result)
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda path: path.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    result = tools.run(tools.tool("promtool"), "test", "rules", test_file.name, cwd=tools.RULES)
    assert result.returncode == 0, tools.explain(result)
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_can_fail(tmp_path: Path) -> None:
    """A test file that expects the wrong thing fails: the suite above is not vacuous."""
    rule_copy = tmp_path / RULE_FILE.name
    rule_copy.write_text(RULE_FILE.read_text(encoding="utf-8"))
    wrong = {
        "rule_files": [RULE_FILE.name],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'staking_chain_head_lag_blocks{job="tron-staking"}',
                        "values": "19x20",
                    }
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "15m",
                        "alertname": "StakingChainHeadLag",
                        "exp_alerts": [{"exp_labels": {"severity": "warning"}}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "wrong.test.yml").write_text(yaml.safe_dump(wrong))
    result = tools.run(tools.tool("promtool"), "test", "rules", "wrong.test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert "StakingChainHeadLag" in result.stdout + result.stderr


def _cases() -> dict[str, dict[str, int]]:
    """Per alert, how many unit-test cases expect it to fire and to stay silent."""
    counts: dict[str, dict[str, int]] = {name: {"fires": 0, "silent": 0} for name in ALERT_NAMES}
    for test_file in TEST_FILES:
        document = yaml.safe_load(test_file.read_text(encoding="utf-8"))
        assert document["rule_files"] == [RULE_FILE.name]
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                outcome = "fires" if case.get("exp_alerts") else "silent"
                counts[case["alertname"]][outcome] += 1
    return counts


@pytest.mark.parametrize("alert", ALERT_NAMES)
def test_every_alert_has_a_firing_and_a_silent_case(alert: str) -> None:
    counts = _cases()[alert]
    assert counts["fires"] >= 1, f"no unit test where {alert} fires"
    assert counts["silent"] >= 1, f"no unit test where {alert} stays silent"


def test_the_issue_alerts_are_all_there() -> None:
    assert set(ALERT_NAMES) >= {
        "StakingServiceDown",
        "StakingReplicasNotReady",
        "StakingReconcileErrors",
        "StakingPositionsNotReady",
        "StakingDriftDetected",
        "StakingChainUnreachable",
        "StakingChainHeadLag",
        "StakingBroadcastRejected",
        "StakingRewardsUnclaimed",
        "StakingLeaseChurn",
    }


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_NAMES)
def test_rules_read_only_series_that_exist(rule: dict[str, Any]) -> None:
    unknown = promql.metric_names(rule["expr"]) - promql.exported_names() - EXTERNAL_SERIES
    assert not unknown, f"{rule['alert']} reads series nobody exports: {sorted(unknown)}"


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_NAMES)
def test_every_alert_has_a_runbook_section(rule: dict[str, Any]) -> None:
    anchor = rule["alert"].lower()
    assert rule["annotations"]["runbook"] == f"docs/operations.md#{anchor}"
    headings = re.findall(r"^#+ +(\S+)", OPERATIONS.read_text(encoding="utf-8"), re.MULTILINE)
    assert rule["alert"] in headings, f"docs/operations.md has no section {rule['alert']}"
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
