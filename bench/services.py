"""Child processes for the scale and throughput benchmarks: SecantusDB, tron-devnet,
``tron-staking serve`` and the minimal comparison app, each on a free loopback port.

Every process is started by this module and stopped by its PID (SIGTERM, wait, SIGKILL);
logs go to files under the run's work directory. Secrets (the JWT secret) reach ``serve``
through its environment only, never argv; the API token is minted in this process with the
service's own ``tron_staking.api.tokens.mint``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from bench.devnet_bench import DevnetProcess
from bench.stack import killed_with_parent
from tests.support import servers
from tron_devnet import crypto
from tron_staking import settings
from tron_staking.api import tokens

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0


def random_address() -> str:
    """A well-formed TRON address (base58) of a key nobody holds."""
    return crypto.address_to_base58(b"\x41" + secrets.token_bytes(20))


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of ``pid`` in MB, from /proc/<pid>/status (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024.0
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Child:
    """A started child process: stopped by PID with SIGTERM, then SIGKILL."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def spawn(name: str, argv: list[str], env: Mapping[str, str], workdir: Path) -> Child:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            argv,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
            start_new_session=True,
            preexec_fn=killed_with_parent,
        )
    return Child(name, process, log)


def wait_http(child: Child, url: str, timeout_s: float = START_TIMEOUT_S) -> float:
    """Wait until ``url`` answers 200; the seconds it took. RuntimeError if the child dies."""
    started = time.perf_counter()
    deadline = started + timeout_s
    with httpx.Client(timeout=2.0) as client:
        while time.perf_counter() < deadline:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited while starting:\n{child.tail()}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(url).status_code == 200:
                    return time.perf_counter() - started
            time.sleep(0.05)
    raise RuntimeError(f"{child.name} did not answer {url} within {timeout_s} s:\n{child.tail()}")


@contextlib.contextmanager
def secantus(workdir: Path) -> Iterator[str]:
    """A SecantusDB server (replica-set mode) for the run; yields its URL."""
    server = servers.mongo_server(workdir / "secantus")
    with servers.running(server):
        yield server.url


@contextlib.contextmanager
def devnet(accounts: int = 4) -> Iterator[str]:
    """A tron-devnet (blocks only when mined); yields its URL."""
    process = DevnetProcess(accounts)
    try:
        yield process.url
    finally:
        process.stop()


class Service:
    """The environment of ``tron-staking serve`` for a benchmark, and an admin token."""

    def __init__(self, mongo_url: str, database: str, chain_url: str, **extra: str) -> None:
        self.jwt_secret = secrets.token_urlsafe(48)
        self.port = servers.free_port()
        self.env = servers.environment_without_service_variables()
        self.env.update(
            {
                "MONGODB_URL": mongo_url,
                "STAKING_MONGO_DATABASE": database,
                "TRON_HTTP_ENDPOINT": chain_url,
                "STAKING_JWT_SECRET": self.jwt_secret,
                "SERVICE_HOST": "127.0.0.1",
                "SERVICE_PORT": str(self.port),
                "STAKING_RATE_LIMIT_WRITE": "1000000/second",
                "STAKING_RATE_LIMIT_READ": "1000000/second",
                "STAKING_LOG_FORMAT": "json",
                "LOG_LEVEL": "WARNING",
                **extra,
            }
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self) -> str:
        config = settings.load(self.env)
        return tokens.mint(
            config.auth,
            subject="bench",
            wallets=[],
            scope="staking:admin staking:read staking:write",
            ttl_s=3600,
            now=dt.datetime.now(dt.UTC),
        )

    def start(self, role: str, workdir: Path) -> Child:
        argv = [sys.executable, "-m", "tron_staking", "serve", "--role", role]
        return spawn(f"serve-{role}", argv, self.env, workdir)
