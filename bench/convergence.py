"""Convergence latency (issue 12, item 1): blocks from declaring a position to *effective* and
to *Ready*, and from an unstake to ``unfreezing`` final.

``python -m bench.convergence [--quick] [--out bench/results] [--positions N]``

The devnet makes 1 s blocks with a solid lag of 19 (``--quick``: 250 ms blocks, lag 4, fewer
positions; a smoke run of correctness, its block counts are not the published ones). One
``serve --role all`` with the product's defaults, except API rate limits (out of the load
generator's way) and ``STAKING_CHAIN_QPS`` (the node is local). Every position has a freeze,
votes for two witnesses and a delegation, and is declared through the API one at a time, each
by its own owner (so one owner's pipeline never waits for another's): the next is declared
once the previous one is effective. Two series: owners with nothing else staked, and owners that
already hold unmanaged stake and votes of their own (frozen and voted outside the service).

* *effective*: the block in which the last of the position's freeze, vote and delegation
  was packed (the devnet's own record, ``/devnet/transactions``); blocks = that block minus
  the head when the position was declared. The floor is 1.
* *Ready*: the head when the API first shows ``Ready=True`` (polled every 100 ms, the head
  read after the answer, so never early). The floor is solid lag + 1.
* unstake: ``DELETE`` of each plain position, one at a time; *effective* is the block of its
  unfreeze, *final* the head when the API shows ``unfreezing`` with the unfreeze
  ``solidified``.

Correctness (exit 1): every position converges within its bound, and each owner's chain
record holds exactly one freeze, one vote and one delegation (one undelegation and one
unfreeze after unstake; the unmanaged owners' own transactions are not counted).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio

from bench import common
from bench.stack import API_PREFIX, Account, ServeSpec, Stack, StackOptions, new_accounts

TRX = 1_000_000
POSITION_SUN = 100 * TRX
UNMANAGED_FREEZE_SUN = 500 * TRX
FUND_SUN = 5_000 * TRX
CHAIN_QPS = "100"
EFFECTIVE_TIMEOUT_BLOCKS = 60
READY_TIMEOUT_BLOCKS = 120

FREEZE = "FreezeBalanceV2Contract"
VOTE = "VoteWitnessContract"
DELEGATE = "DelegateResourceContract"
UNDELEGATE = "UnDelegateResourceContract"
UNFREEZE = "UnfreezeBalanceV2Contract"


@dataclasses.dataclass
class Sample:
    series: str
    owner: str
    position_id: str = ""
    declared_head: int = 0
    effective_block: int | None = None
    ready_head: int | None = None
    seconds_to_effective: float | None = None
    seconds_to_ready: float | None = None
    unstake_head: int = 0
    unfreeze_block: int | None = None
    unfreezing_final_head: int | None = None
    declare_request_seconds: float | None = None
    blocks_by_kind: dict[str, int] = dataclasses.field(default_factory=dict)
    """Blocks from the declaration to the inclusion of each transaction type."""

    def blocks_to_effective(self) -> int | None:
        return None if self.effective_block is None else self.effective_block - self.declared_head

    def blocks_to_ready(self) -> int | None:
        return None if self.ready_head is None else self.ready_head - self.declared_head

    def blocks_to_unfreeze(self) -> int | None:
        return None if self.unfreeze_block is None else self.unfreeze_block - self.unstake_head

    def blocks_to_unfreezing_final(self) -> int | None:
        final = self.unfreezing_final_head
        return None if final is None else final - self.unstake_head


class Watcher:
    """Polls the API (and the head) for the conditions of every watched position."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.ready: dict[str, Sample] = {}
        self.unstaking: dict[str, Sample] = {}
        self.started: dict[str, float] = {}

    async def run(self) -> None:
        while True:
            for position_id, sample in list(self.ready.items()):
                body = await self._position(position_id)
                if _is_ready(body):
                    sample.ready_head = await self.stack.head()
                    sample.seconds_to_ready = round(
                        anyio.current_time() - self.started[position_id], 2
                    )
                    del self.ready[position_id]
            for position_id, sample in list(self.unstaking.items()):
                body = await self._position(position_id)
                if _is_unfreezing_final(body):
                    sample.unfreezing_final_head = await self.stack.head()
                    del self.unstaking[position_id]
            await anyio.sleep(0.1)

    async def _position(self, position_id: str) -> dict[str, Any]:
        response = await self.stack.api.get(f"{API_PREFIX}/positions/{position_id}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


def _is_ready(body: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in body["conditions"])


def _is_unfreezing_final(body: dict[str, Any]) -> bool:
    if body["state"] not in ("unfreezing", "claimable", "withdrawn"):
        return False
    return any(
        tx["kind"] == "unfreeze" and tx["state"] == "solidified" for tx in body["transactions"]
    )


async def _wait_for_types(
    stack: Stack,
    owner: str,
    since_block: int,
    wanted: Sequence[str],
    deadline_block: int,
    blocks_out: dict[str, int] | None = None,
) -> int | None:
    """The block by which every contract type in ``wanted`` was packed for ``owner`` (None
    when the head passes ``deadline_block`` first); ``blocks_out`` receives the first block
    of each type."""
    while True:
        found = await common.packed_transactions(stack.devnet, since_block, owner)
        blocks: dict[str, int] = {}
        for tx in found:
            blocks.setdefault(tx["type"], int(tx["block"]))
        if all(kind in blocks for kind in wanted):
            if blocks_out is not None:
                blocks_out.update({kind: blocks[kind] - since_block + 1 for kind in wanted})
            return max(blocks[kind] for kind in wanted)
        if await stack.head() > deadline_block:
            return None
        await anyio.sleep(0.05)


async def wait_blocks(stack: Stack, blocks: int) -> None:
    """Return once the head has moved ``blocks`` blocks on."""
    target = await stack.head() + blocks
    while True:
        if await stack.head() >= target:
            return
        await anyio.sleep(0.05)


async def _setup_unmanaged(stack: Stack, owners: Sequence[Account], witness: str) -> None:
    """Each owner freezes and votes on its own (outside the service); waits for inclusion."""
    for owner in owners:
        await common.send_signed(
            stack.devnet,
            "/wallet/freezebalancev2",
            {"owner_address": owner.address, "frozen_balance": UNMANAGED_FREEZE_SUN},
            owner.private_key,
        )
    since = await stack.head()
    for owner in owners:
        if await _wait_for_types(stack, owner.address, 0, [FREEZE], since + 30) is None:
            raise common.BenchError("an unmanaged freeze was never packed")
    for owner in owners:
        votes = [{"vote_address": witness, "vote_count": UNMANAGED_FREEZE_SUN // TRX // 2}]
        await common.send_signed(
            stack.devnet,
            "/wallet/votewitnessaccount",
            {"owner_address": owner.address, "votes": votes},
            owner.private_key,
        )
    since = await stack.head()
    for owner in owners:
        if await _wait_for_types(stack, owner.address, 0, [VOTE], since + 30) is None:
            raise common.BenchError("an unmanaged vote was never packed")


async def _declare_series(
    stack: Stack,
    watcher: Watcher,
    series: str,
    owners: Sequence[Account],
    receivers: Sequence[Account],
    witnesses: Sequence[str],
) -> list[Sample]:
    samples = []
    for owner, receiver in zip(owners, receivers, strict=True):
        sample = Sample(series, owner.address)
        spec = {
            "owner": owner.address,
            "resource": "ENERGY",
            "amount_sun": POSITION_SUN,
            "votes": [
                {"witness": witnesses[0], "weight": 70},
                {"witness": witnesses[2], "weight": 30},
            ],
            "delegate": {"receiver": receiver.address, "lock": False},
            "labels": {"bench": "convergence", "series": series},
        }
        sample.declared_head = await stack.head()
        started = anyio.current_time()
        response = await stack.api.post(f"{API_PREFIX}/positions", json=spec)
        if response.status_code != 201:
            raise common.BenchError(f"declare answered {response.status_code}: {response.text}")
        sample.declare_request_seconds = round(anyio.current_time() - started, 3)
        sample.position_id = str(response.json()["id"])
        watcher.started[sample.position_id] = started
        watcher.ready[sample.position_id] = sample
        # Only the service's transactions count: they come after the declaration.
        sample.effective_block = await _wait_for_types(
            stack,
            owner.address,
            sample.declared_head + 1,
            [FREEZE, VOTE, DELEGATE],
            sample.declared_head + EFFECTIVE_TIMEOUT_BLOCKS,
            sample.blocks_by_kind,
        )
        if sample.effective_block is not None:
            sample.seconds_to_effective = round(anyio.current_time() - started, 2)
        samples.append(sample)
        print(
            f"  {series}: {sample.position_id} effective after"
            f" {sample.blocks_to_effective()} blocks",
            flush=True,
        )
    return samples


async def _wait_all(stack: Stack, pending: dict[str, Sample], bound_blocks: int) -> None:
    deadline = await stack.head() + bound_blocks
    while pending and await stack.head() <= deadline:
        stack.check_running()
        await anyio.sleep(0.2)


async def _unstake(stack: Stack, watcher: Watcher, samples: Sequence[Sample]) -> None:
    for sample in samples:
        sample.unstake_head = await stack.head()
        response = await stack.api.delete(f"{API_PREFIX}/positions/{sample.position_id}")
        if response.status_code != 202:
            raise common.BenchError(f"unstake answered {response.status_code}: {response.text}")
        watcher.unstaking[sample.position_id] = sample
        sample.unfreeze_block = await _wait_for_types(
            stack,
            sample.owner,
            sample.unstake_head + 1,
            [UNFREEZE],
            sample.unstake_head + EFFECTIVE_TIMEOUT_BLOCKS,
        )
        print(
            f"  unstake: {sample.position_id} unfreeze after {sample.blocks_to_unfreeze()} blocks",
            flush=True,
        )


async def _count_duplicates(stack: Stack, samples: Sequence[Sample]) -> list[str]:
    """One line per owner whose service-sent transactions are not exactly one of each: one
    freeze, vote and delegation after the declaration; after an unstake one undelegation,
    one unfreeze and at most one vote (the position's votes leave the owner's list)."""
    problems = []
    for sample in samples:
        found = await common.packed_transactions(
            stack.devnet, sample.declared_head + 1, sample.owner
        )
        declared: dict[str, int] = {}
        unstaked: dict[str, int] = {}
        for tx in found:
            after_unstake = bool(sample.unstake_head) and int(tx["block"]) > sample.unstake_head
            counts = unstaked if after_unstake else declared
            counts[tx["type"]] = counts.get(tx["type"], 0) + 1
        checks = [(declared, {FREEZE: 1, VOTE: 1, DELEGATE: 1}, "declared")]
        if sample.unstake_head:
            wanted_vote = min(unstaked.get(VOTE, 0), 1)
            checks.append((unstaked, {UNDELEGATE: 1, UNFREEZE: 1, VOTE: wanted_vote}, "unstake"))
        for counts, expected, phase in checks:
            for kind, wanted in expected.items():
                if counts.get(kind, 0) != wanted:
                    problems.append(
                        f"{sample.owner} ({phase}): {counts.get(kind, 0)} x {kind},"
                        f" expected {wanted}"
                    )
            extra = set(counts) - set(expected)
            if extra:
                problems.append(f"{sample.owner} ({phase}): unexpected {sorted(extra)}")
    return problems


def _series_report(samples: Sequence[Sample]) -> dict[str, Any]:
    effective = [b for s in samples if (b := s.blocks_to_effective()) is not None]
    ready = [b for s in samples if (b := s.blocks_to_ready()) is not None]
    return {
        "positions": len(samples),
        "blocks_to_effective": common.summary(effective),
        "blocks_to_ready": common.summary(ready),
        "seconds_to_effective": common.summary(
            [s.seconds_to_effective for s in samples if s.seconds_to_effective is not None]
        ),
        "seconds_to_ready": common.summary(
            [s.seconds_to_ready for s in samples if s.seconds_to_ready is not None]
        ),
        "blocks_to_inclusion_by_kind": {
            kind: common.summary(
                [s.blocks_by_kind[kind] for s in samples if kind in s.blocks_by_kind]
            )
            for kind in (FREEZE, VOTE, DELEGATE)
        },
        "declare_request_seconds": common.summary(
            [s.declare_request_seconds for s in samples if s.declare_request_seconds is not None]
        ),
        "series_blocks_to_effective": [s.blocks_to_effective() for s in samples],
        "series_blocks_to_ready": [s.blocks_to_ready() for s in samples],
    }


async def run(quick: bool, positions: int | None, out: Path, argv: Sequence[str]) -> int:
    block_ms = 250 if quick else 1000
    solid_lag = 4 if quick else 19
    count = positions or (2 if quick else 10)
    report: dict[str, Any] = common.header("convergence", quick, argv)
    env = {"STAKING_CHAIN_QPS": CHAIN_QPS}
    report["setup"] = {
        "block_interval_ms": block_ms,
        "solid_lag": solid_lag,
        "positions_per_series": count,
        "position": "100 TRX ENERGY, votes 70/30 for two witnesses, delegation to a funded account",
        "unmanaged_stake": "500 TRX ENERGY frozen and 250 votes cast by the owner itself",
        "service": "one serve --role all, product defaults except",
        "service_env": env,
        "floor_blocks": {"effective": 1, "ready": solid_lag + 1},
        "targets": {
            "effective_p50": 1,
            "effective_p50_unmanaged": 2,
            "ready_p50": solid_lag + 2,
        },
    }
    if quick:
        report["setup"]["note"] = "quick: 250 ms blocks instead of 1 s, solid lag 4 instead of 19"
    plain = new_accounts(count, "convergence-plain")
    unmanaged = new_accounts(count, "convergence-unmanaged")
    receivers = new_accounts(2 * count, "convergence-receiver")
    timer = common.Timer()
    options = StackOptions(
        block_interval_ms=block_ms,
        solid_lag=solid_lag,
        accounts=2,
        serves=(ServeSpec("all"),),
        env=env,
    )
    failures: list[str] = []
    async with Stack(options) as stack:
        for account in [*plain, *unmanaged, *receivers]:
            await stack.fund(account.address, FUND_SUN)
        await stack.import_keys([*plain, *unmanaged])
        witnesses = await stack.witnesses()
        # The funding must be packed before anyone stakes.
        await wait_blocks(stack, 2)
        print("unmanaged stake: freezing and voting outside the service", flush=True)
        await _setup_unmanaged(stack, unmanaged, witnesses[1])
        watcher = Watcher(stack)
        samples: list[Sample] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(watcher.run)
            print(f"declaring {count} positions one at a time (plain owners)", flush=True)
            plain_samples = await _declare_series(
                stack, watcher, "plain", plain, receivers[:count], witnesses
            )
            print(f"declaring {count} positions one at a time (owners with unmanaged stake)")
            unmanaged_samples = await _declare_series(
                stack, watcher, "unmanaged", unmanaged, receivers[count:], witnesses
            )
            samples = [*plain_samples, *unmanaged_samples]
            await _wait_all(stack, watcher.ready, READY_TIMEOUT_BLOCKS)
            print(f"unstaking {count} positions one at a time", flush=True)
            await _unstake(stack, watcher, plain_samples)
            await _wait_all(stack, watcher.unstaking, READY_TIMEOUT_BLOCKS)
            tg.cancel_scope.cancel()
        for sample in samples:
            if sample.effective_block is None:
                failures.append(f"{sample.position_id}: never effective")
            if sample.ready_head is None:
                failures.append(f"{sample.position_id}: never Ready")
        for sample in plain_samples:
            if sample.unfreeze_block is None or sample.unfreezing_final_head is None:
                failures.append(f"{sample.position_id}: unstake never reached unfreezing final")
        failures.extend(await _count_duplicates(stack, samples))
        metrics = await common.scrape(s.url for s in stack.serves)
    report["series"] = {
        "plain": _series_report(plain_samples),
        "unmanaged": _series_report(unmanaged_samples),
    }
    unstake_eff = [b for s in plain_samples if (b := s.blocks_to_unfreeze()) is not None]
    unstake_final = [b for s in plain_samples if (b := s.blocks_to_unfreezing_final()) is not None]
    report["unstake"] = {
        "positions": len(plain_samples),
        "blocks_to_unfreeze_included": common.summary(unstake_eff),
        "blocks_to_unfreezing_final": common.summary(unstake_final),
        "series_blocks_to_unfreeze_included": [s.blocks_to_unfreeze() for s in plain_samples],
        "series_blocks_to_unfreezing_final": [
            s.blocks_to_unfreezing_final() for s in plain_samples
        ],
    }
    report["transactions_by_kind"] = common.metric_by_label(
        {k: v for k, v in metrics.items() if 'result="broadcast"' in k},
        "staking_transactions_total",
        "kind",
    )
    report["load_average_at_end"] = common.load_average()
    report["targets_met"] = _targets(report, solid_lag)
    report["samples"] = [dataclasses.asdict(s) for s in samples]
    report["failures"] = failures
    report["wall_seconds"] = timer.elapsed()
    path = common.write_report(out, "convergence.json", report)
    _print_summary(report, path)
    return 1 if failures else 0


def _targets(report: dict[str, Any], solid_lag: int) -> dict[str, Any]:
    plain = report["series"]["plain"]
    unmanaged = report["series"]["unmanaged"]

    def check(value: float | None, target: float) -> dict[str, Any]:
        met = value is not None and value <= target
        return {
            "value": value,
            "target": target,
            "met": met,
            "over_by": None if met or value is None else value - target,
        }

    return {
        "effective_p50": check(plain["blocks_to_effective"]["p50"], 1),
        "effective_p50_unmanaged": check(unmanaged["blocks_to_effective"]["p50"], 2),
        "ready_p50": check(plain["blocks_to_ready"]["p50"], solid_lag + 2),
        "ready_p50_unmanaged": check(unmanaged["blocks_to_ready"]["p50"], solid_lag + 2),
    }


def _print_summary(report: dict[str, Any], path: Path) -> None:
    for name, series in report["series"].items():
        eff, ready = series["blocks_to_effective"], series["blocks_to_ready"]
        print(
            f"{name:10} effective p50 {eff['p50']} p95 {eff['p95']} max {eff['max']} blocks;"
            f" Ready p50 {ready['p50']} p95 {ready['p95']} max {ready['max']} blocks"
        )
    unstake = report["unstake"]
    print(
        f"unstake    unfreeze p50 {unstake['blocks_to_unfreeze_included']['p50']} blocks;"
        f" unfreezing final p50 {unstake['blocks_to_unfreezing_final']['p50']} blocks"
    )
    for failure in report["failures"]:
        print(f"FAILURE: {failure}")
    print(f"wrote {path} ({report['wall_seconds']} s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.convergence", description=__doc__)
    common.add_common_arguments(parser)
    parser.add_argument("--positions", type=int, default=None, help="positions per series")
    args = parser.parse_args(argv)
    given = list(sys.argv[1:] if argv is None else argv)
    return anyio.run(run, args.quick, args.positions, args.out, given)


if __name__ == "__main__":
    sys.exit(main())
