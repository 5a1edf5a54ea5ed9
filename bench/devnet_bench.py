"""Throughput of tron-devnet over loopback HTTP.

Starts ``tron-devnet`` as a subprocess (``--port 0 --block-interval-ms 0``), then measures:

* broadcasts/s — pre-signed TransferContract transactions posted to
  ``wallet/broadcasttransaction`` by ``--concurrency`` concurrent keep-alive connections;
* account reads/s — ``wallet/getaccount`` (visible) with the same concurrency;
* packing — the time of ``POST /devnet/mine`` for one block holding ``--pack`` transactions.

Each rate is measured twice: with httpx (what the service uses) and with a minimal raw
HTTP/1.1 keep-alive client. On a 2-core machine the client and the devnet share the CPUs and
httpx costs more per request than the devnet does, so the httpx numbers are client-bound;
the targets (500 broadcasts/s, 2,000 reads/s) are judged on the raw-client numbers, which
measure the devnet's own capacity.

Bounded in count and time (``--deadline-s``); loopback only. Writes a JSON and a markdown
report under ``bench/reports/``. Run: ``python -m bench.devnet_bench`` (not part of pytest).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.stack import killed_with_parent
from tron_devnet import codec, crypto
from tron_devnet.types import RawData, TransferContract

REPORTS = Path(__file__).resolve().parent / "reports"
TARGETS = {"broadcasts_per_s": 500.0, "account_reads_per_s": 2000.0, "pack_block_txs": 5000}


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    per_second: float
    errors: int


class DevnetProcess:
    """``tron-devnet`` as a child process; ``url`` and ``accounts`` once it is ready."""

    def __init__(self, accounts: int) -> None:
        command = [
            sys.executable,
            "-m",
            "tron_devnet",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--block-interval-ms",
            "0",
            "--accounts",
            str(accounts),
            "--seed",
            "bench",
        ]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=killed_with_parent,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.accounts: list[dict[str, str]] = []
        while True:
            line = self._lines.get(timeout=60)
            if line is None:
                raise RuntimeError("tron-devnet exited during startup")
            entry = json.loads(line)
            if entry.get("event") == "ready":
                self.url: str = entry["url"]
                break
            self.accounts.append(entry)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()


def presign_transfers(
    accounts: Sequence[dict[str, str]], count: int, head: dict[str, Any], salt: int
) -> list[tuple[str, bytes]]:
    """``count`` distinct signed transfers (JSON body, txid) referencing the head block."""
    block_id = bytes.fromhex(head["blockID"])
    head_time = head["block_header"]["raw_data"]["timestamp"]
    expiration = max(head_time, int(time.time() * 1000)) + 3_600_000
    keys = [bytes.fromhex(account["private_key"]) for account in accounts]
    addresses = [crypto.parse_address(account["address"]) for account in accounts]
    out = []
    for index in range(count):
        sender = index % len(keys)
        receiver = (sender + 1) % len(keys)
        value = TransferContract(addresses[sender], addresses[receiver], 1 + index + salt)
        raw = RawData(
            ref_block_bytes=block_id[6:8],
            ref_block_hash=block_id[8:16],
            expiration=expiration,
            contracts=(codec.new_contract(value),),
            timestamp=head_time,
        )
        tx = codec.make_transaction(raw)
        tx = codec.with_signatures(tx, [crypto.sign(tx.txid, keys[sender])])
        body = json.dumps(codec.transaction_to_json(tx, visible=False))
        out.append((body, tx.txid))
    return out


async def run_concurrent(
    name: str,
    jobs: Sequence[Callable[[httpx.AsyncClient], Awaitable[bool]]],
    url: str,
    concurrency: int,
    deadline: float,
) -> Result:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    errors = 0
    done = 0
    iterator = iter(jobs)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors, done
            for job in iterator:
                if time.monotonic() > deadline:
                    return
                if not await job(client):
                    errors += 1
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Result(name, done, round(seconds, 3), round(done / seconds, 1), errors)


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client connection (POST with Content-Length only)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> RawConnection:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

    async def post(self, path: str, body: bytes) -> Any:
        self.writer.write(
            b"POST %s HTTP/1.1\r\nHost: devnet\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body)
        )
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return json.loads(await self.reader.readexactly(length))

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def run_raw(
    name: str,
    requests: Sequence[tuple[str, bytes, Callable[[Any], bool]]],
    url: str,
    concurrency: int,
    deadline: float,
) -> Result:
    connections = [await RawConnection.open(url) for _ in range(concurrency)]
    errors = 0
    done = 0
    iterator = iter(requests)

    async def worker(connection: RawConnection) -> None:
        nonlocal errors, done
        for path, body, check in iterator:
            if time.monotonic() > deadline:
                return
            if not check(await connection.post(path, body)):
                errors += 1
            done += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(connection) for connection in connections))
    finally:
        seconds = time.perf_counter() - started
        for connection in connections:
            await connection.close()
    return Result(name, done, round(seconds, 3), round(done / seconds, 1), errors)


def _is_account(address: str) -> Callable[[Any], bool]:
    def check(answer: Any) -> bool:
        return bool(answer.get("address") == address)

    return check


def _accepted(answer: Any) -> bool:
    return bool(answer.get("result") is True)


def _broadcast_job(body: str) -> Callable[[httpx.AsyncClient], Awaitable[bool]]:
    headers = {"content-type": "application/json"}

    async def job(client: httpx.AsyncClient) -> bool:
        response = await client.post("/wallet/broadcasttransaction", content=body, headers=headers)
        return bool(response.json().get("result") is True)

    return job


def _read_job(address: str) -> Callable[[httpx.AsyncClient], Awaitable[bool]]:
    body = {"address": address, "visible": True}

    async def job(client: httpx.AsyncClient) -> bool:
        response = await client.post("/wallet/getaccount", json=body)
        return bool(response.json().get("address") == address)

    return job


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    deadline = time.monotonic() + args.deadline_s
    devnet = DevnetProcess(args.accounts)
    try:
        async with httpx.AsyncClient(base_url=devnet.url, timeout=60) as client:
            head = (await client.post("/wallet/getnowblock")).json()
            signing_started = time.perf_counter()
            broadcast_txs = [
                presign_transfers(devnet.accounts, args.broadcasts, head, salt)
                for salt in (0, 10**8)
            ]
            pack_txs = presign_transfers(devnet.accounts, args.pack, head, 10**9)
            signing_s = time.perf_counter() - signing_started

            addresses = [account["address"] for account in devnet.accounts]
            reads_jobs = [addresses[i % len(addresses)] for i in range(args.reads)]
            results = []
            results.append(
                await run_concurrent(
                    "httpx: broadcasttransaction",
                    [_broadcast_job(body) for body, _ in broadcast_txs[0]],
                    devnet.url,
                    args.concurrency,
                    deadline,
                )
            )
            await client.post("/devnet/mine", json={"blocks": 1})
            results.append(
                await run_concurrent(
                    "httpx: getaccount",
                    [_read_job(address) for address in reads_jobs],
                    devnet.url,
                    args.concurrency,
                    deadline,
                )
            )
            raw_broadcasts = await run_raw(
                "raw: broadcasttransaction",
                [
                    ("/wallet/broadcasttransaction", body.encode(), _accepted)
                    for body, _ in broadcast_txs[1]
                ],
                devnet.url,
                args.concurrency,
                deadline,
            )
            results.append(raw_broadcasts)
            await client.post("/devnet/mine", json={"blocks": 1})
            raw_reads = await run_raw(
                "raw: getaccount",
                [
                    (
                        "/wallet/getaccount",
                        json.dumps({"address": address, "visible": True}).encode(),
                        _is_account(address),
                    )
                    for address in reads_jobs
                ],
                devnet.url,
                args.concurrency,
                deadline,
            )
            results.append(raw_reads)
            fill = await run_raw(
                "raw: broadcasttransaction (fill one block)",
                [
                    ("/wallet/broadcasttransaction", body.encode(), _accepted)
                    for body, _ in pack_txs
                ],
                devnet.url,
                args.concurrency,
                deadline,
            )
            results.append(fill)
            pending = (await client.get("/devnet/state")).json()["pending"]
            mine_started = time.perf_counter()
            mined = (await client.post("/devnet/mine", json={"blocks": 1})).json()
            mine_s = time.perf_counter() - mine_started
            block = (await client.post("/wallet/getblockbynum", json={"num": mined["head"]})).json()
            packed = len(block.get("transactions", []))
    finally:
        exit_code = devnet.stop()
    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "settings": {
            "concurrency": args.concurrency,
            "accounts": args.accounts,
            "broadcasts": args.broadcasts,
            "reads": args.reads,
            "pack": args.pack,
        },
        "presign_s": round(signing_s, 3),
        "results": [asdict(result) for result in results],
        "pack": {
            "pending_before_mine": pending,
            "packed_in_block": packed,
            "mine_seconds": round(mine_s, 3),
            "block": mined["head"],
        },
        "targets": TARGETS,
        "meets_targets": {
            "broadcasts_per_s": raw_broadcasts.per_second >= TARGETS["broadcasts_per_s"],
            "account_reads_per_s": raw_reads.per_second >= TARGETS["account_reads_per_s"],
            "pack_block_txs": packed >= TARGETS["pack_block_txs"],
        },
        "devnet_exit_code": exit_code,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# tron-devnet benchmark",
        "",
        f"{report['started_at']} — Python {report['machine']['python']}, "
        f"{report['machine']['cpus']} CPUs, concurrency {report['settings']['concurrency']}.",
        "",
        "| measurement | requests | seconds | per second | errors |",
        "|---|---|---|---|---|",
    ]
    for result in report["results"]:
        lines.append(
            f"| {result['name']} | {result['requests']} | {result['seconds']} | "
            f"{result['per_second']} | {result['errors']} |"
        )
    pack = report["pack"]
    lines += [
        "",
        f"Packing: {pack['packed_in_block']} transactions in block {pack['block']} "
        f"(pending before mine: {pack['pending_before_mine']}), "
        f"`POST /devnet/mine` took {pack['mine_seconds']} s.",
        "",
        "Targets: "
        + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in report["meets_targets"].items()),
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--broadcasts", type=int, default=3000)
    parser.add_argument("--reads", type=int, default=6000)
    parser.add_argument("--pack", type=int, default=5000)
    parser.add_argument("--deadline-s", type=float, default=240.0)
    parser.add_argument("--out", type=Path, default=REPORTS)
    args = parser.parse_args(argv)
    report = asyncio.run(bench(args))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"devnet-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"devnet-{stamp}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
