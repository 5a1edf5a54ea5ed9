"""``bench.report --check`` fails on correctness read from the recorded data, and a
benchmark's children die with it (no servers)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench import report

REPO = Path(__file__).resolve().parents[2]


def _cell(name: str, **overrides: Any) -> dict[str, Any]:
    cell = {
        "cell": name,
        "converged": True,
        "effective_tx_per_intent": {"freeze:T1:ENERGY": 1},
        "max_effective_tx_per_intent": 1,
        "duplicate": False,
        "unmanaged_untouched": True,
    }
    return cell | overrides


def _sample(position_id: str, series: str = "plain", **overrides: Any) -> dict[str, Any]:
    sample = {
        "series": series,
        "position_id": position_id,
        "effective_block": 12,
        "ready_head": 30,
        "unfreeze_block": 40,
        "unfreezing_final_head": 60,
    }
    return sample | overrides


def _results(
    folder: Path,
    *,
    cells: list[dict[str, Any]] | None = None,
    samples: list[dict[str, Any]] | None = None,
    fleet_ready: bool = True,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    documents = {
        "convergence.json": {"quick": True, "failures": [], "samples": samples or [_sample("p1")]},
        "fleet.json": {
            "quick": True,
            "failures": [],
            "fleet": {"all_ready": fleet_ready, "ready": 3},
        },
        "scale.json": {"quick": True, "failures": []},
        "throughput.json": {"quick": True, "failures": []},
        "chaos-quick.json": {"quick": True, "failed": [], "cells": cells or [_cell("crash/a")]},
    }
    for name, document in documents.items():
        (folder / name).write_text(json.dumps(document))
    return folder


def test_check_passes_clean_results(tmp_path: Path) -> None:
    assert report.check(_results(tmp_path), report.BENCHMARKS) == []
    assert report.main(["--check", "--results", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (_cell("crash/x", duplicate=True), "duplicate transaction in cell crash/x"),
        (_cell("fault/y", max_effective_tx_per_intent=2), "duplicate transaction in cell fault/y"),
        (_cell("reorg/z", converged=False), "cell reorg/z did not converge"),
        (
            _cell("spec/r", account_mismatches=["T1: delegated ENERGY to T2 on chain 20 != 0"]),
            "cell spec/r: an account differs from its positions",
        ),
    ],
)
def test_check_fails_on_a_chaos_cell_its_failure_list_missed(
    tmp_path: Path, cell: dict[str, Any], expected: str
) -> None:
    results = _results(tmp_path, cells=[_cell("ok"), cell])
    assert report.check(results, report.BENCHMARKS) == [f"chaos: {expected}"]
    assert report.main(["--check", "--results", str(results)]) == 1


def test_check_fails_on_touched_unmanaged_stake_and_an_incomplete_chaos_run(
    tmp_path: Path,
) -> None:
    cells = [_cell("ok"), _cell("spec/x", unmanaged_untouched=False)]
    results = _results(tmp_path, cells=cells)
    document = json.loads((results / "chaos-quick.json").read_text())
    (results / "chaos-quick.json").write_text(json.dumps(document | {"complete": False}))
    assert report.check(results, report.BENCHMARKS) == [
        "chaos: the run did not complete",
        "chaos: cell spec/x touched the unmanaged stake",
    ]
    assert report.main(["--check", "--results", str(results)]) == 1


def test_check_passes_cells_left_out_by_the_budget_and_the_report_says_so(
    tmp_path: Path,
) -> None:
    skipped = _cell("reorg/5/drop", converged=False, not_run=True, unmanaged_untouched=False)
    results = _results(tmp_path, cells=[_cell("ok"), skipped])
    assert report.check(results, report.BENCHMARKS) == []
    section = "\n".join(
        report.chaos_section(json.loads((results / "chaos-quick.json").read_text()))
    )
    assert "1 cells run" in section
    assert "| reorg/5/drop | not run (budget) |" in section


def test_check_fails_on_a_position_that_never_converged(tmp_path: Path) -> None:
    samples = [
        _sample("p1"),
        _sample("p2", ready_head=None),
        _sample("p3", series="unmanaged", unfreeze_block=None, unfreezing_final_head=None),
        _sample("p4", unfreezing_final_head=None),
    ]
    problems = report.check(_results(tmp_path, samples=samples), report.BENCHMARKS)
    assert problems == [
        "convergence: p2: no ready_head",
        "convergence: p4: no unfreezing_final_head",
    ]


def test_check_fails_on_a_quick_fleet_not_all_ready_and_a_missing_result(tmp_path: Path) -> None:
    results = _results(tmp_path, fleet_ready=False)
    (results / "scale.json").unlink()
    problems = report.check(results, report.BENCHMARKS)
    assert "fleet: only 3 positions Ready" in problems
    assert f"scale: no result in {results}" in problems


PARENT = """
import sys, time
from pathlib import Path
from bench.stack import BenchChild
child = BenchChild("sleeper", [sys.executable, "-c", "import time; time.sleep(120)"],
                   env={}, log_path=Path(sys.argv[1]), cwd=Path(sys.argv[2]))
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_bench_child_dies_when_the_benchmark_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "child.log"), str(tmp_path)],
        stdout=subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    child_pid = 0
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert _alive(child_pid)
        parent.kill()  # SIGKILL: no handler of the parent runs
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child_pid)
    finally:
        parent.kill()
        parent.wait(timeout=30)
        if parent.stdout is not None:
            parent.stdout.close()
        if child_pid and _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)
