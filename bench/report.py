"""The benchmark report (issue 12 item 7): reads ``bench/results/*.json`` and writes
``bench/results/REPORT.md`` with a table per benchmark (targets, met or missed by how much),
the machine (/proc/cpuinfo, /proc/meminfo), the Python version, the command lines and dates,
and PNG plots (matplotlib, Agg backend): the convergence-time distribution, the fleet's Ready
positions over blocks, and the throughput/latency bars. A benchmark without a JSON file is
reported as "not run".

``--check`` writes nothing: it exits 1 when a result shows a correctness failure (a duplicate
transaction, a position that never converged, a failed request) or an expected result is
missing; never for speed. ``make bench-quick`` ends with it.

Run: ``python -m bench.report [--results bench/results] [--check]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS = ("convergence", "fleet", "scale", "throughput", "chaos")


def machine() -> dict[str, Any]:
    """CPU model and count, memory, OS and Python of this machine."""
    model = ""
    with_open = Path("/proc/cpuinfo")
    if with_open.exists():
        for line in with_open.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_mb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mb = int(line.split()[1]) // 1024
    return {
        "cpu": model or platform.processor(),
        "cpus": os.cpu_count(),
        "memory_mb": memory_mb,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def machine_line(info: dict[str, Any]) -> str:
    return (
        f"{info['cpus']} × {info['cpu']}, {info['memory_mb'] / 1024:.1f} GiB RAM, "
        f"{info['os']}, Python {info['python']}"
    )


def load(results: Path) -> dict[str, dict[str, Any] | None]:
    """Each benchmark's result (the full run's, else the quick one's, also from
    ``results/quick/`` where ``make bench-quick`` writes), or None."""
    found: dict[str, dict[str, Any] | None] = {}
    for name in BENCHMARKS:
        found[name] = None
        for candidate in (
            f"{name}.json",
            f"{name}-quick.json",
            f"quick/{name}.json",
            f"quick/{name}-quick.json",
        ):
            path = results / candidate
            if path.exists():
                found[name] = json.loads(path.read_text())
                break
    return found


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _verdict(target: dict[str, Any], lower_is_better: bool = True) -> str:
    if target.get("met"):
        return "met"
    value, goal = target.get("value"), target.get("target")
    if value is None or goal is None:
        return "not measured"
    gap = (value - goal) if lower_is_better else (goal - value)
    return f"**missed by {_fmt(float(gap), 2)}**"


def _run_line(result: dict[str, Any]) -> str:
    when = result.get("started_at") or result.get("generated_at") or "?"
    if isinstance(when, float):
        when = dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="seconds")
    quick = (
        " (**quick run**: reduced sizes, not the figures of record)" if result.get("quick") else ""
    )
    return f"`{result.get('command', '?')}` — {when}{quick}"


# ---- sections ------------------------------------------------------------------------------


def convergence_section(result: dict[str, Any] | None, plots: Path) -> list[str]:
    lines = ["## 1. Convergence latency", ""]
    if result is None:
        return [*lines, "not run", ""]
    lines += [_run_line(result), ""]
    lines += ["| series | blocks to effective p50 / p95 / max | blocks to Ready p50 / p95 / max |"]
    lines += ["|---|---|---|"]
    for name, series in result.get("series", {}).items():
        eff, ready = series["blocks_to_effective"], series["blocks_to_ready"]
        lines.append(
            f"| {name} | {_fmt(eff['p50'])} / {_fmt(eff['p95'])} / {_fmt(eff['max'])} "
            f"| {_fmt(ready['p50'])} / {_fmt(ready['p95'])} / {_fmt(ready['max'])} |"
        )
    unstake = result.get("unstake")
    if unstake:
        inc, final = unstake["blocks_to_unfreeze_included"], unstake["blocks_to_unfreezing_final"]
        lines.append(
            f"| unstake (unfreeze included / unfreezing final) | {_fmt(inc['p50'])} / "
            f"{_fmt(inc['p95'])} / {_fmt(inc['max'])} | {_fmt(final['p50'])} / "
            f"{_fmt(final['p95'])} / {_fmt(final['max'])} |"
        )
    lines += ["", *_targets_table(result.get("targets_met", {})), *_failures(result)]
    if _plot_convergence(result, plots / "convergence.png"):
        lines += ["", "![convergence-time distribution](convergence.png)"]
    return [*lines, ""]


def fleet_section(result: dict[str, Any] | None, plots: Path) -> list[str]:
    lines = ["## 2–3. Fleet convergence and steady-state cost", ""]
    if result is None:
        return [*lines, "not run", ""]
    lines += [_run_line(result), ""]
    setup = result.get("setup", {})
    fleet = result.get("fleet", {})
    lines += [
        f"{_fmt(setup.get('positions'))} positions across {_fmt(setup.get('owners'))} owners, "
        f"one burst.",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    for key in (
        "blocks_until_all_ready",
        "seconds_until_all_ready",
        "ready",
        "transactions_ratio",
        "node_requests_per_position",
        "controller_peak_rss_mb",
        "controller_cpu_seconds",
        "burst_seconds",
    ):
        if key in fleet:
            lines.append(f"| {key.replace('_', ' ')} | {_fmt(fleet[key], 2)} |")
    steady = result.get("steady_state")
    if isinstance(steady, dict):
        for key, value in steady.items():
            if isinstance(value, int | float):
                lines.append(f"| steady state: {key.replace('_', ' ')} | {_fmt(value, 2)} |")
    lines += ["", *_targets_table(result.get("targets_met", {})), *_failures(result)]
    profile = result.get("profile") or {}
    if profile.get("top_own"):
        lines += ["", "Controller profile (py-spy, share of samples, own time):", ""]
        lines += [f"- {p['share']:.1%} {p['frame']}" for p in profile["top_own"][:8]]
    if _plot_fleet(fleet.get("curve") or [], plots / "fleet.png"):
        lines += ["", "![Ready positions over blocks](fleet.png)"]
    return [*lines, ""]


def scale_section(result: dict[str, Any] | None) -> list[str]:
    lines = ["## 4. Scale", ""]
    if result is None:
        return [*lines, "not run", ""]
    lines += [_run_line(result), ""]
    full = result["full_pass"]
    target = result["targets_met"]["controller_peak_rss_mb"]
    pass_text = (
        f"all {full['owners']:,} owners reconciled in {full['seconds']} s"
        if full["completed"]
        else f"**not finished**: {full['reconciles']:.0f} of {full['owners']:,} owners "
        f"reconciled in the {full['budget_s']:.0f} s budget"
        + (
            f" (≈ {full['extrapolated_full_pass_s']:,.0f} s for all at that rate)"
            if full.get("extrapolated_full_pass_s")
            else ""
        )
    )
    lines += [
        f"{result['positions']:,} stored positions ({result['owners']:,} owners), stored in "
        f"{result['insert_s']} s.",
        "",
        "| measure | value | target | verdict |",
        "|---|---|---|---|",
        f"| controller peak RSS over the pass (MB) | {full['peak_rss_mb']} | ≤ 250 "
        f"| {_verdict(target)} |",
        f"| controller RSS at the end (MB) | {full['rss_mb']} | | |",
        f"| controller pass | {pass_text} | | |",
        f"| `serve` start-up to /health/ready (s) | {result['startup_s']} | | |",
        "",
        "| GET /positions with | items | p50 ms | p99 ms | requests |",
        "|---|---|---|---|---|",
    ]
    for row in result["listings"]:
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items() if k != "owner")
        if "owner" in row["params"]:
            params = "owner=…, " + params
        if "error" in row:
            lines.append(f"| {params} | – | failed: {row['error'][:80]} | | |")
        elif row.get("error_count"):
            lines.append(
                f"| {params} | {row['items']} | {row['p50_ms']} | {row['p99_ms']} "
                f"| {row['requests']}, **{row['error_count']} failed**: {row['errors'][0][:60]} |"
            )
        elif "skipped" in row:
            lines.append(f"| {params} | – | skipped: {row['skipped']} | | |")
        elif "timed_out_s" in row:
            lines.append(f"| {params} | – | timed out ({row['timed_out_s']} s) | | |")
        elif "total_ms" in row:
            lines.append(
                f"| cursor walk, {params} | – | {row['p50_ms']} | max {row['max_ms']} "
                f"| {row['params']['pages']} |"
            )
        else:
            lines.append(
                f"| {params} | {row['items']} | {row['p50_ms']} | {row['p99_ms']} "
                f"| {row['requests']} |"
            )
    return [*lines, *_failures(result), ""]


def throughput_section(result: dict[str, Any] | None, plots: Path) -> list[str]:
    lines = ["## 5. API throughput", ""]
    if result is None:
        return [*lines, "not run", ""]
    lines += [
        _run_line(result),
        "",
        f"Concurrency {result['concurrency']}, {result['duration_s']} s per endpoint after "
        f"{result['warmup_s']} s of warm-up; the load generator is its own process. CPU ms/req:"
        " the server process's CPU seconds over the run (warm-up included) per measured request.",
        "",
        "| endpoint | service req/s | p50 / p99 ms | CPU ms/req | minimal req/s | p50 / p99 ms "
        "| CPU ms/req | ratio | target ≥ 0.7 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["endpoints"]:
        svc, mini = row["service"], row["minimal"]
        verdict = "met" if row["met"] else f"**missed by {0.7 - row['ratio']:.2f}**"
        lines.append(
            f"| {row['endpoint']} | {svc['per_second']} | {svc['p50_ms']} / {svc['p99_ms']} "
            f"| {_cpu_per_request(svc)} | {mini['per_second']} | {mini['p50_ms']} / "
            f"{mini['p99_ms']} | {_cpu_per_request(mini)} | {row['ratio']:.2f} | {verdict} |"
        )
    lines += _failures(result)
    if _plot_throughput(result, plots / "throughput.png"):
        lines += ["", "![throughput and latency](throughput.png)"]
    return [*lines, ""]


def _cpu_per_request(result: dict[str, Any]) -> str:
    """The server process's CPU milliseconds per request over the measured window."""
    cpu, requests = result.get("server_cpu_s"), result.get("requests")
    if not isinstance(cpu, int | float) or not requests:
        return "–"
    return f"{cpu * 1000 / requests:.2f}"


def chaos_section(result: dict[str, Any] | None) -> list[str]:
    lines = ["## 6. Chaos", ""]
    if result is None:
        return [*lines, "not run", ""]
    cells = result.get("cells", [])
    failed = result.get("failed", [])
    skipped = sum(1 for c in cells if c.get("not_run"))
    lines += [
        _run_line(result),
        "",
        f"{len(cells) - skipped} cells run, {len(failed)} failed; duplicates: "
        f"{sum(1 for c in cells if c.get('duplicate'))}"
        + (f"; {skipped} cells not run (budget {result.get('budget_s')} s)." if skipped else "."),
        "",
        "| cell | converged | max effective tx / intent | duplicate | unmanaged untouched "
        "| blocks |",
        "|---|---|---|---|---|---|",
    ]
    for cell in cells:
        if cell.get("not_run"):
            lines.append(f"| {cell['cell']} | not run (budget) | | | | |")
            continue
        lines.append(
            f"| {cell['cell']} | {'yes' if cell['converged'] else '**NO**'} "
            f"| {cell['max_effective_tx_per_intent']} "
            f"| {'**YES**' if cell['duplicate'] else 'no'} "
            f"| {'yes' if cell['unmanaged_untouched'] else '**NO**'} "
            f"| {_fmt(cell.get('blocks_to_converge'))} |"
        )
    return [*lines, ""]


def _targets_table(targets: dict[str, Any]) -> list[str]:
    if not targets:
        return []
    lines = ["| target | value | goal | verdict |", "|---|---|---|---|"]
    for name, target in targets.items():
        if isinstance(target, dict):
            lines.append(
                f"| {name.replace('_', ' ')} | {_fmt(target.get('value'), 2)} "
                f"| {_fmt(target.get('target'), 2)} | {_verdict(target)} |"
            )
    return lines


def _failures(result: dict[str, Any]) -> list[str]:
    failures = result.get("failures") or []
    if not failures:
        return []
    return ["", "**Correctness failures:**", "", *[f"- {f}" for f in failures]]


# ---- plots ---------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_convergence(result: dict[str, Any], path: Path) -> bool:
    samples = result.get("samples", [])
    data = {
        "effective (plain)": _blocks(samples, "plain", "effective"),
        "Ready (plain)": _blocks(samples, "plain", "ready"),
        "effective (unmanaged)": _blocks(samples, "unmanaged", "effective"),
        "Ready (unmanaged)": _blocks(samples, "unmanaged", "ready"),
    }
    data = {k: v for k, v in data.items() if v}
    if not data:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(list(data.values()), bins=20, label=list(data.keys()))
    ax.set_xlabel("blocks from declaration")
    ax.set_ylabel("positions")
    ax.set_title("Convergence-time distribution")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _blocks(samples: list[dict[str, Any]], series: str, what: str) -> list[float]:
    out = []
    for sample in samples:
        if sample.get("series") != series:
            continue
        declared = sample.get("declared_head")
        end = sample.get("effective_block") if what == "effective" else sample.get("ready_head")
        if isinstance(declared, int | float) and isinstance(end, int | float):
            out.append(float(end - declared))
    return out


def _plot_fleet(curve: list[dict[str, Any]], path: Path) -> bool:
    if not curve:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([p["block"] for p in curve], [p["ready"] for p in curve])
    ax.set_xlabel("blocks since the burst")
    ax.set_ylabel("Ready positions")
    ax.set_title("Fleet convergence")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _plot_throughput(result: dict[str, Any], path: Path) -> bool:
    rows = result.get("endpoints") or []
    if not rows:
        return False
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    names = [row["endpoint"] for row in rows]
    xs = range(len(rows))
    width = 0.38
    for offset, who in ((-width / 2, "service"), (width / 2, "minimal")):
        left.bar(
            [x + offset for x in xs], [row[who]["per_second"] for row in rows], width, label=who
        )
        right.bar([x + offset for x in xs], [row[who]["p99_ms"] for row in rows], width, label=who)
    left.set_yscale("log")
    for ax, title in ((left, "requests/s (log scale)"), (right, "p99 latency (ms)")):
        ax.set_xticks(list(xs))
        ax.set_xticklabels(names, rotation=15, fontsize=8)
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


# ---- report and check ----------------------------------------------------------------------


def write_report(results: Path) -> Path:
    found = load(results)
    info = machine()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    lines = [
        "# Benchmark report",
        "",
        f"Generated {now} by `python -m bench.report` from `bench/results/*.json`.",
        "",
        f"Machine: {machine_line(info)}.",
        "The load generator, the service, SecantusDB and the devnet share these CPUs; the",
        "figures are this machine's, measured while other work may run on it.",
        "",
        "Commands: `make bench` (everything, then this report) or each benchmark alone:",
        "",
        *[f"- `python -m bench.{name}`" for name in BENCHMARKS],
        "",
        *convergence_section(found["convergence"], results),
        *fleet_section(found["fleet"], results),
        *scale_section(found["scale"]),
        *throughput_section(found["throughput"], results),
        *chaos_section(found["chaos"]),
    ]
    path = results / "REPORT.md"
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path


def check(results: Path, expected: Sequence[str]) -> list[str]:
    """Correctness problems in ``results`` (never speed): missing results, failures,
    duplicates, failed chaos cells, failed requests."""
    problems = []
    found = load(results)
    for name in expected:
        result = found.get(name)
        if result is None:
            problems.append(f"{name}: no result in {results}")
            continue
        problems += [f"{name}: {failure}" for failure in result.get("failures") or []]
        problems += [f"{name}: chaos cell failed: {cell}" for cell in result.get("failed") or []]
        problems += [f"{name}: {problem}" for problem in _recorded_problems(result)]
    return problems


def _recorded_problems(result: dict[str, Any]) -> list[str]:
    """Correctness problems read from the recorded data itself, so that a result whose
    ``failures`` list missed one still fails the check: a chaos cell with a duplicate or more
    than one effective transaction for an intent, not converged or touching the unmanaged
    stake, a chaos run that did not complete; a convergence sample never
    effective, Ready or unfreezing; a quick fleet not all Ready."""
    problems = []
    if result.get("complete") is False:
        problems.append("the run did not complete")
    for cell in result.get("cells") or []:
        if cell.get("not_run"):
            continue  # left out by the run's time budget (reported, not a failure)
        if cell.get("unmanaged_untouched") is False:
            problems.append(f"cell {cell['cell']} touched the unmanaged stake")
        if cell.get("account_mismatches"):
            problems.append(f"cell {cell['cell']}: an account differs from its positions")
        if cell.get("duplicate") or int(cell.get("max_effective_tx_per_intent") or 0) > 1:
            problems.append(f"duplicate transaction in cell {cell['cell']}")
        if cell.get("converged") is False:
            problems.append(f"cell {cell['cell']} did not converge")
    for sample in result.get("samples") or []:
        needed = ["effective_block", "ready_head"]
        if sample.get("series") == "plain":
            needed += ["unfreeze_block", "unfreezing_final_head"]
        missing = [key for key in needed if sample.get(key) is None]
        if missing:
            problems.append(f"{sample.get('position_id')}: no {', '.join(missing)}")
    fleet = result.get("fleet")
    if result.get("quick") and isinstance(fleet, dict) and fleet.get("all_ready") is False:
        problems.append(f"only {fleet.get('ready')} positions Ready")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--check", action="store_true", help="correctness only; no report")
    parser.add_argument(
        "--expect", default=",".join(BENCHMARKS), help="benchmarks --check requires"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.results, [n for n in args.expect.split(",") if n])
        for problem in problems:
            print(f"FAILURE: {problem}", file=sys.stderr)
        print(f"bench check: {len(problems)} correctness problem(s)")
        return 1 if problems else 0
    path = write_report(args.results)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
