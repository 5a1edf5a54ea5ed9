"""A fixed-concurrency, fixed-duration HTTP load generator, run as its own process.

``python -m bench.loadgen`` reads one job as JSON on stdin and prints one result as JSON on
stdout. The job (see :class:`Job`)::

    {"url": "http://127.0.0.1:8096", "method": "POST", "paths": ["/positions"],
     "bodies": ["{...}", ...], "headers": {"authorization": "Bearer ..."},
     "concurrency": 16, "duration_s": 30, "warmup_s": 2, "expect": [200, 201]}

``concurrency`` keep-alive connections each send one request at a time for ``warmup_s`` (not
counted) and then ``duration_s`` seconds; paths and bodies are taken round-robin. The result
has the requests completed in the measured window, requests/s, p50/p99/max latency in ms, and
the errors (a status outside ``expect``, or a transport failure; the connection is reopened).

The client is a minimal asyncio HTTP/1.1 client (Content-Length or chunked responses) rather
than httpx: on a 2-core machine the generator shares the CPUs with the server under test, and
httpx spends several times more CPU per request than this client (see bench/devnet_bench.py),
which would measure the client instead of the server. Secrets (the token) travel on stdin,
never argv.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Job:
    url: str
    method: str
    paths: list[str]
    bodies: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    concurrency: int = 16
    duration_s: float = 30.0
    warmup_s: float = 2.0
    expect: list[int] = field(default_factory=lambda: [200])


@dataclass
class Result:
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    statuses: dict[str, int]
    concurrency: int
    client: str = "raw asyncio HTTP/1.1 keep-alive"


class ProtocolError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        return self._reader, self._writer

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def request(self, head: bytes, body: bytes) -> int:
        reader, writer = await self._open()
        writer.write(head + body)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ProtocolError("connection closed")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ProtocolError(f"bad status line {status_line!r}")
        status = int(parts[1])
        length: int | None = None
        chunked = False
        close = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            while True:
                size = int((await reader.readline()).split(b";")[0].strip(), 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length is not None:
            await reader.readexactly(length)
        else:
            raise ProtocolError("response without a length")
        if close:
            await self.close()
        return status


def _head(job: Job, host: str, path: str, body: bytes) -> bytes:
    lines = [f"{job.method} {path} HTTP/1.1", f"host: {host}"]
    lines += [f"{name}: {value}" for name, value in job.headers.items()]
    if body or job.method in ("POST", "PUT", "PATCH"):
        lines += ["content-type: application/json", f"content-length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def run(job: Job) -> Result:
    parts = urlsplit(job.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    count = max(len(job.paths), len(job.bodies), 1)
    pairs = []
    for index in range(count):
        path = job.paths[index % len(job.paths)]
        body = job.bodies[index % len(job.bodies)].encode() if job.bodies else b""
        pairs.append((_head(job, f"{host}:{port}", path, body), body))
    requests = itertools.cycle(pairs)
    expect = set(job.expect)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    start = time.perf_counter()
    measure_from = start + job.warmup_s
    stop_at = measure_from + job.duration_s

    async def worker() -> None:
        nonlocal errors
        connection = Connection(host, port)
        try:
            while True:
                head, body = next(requests)
                sent = time.perf_counter()
                if sent >= stop_at:
                    return
                try:
                    status = await connection.request(head, body)
                    key = str(status)
                except (OSError, ProtocolError, asyncio.IncompleteReadError, ValueError):
                    await connection.close()
                    key, status = "transport", -1
                if sent >= measure_from:
                    latencies.append(time.perf_counter() - sent)
                    statuses[key] = statuses.get(key, 0) + 1
                    if status not in expect:
                        errors += 1
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(job.concurrency)))
    seconds = max(time.perf_counter() - measure_from, 1e-9)
    latencies.sort()
    return Result(
        requests=len(latencies),
        seconds=round(seconds, 3),
        per_second=round(len(latencies) / seconds, 1),
        p50_ms=round(_percentile(latencies, 0.50) * 1000, 2),
        p99_ms=round(_percentile(latencies, 0.99) * 1000, 2),
        max_ms=round((latencies[-1] if latencies else 0.0) * 1000, 2),
        errors=errors,
        statuses=statuses,
        concurrency=job.concurrency,
    )


def run_in_child(job: Job, timeout_s: float | None = None) -> dict[str, Any]:
    """Run ``job`` in a new ``python -m bench.loadgen`` process; its result as a dict."""
    import subprocess

    from bench.stack import killed_with_parent

    limit = timeout_s or job.warmup_s + job.duration_s + 60.0
    completed = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"],
        input=json.dumps(asdict(job)).encode(),
        capture_output=True,
        timeout=limit,
        check=False,
        preexec_fn=killed_with_parent,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"loadgen failed: {completed.stderr.decode(errors='replace')[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def main() -> int:
    job = Job(**json.loads(sys.stdin.read()))
    result = asyncio.run(run(job))
    sys.stdout.write(json.dumps(asdict(result)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
