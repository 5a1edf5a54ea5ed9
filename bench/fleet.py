"""Fleet convergence and steady-state cost (issue 12, items 2 and 3).

``python -m bench.fleet [--quick] [--owners 1000 --positions 5000] [--out bench/results]``

The devnet makes 1 s blocks with a solid lag of 19. The service runs as two processes, a
controller (``serve --role controller``, the one measured) and an API (``--role api``), with
the product's defaults except: ``STAKING_CHAIN_QPS`` (the node is local; the default 10/s is
a TronGrid budget), API rate limits (the load generator is one subject) and
``STAKING_RESYNC_INTERVAL_S`` (short, so that ten resync periods fit in the run; the value is
in the report).

1. Fund the owners (``/devnet/fund``) and the receivers, import the owners' keys.
2. Declare every position in one burst through the API (32 requests in flight). Each owner
   has ``positions / owners`` positions: ENERGY and BANDWIDTH, votes for one of three
   witnesses, most delegated to one of a pool of receivers.
3. Until every position is Ready: the Ready count (read from the store) and the head, once a
   second (the convergence curve). Then blocks and seconds until all are Ready; transactions
   the devnet packed for these owners (``/devnet/transactions``) divided by the minimum
   possible (one freeze per owner+resource, one vote per owner, one delegation per
   owner+receiver+resource); the controller's node requests (``staking_chain_requests_total``)
   per position; the controller's peak RSS and CPU seconds.
4. Every owner's account on the head is checked against the declared positions (frozen and
   delegated amounts, votes): a difference is a correctness failure (exit 1), as is a position
   that is not Ready in time.
5. Steady state: the fleet idles for ten resync periods; node requests per owner per resync
   period and controller CPU seconds per reconcile.

With py-spy installed, the controller is sampled during step 3 (``--profile``, on by
default when py-spy is found) and the hottest frames are kept in the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pymongo

from bench import common
from bench.stack import (
    API_PREFIX,
    DATABASE,
    Account,
    ServeSpec,
    Stack,
    StackOptions,
    killed_with_parent,
    new_accounts,
)

TRX = 1_000_000
FUND_SUN = 100_000 * TRX
RECEIVER_FUND_SUN = 10 * TRX
BURST_CONCURRENCY = 32
FULL_OWNERS, FULL_POSITIONS = 50, 250
QUICK_OWNERS, QUICK_POSITIONS = 6, 18
FREEZE = "FreezeBalanceV2Contract"
VOTE = "VoteWitnessContract"
DELEGATE = "DelegateResourceContract"
READY_FILTER = {"conditions": {"$elemMatch": {"type": "Ready", "status": "True"}}}


@dataclasses.dataclass(frozen=True)
class Plan:
    owner: Account
    spec: dict[str, Any]


def fleet_specs(
    owners: Sequence[Account],
    positions: int,
    receivers: Sequence[Account],
    witnesses: Sequence[str],
) -> list[Plan]:
    """``positions`` specs spread over ``owners`` (round robin): resources alternate three
    ENERGY to two BANDWIDTH, votes for one of three witnesses, four in five delegated."""
    plans = []
    for index in range(positions):
        owner_index = index % len(owners)
        slot = index // len(owners)
        spec: dict[str, Any] = {
            "owner": owners[owner_index].address,
            "resource": "ENERGY" if slot % 5 < 3 else "BANDWIDTH",
            "amount_sun": (10 + slot) * TRX,
            "votes": [{"witness": witnesses[(owner_index + slot) % 3], "weight": 1}],
            "labels": {"bench": "fleet"},
        }
        if slot % 5 != 4:
            receiver = receivers[(owner_index + slot) % len(receivers)]
            spec["delegate"] = {"receiver": receiver.address, "lock": False}
        plans.append(Plan(owners[owner_index], spec))
    return plans


def minimum_transactions(plans: Sequence[Plan]) -> dict[str, int]:
    freezes = {(p.spec["owner"], p.spec["resource"]) for p in plans}
    votes = {p.spec["owner"] for p in plans if p.spec.get("votes")}
    delegations = {
        (p.spec["owner"], p.spec["delegate"]["receiver"], p.spec["resource"])
        for p in plans
        if "delegate" in p.spec
    }
    return {FREEZE: len(freezes), VOTE: len(votes), DELEGATE: len(delegations)}


def expected_accounts(plans: Sequence[Plan]) -> dict[str, dict[str, Any]]:
    """Per owner: total staked per resource, delegated per resource, votes per witness."""
    found: dict[str, dict[str, Any]] = {}
    for plan in plans:
        spec = plan.spec
        entry = found.setdefault(
            spec["owner"], {"staked": Counter(), "delegated": Counter(), "votes": Counter()}
        )
        entry["staked"][spec["resource"]] += spec["amount_sun"]
        if "delegate" in spec:
            entry["delegated"][spec["resource"]] += spec["amount_sun"]
        entry["votes"][spec["votes"][0]["witness"]] += spec["amount_sun"] // TRX
    return found


async def _burst(stack: Stack, plans: Sequence[Plan]) -> list[str]:
    """Declare every plan, ``BURST_CONCURRENCY`` in flight; the failures."""
    send, receive = anyio.create_memory_object_stream[Plan](len(plans))
    for plan in plans:
        send.send_nowait(plan)
    send.close()
    failures: list[str] = []

    async def worker() -> None:
        async for plan in receive:
            response = await stack.api.post(f"{API_PREFIX}/positions", json=plan.spec)
            if response.status_code != 201:
                failures.append(f"declare answered {response.status_code}: {response.text[:200]}")

    async with anyio.create_task_group() as tg:
        for _ in range(BURST_CONCURRENCY):
            tg.start_soon(worker)
    return failures


async def _fund(stack: Stack, accounts: Sequence[Account], amount_sun: int) -> None:
    send, receive = anyio.create_memory_object_stream[Account](len(accounts))
    for account in accounts:
        send.send_nowait(account)
    send.close()

    async def worker() -> None:
        async for account in receive:
            await stack.fund(account.address, amount_sun)

    async with anyio.create_task_group() as tg:
        for _ in range(8):
            tg.start_soon(worker)


async def _wait_blocks(stack: Stack, blocks: int) -> None:
    target = await stack.head() + blocks
    while True:
        if await stack.head() >= target:
            return
        await anyio.sleep(0.1)


class Profiler:
    """py-spy sampling one PID into collapsed stacks (when py-spy is installed)."""

    def __init__(self, pid: int, workdir: Path) -> None:
        self.pid = pid
        self.output = workdir / "controller.pyspy.txt"
        self.process: subprocess.Popen[bytes] | None = None
        self.error = ""

    @staticmethod
    def available() -> str | None:
        beside = Path(sys.executable).parent / "py-spy"
        return str(beside) if beside.exists() else shutil.which("py-spy")

    def start(self) -> None:
        binary = self.available()
        if binary is None:
            self.error = "py-spy is not installed"
            return
        command = [binary, "record", "--pid", str(self.pid), "--rate", "50", "--format", "raw"]
        command += ["--output", str(self.output), "--nonblocking"]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=killed_with_parent,
        )

    def stop(self) -> dict[str, Any]:
        process, self.process = self.process, None
        if process is None:
            return {"error": self.error}
        process.send_signal(2)  # SIGINT: py-spy writes what it has
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
        if not self.output.exists():
            return {"error": stderr.decode(errors="replace")[-500:]}
        return top_frames(self.output.read_text(errors="replace"))


def top_frames(collapsed: str, limit: int = 25) -> dict[str, Any]:
    """The hottest frames of py-spy's collapsed stacks: by own samples (the leaf) and by
    inclusive samples among tron_staking's own frames."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for frame in set(frames):
            if "tron_staking" in frame or "tron_staking/" in frame:
                inclusive[frame] += count
    return {
        "samples": total,
        "top_own": [
            {"frame": frame, "share": round(n / total, 4)} for frame, n in own.most_common(limit)
        ]
        if total
        else [],
        "top_inclusive_tron_staking": [
            {"frame": frame, "share": round(n / total, 4)}
            for frame, n in inclusive.most_common(limit)
        ]
        if total
        else [],
    }


async def _ready_count(mongo_url: str) -> int:
    def count() -> int:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            mongo_url, serverSelectionTimeoutMS=5000
        )
        try:
            return int(client[DATABASE]["staking_records"].count_documents(READY_FILTER))
        finally:
            client.close()

    return await anyio.to_thread.run_sync(count)


async def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    quick: bool = args.quick
    owners_count: int = args.owners or (QUICK_OWNERS if quick else FULL_OWNERS)
    positions_count: int = args.positions or (QUICK_POSITIONS if quick else FULL_POSITIONS)
    resync_s: float = args.resync_s or (0.5 if quick else 8.0)
    block_ms = 250 if quick else 1000
    solid_lag = 4 if quick else 19
    bound_s: float = args.timeout_s or (120.0 if quick else 600.0)
    env = {
        "STAKING_CHAIN_QPS": str(args.chain_qps),
        "STAKING_RESYNC_INTERVAL_S": str(resync_s),
    }
    report: dict[str, Any] = common.header("fleet", quick, argv)
    report["setup"] = {
        "owners": owners_count,
        "positions": positions_count,
        "block_interval_ms": block_ms,
        "solid_lag": solid_lag,
        "service": "serve --role controller (measured) + serve --role api, product defaults"
        " except service_env and the API rate limits",
        "service_env": env,
        "resync_interval_s": resync_s,
        "burst_concurrency": BURST_CONCURRENCY,
        "targets": {
            "transactions_ratio": 1.0,
            "node_requests_per_position": 4,
            "node_requests_per_owner_per_resync": 1,
        },
    }
    if quick:
        report["setup"]["note"] = (
            "quick: 250 ms blocks instead of 1 s, solid lag 4 instead of 19, a small fleet"
        )
    owners = new_accounts(owners_count, "fleet-owner")
    receivers = new_accounts(max(5, owners_count // 20), "fleet-receiver")
    options = StackOptions(
        block_interval_ms=block_ms,
        solid_lag=solid_lag,
        accounts=2,
        serves=(ServeSpec("controller"), ServeSpec("api")),
        env=env,
    )
    failures: list[str] = []
    timer = common.Timer()
    with tempfile.TemporaryDirectory(prefix="fleet-profile-") as profile_dir:
        async with Stack(options) as stack:
            controller = next(s for s in stack.serves if s.role == "controller")
            print(f"funding {owners_count} owners and {len(receivers)} receivers", flush=True)
            await _fund(stack, [*owners, *receivers], FUND_SUN)
            setup = common.Timer()
            imported = await stack.import_keys(owners)
            report["setup"]["key_import_seconds"] = setup.elapsed()
            print(f"imported {imported} keys in {setup.elapsed()} s", flush=True)
            witnesses = await stack.witnesses()
            plans = fleet_specs(owners, positions_count, receivers, witnesses)
            await _wait_blocks(stack, 2)

            sampler = common.Sampler([controller.pid])
            everyone = common.Sampler(stack.pids().values())
            everyone_before = dict(everyone.cpu)
            metrics_before = await common.scrape([controller.url])
            cpu_before = sampler.total_cpu_s()
            start_head = await stack.head()
            profiler = Profiler(controller.pid, Path(profile_dir))
            if args.profile:
                profiler.start()
            curve: list[dict[str, Any]] = []
            ready = 0
            async with anyio.create_task_group() as tg:
                tg.start_soon(sampler.run)
                burst = common.Timer()
                print(f"declaring {positions_count} positions in one burst", flush=True)
                failures.extend(await _burst(stack, plans))
                burst_s = burst.elapsed()
                burst_head = await stack.head()
                print(f"declared in {burst_s} s; waiting for Ready", flush=True)
                while burst.elapsed() < bound_s:
                    stack.check_running()
                    ready = await _ready_count(stack.mongo_url)
                    head = await stack.head()
                    curve.append(
                        {"block": head - start_head, "seconds": burst.elapsed(), "ready": ready}
                    )
                    if ready >= positions_count:
                        break
                    await anyio.sleep(1.0)
                all_ready_s = burst.elapsed()
                end_head = await stack.head()
                tg.cancel_scope.cancel()
            report["profile"] = profiler.stop() if args.profile else {"error": "not requested"}
            cpu_converge = sampler.total_cpu_s() - cpu_before
            everyone.sample()
            names = {pid: name for name, pid in stack.pids().items()}
            cpu_by_process = {
                names[pid]: round(cpu - everyone_before.get(pid, 0.0), 2)
                for pid, cpu in everyone.cpu.items()
            }
            metrics_after = await common.scrape([controller.url])
            print(f"{ready}/{positions_count} Ready after {all_ready_s} s", flush=True)
            converged = ready >= positions_count
            status = await _store_status(stack.mongo_url)
            if status["stalled"]:
                failures.append(
                    f"{len(status['stalled'])} positions Stalled: {status['stalled'][:5]}"
                )
            if not converged and quick:
                failures.append(
                    f"only {ready} of {positions_count} positions Ready after {bound_s} s"
                )

            fleet_addresses = {o.address for o in owners}
            packed = [
                tx
                for tx in await common.packed_transactions(stack.devnet, start_head + 1)
                if tx["owner"] in fleet_addresses
            ]
            by_type = Counter(tx["type"] for tx in packed)
            minimum = minimum_transactions(plans)
            chain_requests = common.metric_sum(
                metrics_after, "staking_chain_requests_total"
            ) - common.metric_sum(metrics_before, "staking_chain_requests_total")
            requests_by_endpoint = _delta_by(metrics_before, metrics_after, "endpoint")
            report["fleet"] = {
                "all_ready": converged,
                "not_ready_note": None
                if converged
                else f"{positions_count - ready} positions still converging (none Stalled)"
                f" when the {bound_s:g} s bound ended the wait; a time bound, not a failure",
                "burst_seconds": burst_s,
                "burst_positions_per_second": round(positions_count / burst_s, 1)
                if burst_s
                else None,
                "blocks_until_all_ready": end_head - start_head
                if ready >= positions_count
                else None,
                "blocks_from_last_declaration_until_all_ready": end_head - burst_head
                if ready >= positions_count
                else None,
                "seconds_until_all_ready": all_ready_s if ready >= positions_count else None,
                "ready": ready,
                "transactions": dict(by_type),
                "minimum_transactions": minimum,
                "transactions_ratio": round(sum(by_type.values()) / sum(minimum.values()), 3),
                "transactions_ratio_by_kind": {
                    kind: round(by_type.get(kind, 0) / n, 3) for kind, n in minimum.items() if n
                },
                "transactions_by_result": _delta_by(
                    metrics_before, metrics_after, "result", "staking_transactions_total"
                ),
                "reconciles_by_result": _delta_by(
                    metrics_before, metrics_after, "result", "staking_reconcile_total"
                ),
                "node_requests": int(chain_requests),
                "node_requests_per_position": round(chain_requests / positions_count, 2),
                "node_requests_by_endpoint": requests_by_endpoint,
                "controller_peak_rss_mb": sampler.peak_rss_mb(),
                "controller_cpu_seconds": round(cpu_converge, 2),
                "cpu_seconds_by_process": cpu_by_process,
                "reconcile_seconds_mean": _mean_delta(
                    metrics_before, metrics_after, "staking_reconcile_duration_seconds"
                ),
                "curve": curve,
            }

            report["fleet"]["operations"] = await _operations_summary(stack.mongo_url)
            ready_owners = status["ready_owners"]
            print(f"checking the accounts of {len(ready_owners)} converged owners", flush=True)
            report["fleet"]["owners_checked_on_chain"] = len(ready_owners)
            checked = [p for p in plans if p.spec["owner"] in ready_owners]
            failures.extend(await _check_accounts(stack, checked))

            if converged:
                print(f"idle for 10 resync periods ({10 * resync_s:g} s)", flush=True)
                report["steady_state"] = await _steady_state(
                    stack, controller.url, controller.pid, resync_s, owners_count
                )
            else:
                report["steady_state"] = {"skipped": "the fleet did not converge in time"}
    report["load_average_at_end"] = common.load_average()
    report["targets_met"] = _targets(report)
    report["failures"] = failures[:50]
    report["failure_count"] = len(failures)
    report["wall_seconds"] = timer.elapsed()
    path = common.write_report(args.out, "fleet.json", report)
    _print_summary(report, path)
    return 1 if failures else 0


async def _operations_summary(mongo_url: str) -> dict[str, Any]:
    """The controller's operations by kind and state, and the commonest errors of the
    rejected and expired ones (what the report needs to explain extra transactions)."""

    def read() -> dict[str, Any]:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            mongo_url, serverSelectionTimeoutMS=5000
        )
        try:
            operations = client[DATABASE]["staking_operations"]
            states: Counter[str] = Counter()
            errors: Counter[str] = Counter()
            for doc in operations.find({}, {"_id": 0, "kind": 1, "state": 1, "error": 1}):
                states[f"{doc.get('kind')}:{doc.get('state')}"] += 1
                if doc.get("state") in ("rejected", "expired"):
                    errors[f"{doc.get('kind')}: {str(doc.get('error'))[:160]}"] += 1
            return {
                "by_kind_and_state": dict(sorted(states.items())),
                "rejected_or_expired_errors": [
                    {"error": error, "count": n} for error, n in errors.most_common(8)
                ],
            }
        finally:
            client.close()

    return await anyio.to_thread.run_sync(read)


def _mean_delta(before: dict[str, float], after: dict[str, float], histogram: str) -> float | None:
    """The mean of a histogram's observations between two scrapes."""
    total = common.metric_sum(after, f"{histogram}_sum") - common.metric_sum(
        before, f"{histogram}_sum"
    )
    count = common.metric_sum(after, f"{histogram}_count") - common.metric_sum(
        before, f"{histogram}_count"
    )
    return round(total / count, 3) if count else None


async def _store_status(mongo_url: str) -> dict[str, Any]:
    """The owners whose every position is Ready, and the ids of Stalled positions."""

    def read() -> dict[str, Any]:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            mongo_url, serverSelectionTimeoutMS=5000
        )
        try:
            records = client[DATABASE]["staking_records"]
            owners: dict[str, bool] = {}
            stalled: list[str] = []
            for doc in records.find({}, {"_id": 0, "id": 1, "owner": 1, "conditions": 1}):
                flags = {c["type"]: c["status"] == "True" for c in doc.get("conditions", [])}
                owners[doc["owner"]] = owners.get(doc["owner"], True) and flags.get("Ready", False)
                if flags.get("Stalled", False):
                    stalled.append(str(doc["id"]))
            return {"ready_owners": {o for o, ok in owners.items() if ok}, "stalled": stalled}
        finally:
            client.close()

    return await anyio.to_thread.run_sync(read)


def _delta_by(
    before: dict[str, float],
    after: dict[str, float],
    label: str,
    metric: str = "staking_chain_requests_total",
) -> dict[str, int]:
    old = common.metric_by_label(before, metric, label)
    new = common.metric_by_label(after, metric, label)
    return {k: int(v - old.get(k, 0.0)) for k, v in sorted(new.items()) if v - old.get(k, 0.0)}


async def _check_accounts(stack: Stack, plans: Sequence[Plan]) -> list[str]:
    problems: list[str] = []
    for owner, expected in expected_accounts(plans).items():
        response = await stack.devnet.post(
            "/wallet/getaccount", json={"address": owner, "visible": True}
        )
        response.raise_for_status()
        problems.extend(common.account_differences(owner, expected, response.json()))
    return problems


async def _steady_state(
    stack: Stack, url: str, pid: int, resync_s: float, owners: int
) -> dict[str, Any]:
    sampler = common.Sampler([pid])
    before = await common.scrape([url])
    cpu_before = sampler.total_cpu_s()
    head_before = await stack.head()
    idle = common.Timer()
    await anyio.sleep(10 * resync_s)
    seconds = idle.elapsed()
    after = await common.scrape([url])
    cpu = sampler.total_cpu_s() - cpu_before
    requests = common.metric_sum(after, "staking_chain_requests_total") - common.metric_sum(
        before, "staking_chain_requests_total"
    )
    reconciles = common.metric_sum(after, "staking_reconcile_total") - common.metric_sum(
        before, "staking_reconcile_total"
    )
    periods = seconds / resync_s
    packed = await common.packed_transactions(stack.devnet, head_before + 1)
    return {
        "seconds": seconds,
        "resync_interval_s": resync_s,
        "resync_periods": round(periods, 2),
        "blocks": await stack.head() - head_before,
        "node_requests": int(requests),
        "node_requests_per_owner_per_resync": round(requests / owners / periods, 3),
        "node_requests_by_endpoint": _delta_by(before, after, "endpoint"),
        "reconciles": int(reconciles),
        "node_requests_per_reconcile": round(requests / reconciles, 2) if reconciles else None,
        "reconciles_per_owner_per_resync": round(reconciles / owners / periods, 3),
        "controller_cpu_seconds": round(cpu, 2),
        "reconcile_seconds_mean": _mean_delta(before, after, "staking_reconcile_duration_seconds"),
        "controller_cpu_ms_per_reconcile": round(1000 * cpu / reconciles, 2)
        if reconciles
        else None,
        "controller_cpu_share": round(cpu / seconds, 3),
        "transactions_sent_while_idle": len(packed),
        "controller_rss_mb": sampler.peak_rss_mb(),
    }


def _targets(report: dict[str, Any]) -> dict[str, Any]:
    fleet = report.get("fleet", {})
    steady = report.get("steady_state", {})

    def check(value: float | None, target: float) -> dict[str, Any]:
        met = value is not None and value <= target
        over = None if met or value is None else round(value - target, 3)
        return {"value": value, "target": target, "met": met, "over_by": over}

    return {
        "transactions_ratio": check(fleet.get("transactions_ratio"), 1.0),
        "node_requests_per_position": check(fleet.get("node_requests_per_position"), 4),
        "node_requests_per_owner_per_resync": check(
            steady.get("node_requests_per_owner_per_resync"), 1
        ),
    }


def _print_summary(report: dict[str, Any], path: Path) -> None:
    fleet, steady = report.get("fleet", {}), report.get("steady_state", {})
    print(
        f"fleet: all Ready after {fleet.get('blocks_until_all_ready')} blocks"
        f" / {fleet.get('seconds_until_all_ready')} s;"
        f" transactions x{fleet.get('transactions_ratio')} of the minimum;"
        f" {fleet.get('node_requests_per_position')} node requests per position;"
        f" controller peak RSS {fleet.get('controller_peak_rss_mb')} MB,"
        f" CPU {fleet.get('controller_cpu_seconds')} s"
    )
    print(
        f"steady: {steady.get('node_requests_per_owner_per_resync')} node requests per owner per"
        f" resync; {steady.get('controller_cpu_ms_per_reconcile')} ms CPU per reconcile"
    )
    for failure in report["failures"]:
        print(f"FAILURE: {failure}")
    print(f"wrote {path} ({report['wall_seconds']} s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    common.add_common_arguments(parser)
    parser.add_argument("--owners", type=int, default=None)
    parser.add_argument("--positions", type=int, default=None)
    parser.add_argument("--resync-s", type=float, default=None, help="STAKING_RESYNC_INTERVAL_S")
    parser.add_argument("--chain-qps", type=float, default=1000.0, help="STAKING_CHAIN_QPS")
    parser.add_argument("--timeout-s", type=float, default=None, help="bound on convergence")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=Profiler.available() is not None,
        help="sample the controller with py-spy while the fleet converges",
    )
    args = parser.parse_args(argv)
    given = list(sys.argv[1:] if argv is None else argv)
    return anyio.run(run, args, given)


if __name__ == "__main__":
    sys.exit(main())
