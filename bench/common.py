"""Helpers shared by the benchmarks: percentiles, JSON reports, process sampling (RSS and CPU
seconds, with psutil when installed, else /proc), Prometheus text parsing, devnet reads, and
signing a transaction with an owner's key (for unmanaged stake set up outside the service)."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import math
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx

from tron_devnet import crypto

DEFAULT_OUT = Path("bench/results")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class BenchError(Exception):
    """A correctness failure (a duplicate transaction, a position that never converges): the
    benchmark writes its report and exits non-zero."""


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation, to 3 decimals; None for no
    values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 3)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """count, p50, p95, max, mean of ``values``."""
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values) if values else None,
        "mean": round(sum(values) / len(values), 3) if values else None,
    }


def machine() -> dict[str, Any]:
    """A description of this machine for the report."""
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_mb": memory_kb // 1024,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


def write_report(out_dir: Path, name: str, report: Mapping[str, Any]) -> Path:
    """Write ``report`` to ``out_dir/name`` (pretty JSON) and return the path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    path.write_text(json.dumps(report, indent=2, sort_keys=False, default=str) + "\n")
    return path


def header(benchmark: str, quick: bool, argv: Sequence[str]) -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "quick": quick,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "-m", f"bench.{benchmark}", *argv]),
        "machine": machine(),
        "load_average_at_start": load_average(),
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (other work on the machine skews the figures)."""
    return [round(x, 2) for x in os.getloadavg()]


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="a reduced smoke run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")


# ---- process sampling ----


def process_sample(pid: int) -> tuple[int, float] | None:
    """(RSS bytes, CPU seconds user+system) of ``pid``; None once it is gone."""
    try:
        psutil: Any = importlib.import_module("psutil")
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            process = psutil.Process(pid)
            with process.oneshot():
                times = process.cpu_times()
                return int(process.memory_info().rss), float(times.user + times.system)
        except psutil.Error:
            return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        statm = Path(f"/proc/{pid}/statm").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    rss = int(statm.split()[1]) * _PAGE_SIZE
    return rss, cpu


class Sampler:
    """Samples RSS and CPU seconds of some PIDs every ``interval_s`` (run it in a task group):
    the peak RSS and the CPU seconds between :meth:`mark` calls."""

    def __init__(self, pids: Iterable[int], interval_s: float = 0.5) -> None:
        self.pids = list(pids)
        self.interval_s = interval_s
        self.peak_rss: dict[int, int] = dict.fromkeys(self.pids, 0)
        self.cpu: dict[int, float] = dict.fromkeys(self.pids, 0.0)
        self.sample()

    def sample(self) -> None:
        for pid in self.pids:
            found = process_sample(pid)
            if found is None:
                continue
            rss, cpu = found
            self.peak_rss[pid] = max(self.peak_rss[pid], rss)
            self.cpu[pid] = cpu

    async def run(self) -> None:
        while True:
            self.sample()
            await anyio.sleep(self.interval_s)

    def total_cpu_s(self) -> float:
        self.sample()
        return sum(self.cpu.values())

    def peak_rss_mb(self) -> float:
        self.sample()
        return round(max(self.peak_rss.values(), default=0) / 2**20, 1)


# ---- Prometheus text ----


def parse_metrics(text: str) -> dict[str, float]:
    """``{"name{labels}": value}`` of every sample line of a Prometheus text page."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        try:
            found[key] = float(value)
        except ValueError:
            continue
    return found


def metric_sum(metrics: Mapping[str, float], name: str, **labels: str) -> float:
    """The sum of ``name`` over the samples whose labels include ``labels``."""
    total = 0.0
    for key, value in metrics.items():
        metric, _, rest = key.partition("{")
        if metric != name:
            continue
        if all(f'{label}="{wanted}"' in rest for label, wanted in labels.items()):
            total += value
    return total


def metric_by_label(metrics: Mapping[str, float], name: str, label: str) -> dict[str, float]:
    """``{label value: sum}`` of ``name``."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        metric, _, rest = key.partition("{")
        if metric != name:
            continue
        marker = f'{label}="'
        start = rest.find(marker)
        if start < 0:
            continue
        start += len(marker)
        wanted = rest[start : rest.index('"', start)]
        out[wanted] = out.get(wanted, 0.0) + value
    return out


async def scrape(urls: Iterable[str]) -> dict[str, float]:
    """The metrics of every URL, summed sample by sample."""
    total: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30.0) as client:
        for url in urls:
            response = await client.get(f"{url}/metrics")
            response.raise_for_status()
            for key, value in parse_metrics(response.text).items():
                total[key] = total.get(key, 0.0) + value
    return total


# ---- the chain ----


async def packed_transactions(
    devnet: httpx.AsyncClient, since_block: int = 0, owner: str | None = None
) -> list[dict[str, Any]]:
    """Every transaction the devnet packed from ``since_block`` on (its own record)."""
    params: dict[str, Any] = {"since_block": since_block}
    if owner is not None:
        params["owner"] = owner
    response = await devnet.get("/devnet/transactions", params=params)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()["transactions"]
    return found


async def send_signed(
    devnet: httpx.AsyncClient, builder_path: str, body: Mapping[str, Any], private_key: str
) -> str:
    """Build a transaction with the node-side builder ``builder_path`` (visible addresses),
    sign it with ``private_key`` and broadcast it; the txid. Raises BenchError when refused."""
    response = await devnet.post(builder_path, json={**body, "visible": True})
    response.raise_for_status()
    transaction = response.json()
    if "txID" not in transaction:
        raise BenchError(f"{builder_path} refused: {transaction}")
    signature = crypto.sign(bytes.fromhex(transaction["txID"]), bytes.fromhex(private_key))
    transaction["signature"] = [signature.hex()]
    sent = await devnet.post("/wallet/broadcasttransaction", json=transaction)
    sent.raise_for_status()
    result = sent.json()
    if not result.get("result"):
        raise BenchError(f"broadcast refused: {result}")
    return str(transaction["txID"])


def account_differences(
    owner: str, expected: Mapping[str, Any], account: Mapping[str, Any]
) -> list[str]:
    """What differs between an owner's account on the chain (``wallet/getaccount``, visible
    addresses) and ``expected``: ``staked`` (frozen plus delegated) and ``delegated`` per
    resource, ``votes`` per witness (Counters; a key ``expected`` lacks is expected at zero)."""
    resource = account.get("account_resource", {})
    delegated = Counter(
        {
            "ENERGY": int(resource.get("delegated_frozenV2_balance_for_energy", 0)),
            "BANDWIDTH": int(account.get("delegated_frozenV2_balance_for_bandwidth", 0)),
        }
    )
    frozen: Counter[str] = Counter()
    for entry in account.get("frozenV2", []):
        frozen[entry.get("type", "BANDWIDTH")] += int(entry.get("amount", 0))
    staked = Counter({k: frozen[k] + delegated[k] for k in ("ENERGY", "BANDWIDTH")})
    votes = Counter({v["vote_address"]: int(v["vote_count"]) for v in account.get("votes", [])})
    problems = []
    for name, have in (("staked", staked), ("delegated", delegated), ("votes", votes)):
        if name not in expected:
            continue
        want = Counter(expected[name])
        if +have != +want:
            problems.append(f"{owner}: {name} on chain {dict(+have)} != declared {dict(+want)}")
    return problems


class Timer:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return round(time.monotonic() - self.start, 2)
