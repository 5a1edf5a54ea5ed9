"""The benchmarks' pure helpers: percentiles, metrics parsing, profile frames, the fleet's
minimum transaction count and the on-chain comparison (no servers)."""

from __future__ import annotations

import os

from bench import common, fleet
from bench.stack import new_accounts

WITNESSES = ["TWitness1", "TWitness2", "TWitness3"]


def test_percentile_interpolates_and_summary_names_the_tail() -> None:
    assert common.percentile([], 50) is None
    assert common.percentile([3.0], 95) == 3.0
    assert common.percentile([1, 2, 3, 4], 50) == 2.5
    assert common.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == 9.55
    found = common.summary([5, 1, 3])
    assert found == {"count": 3, "p50": 3, "p95": 4.8, "max": 5, "mean": 3.0}


def test_metrics_are_parsed_and_summed_by_label() -> None:
    text = "\n".join(
        [
            "# HELP staking_chain_requests_total requests",
            'staking_chain_requests_total{endpoint="wallet/getaccount",outcome="ok"} 5.0',
            'staking_chain_requests_total{endpoint="wallet/getaccount",outcome="error"} 2.0',
            'staking_chain_requests_total{endpoint="wallet/getnowblock",outcome="ok"} 1.0',
            "staking_workqueue_depth 3.0",
        ]
    )
    metrics = common.parse_metrics(text)
    assert common.metric_sum(metrics, "staking_chain_requests_total") == 8.0
    assert common.metric_sum(metrics, "staking_chain_requests_total", outcome="ok") == 6.0
    assert common.metric_by_label(metrics, "staking_chain_requests_total", "endpoint") == {
        "wallet/getaccount": 7.0,
        "wallet/getnowblock": 1.0,
    }
    assert common.metric_sum(metrics, "staking_workqueue_depth") == 3.0


def test_process_sample_reads_this_process() -> None:
    found = common.process_sample(os.getpid())
    assert found is not None
    rss, cpu = found
    assert rss > 1_000_000
    assert cpu > 0


def test_top_frames_ranks_leaves_and_own_frames() -> None:
    collapsed = "\n".join(
        [
            "main (tron_staking/cli.py:1);run (tron_staking/x.py:2);select (selectors.py:3) 6",
            "main (tron_staking/cli.py:1);decode (bson/__init__.py:4) 4",
        ]
    )
    found = fleet.top_frames(collapsed)
    assert found["samples"] == 10
    assert found["top_own"][0] == {"frame": "select (selectors.py:3)", "share": 0.6}
    inclusive = {row["frame"]: row["share"] for row in found["top_inclusive_tron_staking"]}
    assert inclusive == {"main (tron_staking/cli.py:1)": 1.0, "run (tron_staking/x.py:2)": 0.6}


def test_fleet_minimum_counts_one_freeze_per_resource_one_vote_one_delegation_per_pair() -> None:
    owners = new_accounts(2, "test-owner")
    receivers = new_accounts(3, "test-receiver")
    plans = fleet.fleet_specs(owners, 10, receivers, WITNESSES)
    assert len(plans) == 10
    minimum = fleet.minimum_transactions(plans)
    # Each owner: slots 0-2 ENERGY, 3-4 BANDWIDTH; slot 4 has no delegation.
    assert minimum[fleet.FREEZE] == 4
    assert minimum[fleet.VOTE] == 2
    pairs = {
        (p.spec["owner"], p.spec["delegate"]["receiver"], p.spec["resource"])
        for p in plans
        if "delegate" in p.spec
    }
    assert minimum[fleet.DELEGATE] == len(pairs) == 8


def test_account_comparison_finds_missing_and_extra_stake() -> None:
    owners = new_accounts(1, "test-owner")
    receivers = new_accounts(1, "test-receiver")
    plans = fleet.fleet_specs(owners, 5, receivers, WITNESSES)
    expected = fleet.expected_accounts(plans)[owners[0].address]
    staked, delegated = expected["staked"], expected["delegated"]
    matching = {
        "frozenV2": [
            {"amount": staked["BANDWIDTH"] - delegated["BANDWIDTH"]},
            {"type": "ENERGY", "amount": staked["ENERGY"] - delegated["ENERGY"]},
        ],
        "delegated_frozenV2_balance_for_bandwidth": delegated["BANDWIDTH"],
        "account_resource": {"delegated_frozenV2_balance_for_energy": delegated["ENERGY"]},
        "votes": [{"vote_address": w, "vote_count": n} for w, n in expected["votes"].items()],
    }
    assert common.account_differences(owners[0].address, expected, matching) == []
    doubled = {**matching, "frozenV2": [*matching["frozenV2"], {"amount": 10_000_000}]}
    problems = common.account_differences(owners[0].address, expected, doubled)
    assert len(problems) == 1
    assert "staked" in problems[0]


def test_new_accounts_are_deterministic_and_hide_their_keys() -> None:
    first, again = new_accounts(3, "seed"), new_accounts(3, "seed")
    assert first == again
    assert len({a.address for a in first}) == 3
    assert all(a.address.startswith("T") for a in first)
    assert first[0].private_key not in repr(first[0])
