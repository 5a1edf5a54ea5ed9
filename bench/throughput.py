"""API throughput (issue 12 item 5): the service against a minimal Starlette app doing the same
single database operation, side by side in one run against the same SecantusDB.

Starts SecantusDB, a tron-devnet (the service needs a chain endpoint; these requests never
read it), ``tron-staking serve --role api`` and :mod:`bench.minimal_app`, then, for each of
``POST /positions``, ``GET /positions/{id}`` and ``GET /health/live``, runs
:mod:`bench.loadgen` in a separate process against the service and then the minimal app, at
fixed concurrency for a fixed duration (30 s each; 1 s with ``--quick``). The 30 s are run as
three rounds of 10 s, alternating service and minimal app, so that a change in the machine's
load during the run hits both alike. The ratio service/minimal of requests/s is judged
against the target of 0.7.

The service runs as deployed, with the rate limits raised out of the way and logs at WARNING;
its POST also records the ``spec_declared`` history entry, renders the position with its
operations and checks the token, which the minimal app does not: that is the overhead measured.

Writes ``bench/results/throughput.json``. Run: ``python -m bench.throughput [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench import common, loadgen, services
from bench.loadgen import Job
from tests.support import servers

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RATIO = 0.7
PREFIX = "/api/v1/tron/staking"
SEED_POSITIONS = 64
ROUNDS = 3
ROUNDS_QUICK = 1


def _bodies(count: int) -> list[str]:
    owners = [services.random_address() for _ in range(16)]
    return [
        json.dumps({"owner": owners[i % len(owners)], "resource": "ENERGY", "amount_sun": 10**6})
        for i in range(count)
    ]


def _seed(client: httpx.Client, url: str, headers: dict[str, str], bodies: list[str]) -> list[str]:
    ids = []
    for body in bodies:
        sent = {**headers, "content-type": "application/json"}
        response = client.post(url, content=body, headers=sent)
        if response.status_code != 201:
            raise RuntimeError(f"seeding {url}: {response.status_code} {response.text[:300]}")
        ids.append(str(response.json()["id"]))
    return ids


def run(quick: bool, concurrency: int) -> dict[str, Any]:
    duration = 1.0 if quick else 30.0
    warmup = 0.2 if quick else 2.0
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        work = Path(tmp)
        with services.secantus(work) as mongo_url, services.devnet() as chain_url:
            service = services.Service(mongo_url, "bench_service", chain_url)
            serve = service.start("api", work)
            minimal_port = servers.free_port()
            minimal = services.spawn(
                "minimal-app",
                [
                    sys.executable,
                    "-m",
                    "bench.minimal_app",
                    "--port",
                    str(minimal_port),
                    "--mongo-url",
                    mongo_url,
                    "--database",
                    "bench_minimal",
                ],
                servers.environment_without_service_variables(),
                work,
            )
            try:
                services.wait_http(serve, service.url + "/health/ready")
                minimal_url = f"http://127.0.0.1:{minimal_port}"
                services.wait_http(minimal, minimal_url + "/health/live")
                auth = {"authorization": f"Bearer {service.token()}"}
                seed = _bodies(SEED_POSITIONS)
                with httpx.Client(timeout=30.0) as client:
                    service_ids = _seed(client, service.url + PREFIX + "/positions", auth, seed)
                    minimal_ids = _seed(client, minimal_url + "/positions", {}, seed)
                targets = {
                    "service": (service.url, PREFIX, auth, service_ids, serve),
                    "minimal": (minimal_url, "", {}, minimal_ids, minimal),
                }
                endpoints: list[dict[str, Any]] = []
                for endpoint in ("POST /positions", "GET /positions/{id}", "GET /health/live"):
                    row: dict[str, Any] = {"endpoint": endpoint}
                    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
                    for _ in range(ROUNDS_QUICK if quick else ROUNDS):
                        for name, (url, prefix, headers, ids, child) in targets.items():
                            job = _job(endpoint, url, prefix, headers, ids, concurrency)
                            job.duration_s = duration / (ROUNDS_QUICK if quick else ROUNDS)
                            job.warmup_s = warmup
                            cpu_before = services.cpu_seconds(child.pid)
                            result = loadgen.run_in_child(job)
                            result["server_cpu_s"] = round(
                                services.cpu_seconds(child.pid) - cpu_before, 2
                            )
                            rounds[name].append(result)
                    for name, results in rounds.items():
                        row[name] = _combined(results)
                    row["ratio"] = round(
                        row["service"]["per_second"] / max(row["minimal"]["per_second"], 1e-9), 3
                    )
                    row["target_ratio"] = TARGET_RATIO
                    row["met"] = row["ratio"] >= TARGET_RATIO
                    endpoints.append(row)
                    print(
                        f"{endpoint}: service {row['service']['per_second']}/s "
                        f"minimal {row['minimal']['per_second']}/s ratio {row['ratio']}",
                        flush=True,
                    )
                rss = {"service_mb": services.rss_mb(serve.pid)[0]}
                rss["minimal_mb"] = services.rss_mb(minimal.pid)[0]
            finally:
                serve.stop()
                minimal.stop()
    return {
        "name": "throughput",
        "quick": quick,
        "started_at": started,
        "seconds": round(time.time() - started, 1),
        "command": "python -m bench.throughput" + (" --quick" if quick else ""),
        "python": platform.python_version(),
        "concurrency": concurrency,
        "duration_s": duration,
        "warmup_s": warmup,
        "endpoints": endpoints,
        "rss": rss,
        "errors": sum(r[n]["errors"] for r in endpoints for n in ("service", "minimal")),
        "targets_met": {
            row["endpoint"]: {
                "value": row["ratio"],
                "target": TARGET_RATIO,
                "met": row["met"],
                "under_by": None if row["met"] else round(TARGET_RATIO - row["ratio"], 3),
            }
            for row in endpoints
        },
        "failures": [
            f"{row['endpoint']} on the {name}: {row[name]['errors']} failed requests "
            f"{row[name]['statuses']}"
            for row in endpoints
            for name in ("service", "minimal")
            if row[name]["errors"]
        ],
        "machine": common.machine(),
    }


def _combined(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one app on one endpoint as one result: requests and seconds added, p50 the
    median of the rounds' p50s, p99 and max the worst round's."""
    requests = sum(r["requests"] for r in results)
    seconds = sum(r["seconds"] for r in results)
    p50s = sorted(r["p50_ms"] for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        for key, count in r["statuses"].items():
            statuses[key] = statuses.get(key, 0) + count
    return {
        "requests": requests,
        "seconds": round(seconds, 3),
        "per_second": round(requests / max(seconds, 1e-9), 1),
        "p50_ms": p50s[len(p50s) // 2],
        "p99_ms": max(r["p99_ms"] for r in results),
        "max_ms": max(r["max_ms"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "statuses": statuses,
        "server_cpu_s": round(sum(r["server_cpu_s"] for r in results), 2),
        "rounds": [r["per_second"] for r in results],
        "client": results[0]["client"],
    }


def _job(
    endpoint: str,
    url: str,
    prefix: str,
    headers: dict[str, str],
    ids: list[str],
    concurrency: int,
) -> Job:
    if endpoint == "POST /positions":
        return Job(
            url,
            "POST",
            [prefix + "/positions"],
            bodies=_bodies(256),
            headers=headers,
            concurrency=concurrency,
            expect=[201],
        )
    if endpoint == "GET /positions/{id}":
        paths = [f"{prefix}/positions/{id_}" for id_ in ids]
        return Job(url, "GET", paths, headers=headers, concurrency=concurrency)
    return Job(url, "GET", ["/health/live"], concurrency=concurrency)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput")
    parser.add_argument("--quick", action="store_true", help="1 s per endpoint instead of 30 s")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=RESULTS, help="report folder")
    args = parser.parse_args(argv)
    report = run(args.quick, args.concurrency)
    path = common.write_report(args.out, "throughput.json", report)
    print(f"wrote {path}")
    for failure in report["failures"]:
        print(f"FAILURE: {failure}")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
