"""Scale (issue 12 item 4): stored positions — 20,000 by default (the largest count whose run
fits ``make bench``'s 30 minutes on the 2-core machine: storing 100,000 took 493 s there),
the issue's 100,000 with ``--positions 100000``, 1,000 with ``--quick``. The report states the
count that was run.

1. Starts the stack of :mod:`bench.stack` without a service: devnet, SecantusDB.
2. Stores the positions directly, in the service's own document shape: each is built with
   ``Position.new(...).for_storage()`` (as ``POST /positions`` does); the first goes through
   the store's repository (``MongoStore.positions.insert``) and the rest are written in batches
   of 5,000 of the same documents (``version`` 1, no ``_id``, exactly what that insert stores)
   with ``insert_many``, because one round-trip per document would take most of the
   benchmark's budget. 50 positions per
   owner (2,000 owners), both resources, a ``team`` label with 10 values. The owners are
   addresses nobody holds the key of: a reconcile reads the chain, plans, and stalls them.
3. Starts ``tron-staking serve`` (role ``all``) and times it from spawn to ``/health/ready``.
4. Waits for one full controller pass — the start-up resync queues every owner;
   ``staking_reconcile_total`` reaches the number of owners — for at most 180 s (5 s with
   ``--quick``), sampling the controller's RSS each second; reports the owners reconciled,
   the rate, the extrapolated time of a full pass when it did not finish, and the current and
   peak RSS (``VmHWM``) and CPU seconds from /proc. Target: RSS ≤ 250 MB.
5. Times ``GET /positions`` with filters (none, owner, state, resource, label) and page sizes
   (10, 50, 500), and walking pages with the cursor: p50/p99 over up to 20 requests per case,
   fewer once a case has spent 20 s, no more cases once 180 s are spent, and no request may
   outlast that budget (at least 5 s each; quick: 4 cases, 2 requests).

The serve runs with ``STAKING_CHAIN_QPS=1000`` (the devnet is local; the default of 10/s
would make the pass measure the rate limiter). Writes ``bench/results/scale.json``.
Run: ``python -m bench.scale [--quick]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx

from bench import common
from bench import stack as stack_module
from bench.services import cpu_seconds, random_address, rss_mb
from tron_staking.domain.position import Position
from tron_staking.domain.spec import parse_spec
from tron_staking.store import names
from tron_staking.store.client import MongoStore
from tron_staking.store.clock import WallClock

RESULTS = Path(__file__).resolve().parent / "results"
PREFIX = "/api/v1/tron/staking"
TARGET_RSS_MB = 250.0
POSITIONS_PER_OWNER = 50
BATCH = 5000
FULL_POSITIONS = 20_000
QUICK_POSITIONS = 1_000
LISTING_TIMEOUT_S = 300.0
LISTINGS_BUDGET_S = 180.0


def _documents(owners: list[str], count: int) -> list[dict[str, Any]]:
    base = dt.datetime.now(dt.UTC).replace(microsecond=0)
    documents = []
    for index in range(count):
        spec = parse_spec(
            {
                "owner": owners[index % len(owners)],
                "resource": "ENERGY" if index % 2 else "BANDWIDTH",
                "amount_sun": 1_000_000 * (1 + index % 50),
                "labels": {"team": f"team-{index % 10}"},
            }
        )
        at = base + dt.timedelta(milliseconds=index)
        documents.append(dict(Position.new(spec, created_by="bench-scale", at=at).for_storage()))
    return documents


async def _store(mongo: Any, documents: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    async with MongoStore.connect(mongo, WallClock()) as store:
        await store.ensure_indexes()
        first = await store.positions.insert(documents[0])
        collection = store.database[names.STAKING_RECORDS]  # the repository's collection
        for start in range(1, len(documents), BATCH):
            batch = [{**doc, "version": 1} for doc in documents[start : start + BATCH]]
            await collection.insert_many(batch, ordered=False)
            if start % (20 * BATCH) == 1:
                print(f"  {start - 1 + len(batch)} stored", flush=True)
        stored = await collection.estimated_document_count()
        if stored != len(documents) or first["version"] != 1:
            raise RuntimeError(f"stored {stored} positions, expected {len(documents)}")
    return time.perf_counter() - started


def _metric_sum(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _full_pass(url: str, pid: int, owners: int, budget_s: float) -> dict[str, Any]:
    """Wait for one reconcile per owner (or ``budget_s``), sampling the controller's RSS."""
    started = time.perf_counter()
    peak_sampled = 0.0
    curve: list[tuple[float, float, float]] = []
    reconciles = 0.0
    with httpx.Client(timeout=10.0) as client:
        while True:
            reconciles = _metric_sum(client.get(url + "/metrics").text, "staking_reconcile_total")
            rss = rss_mb(pid)[0]
            peak_sampled = max(peak_sampled, rss)
            elapsed = time.perf_counter() - started
            curve.append((round(elapsed, 1), reconciles, round(rss, 1)))
            if reconciles >= owners or elapsed > budget_s:
                break
            time.sleep(1.0)
    seconds = time.perf_counter() - started
    current, peak = rss_mb(pid)
    peak = max(peak, peak_sampled)
    rate = reconciles / seconds if seconds > 0 else 0.0
    return {
        "owners": owners,
        "reconciles": reconciles,
        "completed": reconciles >= owners,
        "budget_s": budget_s,
        "seconds": round(seconds, 1),
        "owners_per_s": round(rate, 3),
        "extrapolated_full_pass_s": round(owners / rate, 0) if rate > 0 else None,
        "rss_mb": round(current, 1),
        "peak_rss_mb": round(peak, 1),
        "cpu_s": round(cpu_seconds(pid), 1),
        "target_rss_mb": TARGET_RSS_MB,
        "met": peak <= TARGET_RSS_MB,
        "curve": curve[:: max(1, len(curve) // 60)],
    }


def _request_timeout(deadline: float) -> float:
    """A listing's timeout: what is left of the listings' budget (at least 5 s), so that one
    slow listing cannot stretch the phase past its budget."""
    return max(5.0, min(LISTING_TIMEOUT_S, deadline - time.perf_counter()))


def _latency(
    client: httpx.Client,
    url: str,
    params: dict[str, str],
    repeat: int,
    budget_s: float,
    deadline: float,
) -> dict[str, Any]:
    """Up to ``repeat`` requests, stopping early once ``budget_s`` is spent (at least one)."""
    times: list[float] = []
    errors: list[str] = []
    items = 0
    spent = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        timeout = _request_timeout(deadline)
        try:
            response = client.get(url, params=params, timeout=timeout)
        except httpx.TimeoutException:
            return {"params": params, "timed_out_s": round(timeout, 1), "requests": len(times)}
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            # A 503 (the store timed out) is a finding of this benchmark, not a crash of it.
            errors.append(f"{response.status_code} {response.text[:200]}")
        else:
            items = len(response.json()["items"])
        spent += times[-1] / 1000
        if spent > budget_s:
            break
    times.sort()
    return {
        "params": params,
        "items": items,
        "p50_ms": round(times[len(times) // 2], 1),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
        "max_ms": round(times[-1], 1),
        "requests": len(times),
        "errors": errors[:3],
        "error_count": len(errors),
    }


def _walk(
    client: httpx.Client, url: str, pages: int, limit: int, deadline: float
) -> dict[str, Any]:
    cursor: str | None = None
    times = []
    for _ in range(pages):
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        started = time.perf_counter()
        timeout = _request_timeout(deadline)
        try:
            response = client.get(url, params=params, timeout=timeout)
        except httpx.TimeoutException:
            return {"params": {"limit": str(limit)}, "timed_out_s": round(timeout, 1)}
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            return {"params": {"limit": str(limit)}, "error": response.text[:200]}
        cursor = response.json().get("next_cursor")
        if cursor is None or sum(times) > 60_000:
            break
    return {
        "params": {"limit": str(limit), "pages": str(len(times))},
        "p50_ms": round(sorted(times)[len(times) // 2], 1),
        "max_ms": round(max(times), 1),
        "total_ms": round(sum(times), 1),
    }


def _listings(url: str, token: str, owner: str, quick: bool) -> list[dict[str, Any]]:
    cases: list[dict[str, str]] = [
        {"owner": owner, "limit": "50"},
        {"limit": "50"},
        {"owner": owner, "limit": "10"},
        {"limit": "10"},
        {"limit": "500"},
        {"state": "pending", "limit": "50"},
        {"state": "frozen", "limit": "50"},
        {"resource": "ENERGY", "limit": "50"},
        {"label": "team:team-3", "limit": "50"},
        {"owner": owner, "state": "pending", "limit": "50"},
    ]
    listing = url + PREFIX + "/positions"
    headers = {"authorization": f"Bearer {token}"}
    if quick:
        cases = [cases[0], cases[1], cases[5], cases[8]]
    repeat, budget_s = (2, 2.0) if quick else (20, 20.0)
    with httpx.Client(timeout=LISTING_TIMEOUT_S, headers=headers) as client:
        rows = []
        started = time.perf_counter()
        deadline = started + LISTINGS_BUDGET_S
        for params in cases:
            if time.perf_counter() > deadline:
                rows.append({"params": params, "skipped": "the listings' budget was spent"})
                continue
            rows.append(_latency(client, listing, params, repeat, budget_s, deadline))
        rows.append(_walk(client, listing, 3 if quick else 10, 100, deadline))
    return rows


def run(quick: bool, positions: int, pass_budget_s: float | None = None) -> dict[str, Any]:
    owners_count = max(1, positions // POSITIONS_PER_OWNER)
    owners = [random_address() for _ in range(owners_count)]
    started = time.time()
    options = stack_module.StackOptions(
        accounts=2, serves=(), env={"STAKING_CHAIN_QPS": "1000", "STAKING_WORKERS": "4"}
    )
    with stack_module.Stack(options) as stack:
        documents = _documents(owners, positions)
        insert_s = anyio.run(_store, stack.settings().mongo, documents)
        del documents
        print(
            f"stored {positions} positions for {owners_count} owners in {insert_s:.1f} s",
            flush=True,
        )
        spawned = time.perf_counter()
        serve = stack.start_serve(stack_module.ServeSpec(role="all"))
        startup_s = time.perf_counter() - spawned
        print(f"serve ready in {startup_s:.2f} s at {serve.url}", flush=True)
        budget = pass_budget_s or (5.0 if quick else 180.0)
        full_pass = _full_pass(serve.url, serve.pid, owners_count, budget)
        print(
            f"controller pass: {full_pass['reconciles']:.0f}/{owners_count} owners in "
            f"{full_pass['seconds']} s, peak RSS {full_pass['peak_rss_mb']} MB",
            flush=True,
        )
        listings = _listings(serve.url, stack.token, owners[0], quick)
        after_rss, after_peak = rss_mb(serve.pid)
    return {
        "name": "scale",
        "quick": quick,
        "started_at": started,
        "seconds": round(time.time() - started, 1),
        "command": "python -m bench.scale" + (" --quick" if quick else ""),
        "python": platform.python_version(),
        "positions": positions,
        "owners": owners_count,
        "insert_s": round(insert_s, 1),
        "startup_s": round(startup_s, 2),
        "full_pass": full_pass,
        "rss_after_listings_mb": round(after_rss, 1),
        "peak_rss_after_listings_mb": round(after_peak, 1),
        "listings": listings,
        "targets_met": {
            "controller_peak_rss_mb": {
                "value": full_pass["peak_rss_mb"],
                "target": TARGET_RSS_MB,
                "met": full_pass["met"],
                "over_by": None
                if full_pass["met"]
                else round(full_pass["peak_rss_mb"] - TARGET_RSS_MB, 1),
            }
        },
        "failures": [],
        "machine": common.machine(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_POSITIONS:,} positions")
    parser.add_argument(
        "--positions", type=int, default=None, help=f"default {FULL_POSITIONS:,} (issue: 100000)"
    )
    parser.add_argument("--pass-budget-s", type=float, default=None, help="default 180 (5)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="report folder")
    args = parser.parse_args(argv)
    positions = args.positions or (QUICK_POSITIONS if args.quick else FULL_POSITIONS)
    report = run(args.quick, positions, args.pass_budget_s)
    path = common.write_report(args.out, "scale.json", report)
    print(f"wrote {path}")
    for failure in report["failures"]:
        print(f"FAILURE: {failure}")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
