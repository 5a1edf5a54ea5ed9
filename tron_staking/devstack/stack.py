"""``tron-staking dev``: the whole product on one machine, as child processes of this one.

:func:`run` (called by the CLI with ``os.environ``) locks the dev folder, creates its secrets,
starts SecantusDB (data under the folder), the devnet (``--state-file`` under the folder, so
the next run resumes the chain) and ``tron-staking serve --role all``; creates the indexes
(as ``migrate`` does), imports the devnet's demo keys into the keystore, mints an admin token,
prints the banner (:mod:`~tron_staking.devstack.banner`) and then progress lines
(:mod:`~tron_staking.devstack.progress`) until SIGINT/SIGTERM or ``seconds`` after start.
Whatever happens, it then stops its children by PID, the service first (it drains), the
devnet second (it writes its state file), the database last.

Secrets never leave the folder or the service's environment: the KEK is passed as a file
path, the JWT secret as a variable of the service's environment, the demo keys go from the
devnet's stdout straight into the keystore; nothing of them is printed or put in argv.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib.util
import json
import shutil
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

import anyio
import anyio.abc
import anyio.to_thread
import httpx

from tron_staking import settings
from tron_staking.api import tokens
from tron_staking.devstack import banner, progress
from tron_staking.devstack.children import Child, ChildFailedError, free_port, port_is_free
from tron_staking.devstack.folder import DevFolder, FolderBusyError
from tron_staking.domain import addresses
from tron_staking.errors import StakingError
from tron_staking.signer import kek
from tron_staking.signer.keystore import Keystore
from tron_staking.store.client import MongoStore
from tron_staking.store.clock import WallClock

START_TIMEOUT_S = 90.0
"""How long each child may take to answer after it is started (a busy laptop is slow)."""
BLOCK_INTERVAL_MS = 3000
FAST_BLOCK_INTERVAL_MS = 500
TOKEN_TTL_S = 7 * 86_400
_ADMIN_SCOPE = "staking:read staking:write staking:admin"
_POLL_S = 0.2
_START_ATTEMPTS = 3
_SET_BY_DEV = (
    "MONGODB_URL",
    "STAKING_MONGO_DATABASE",
    "MONGODB_DATABASE",
    "TRON_HTTP_ENDPOINT",
    "TRON_API_KEY",
    "TRONGRID_API_KEY",
    "STAKING_KEK",
    "STAKING_KEK_FILE",
    "STAKING_JWT_SECRET",
    "STAKING_JWT_PUBLIC_KEY",
    "STAKING_JWT_ISSUER",
    "STAKING_JWT_AUDIENCE",
    "SERVICE_HOST",
    "SERVICE_PORT",
    "STAKING_PORT",
    "STAKING_BLOCK_INTERVAL_S",
)
"""Variables of the caller's environment that ``dev`` replaces with its own (REDIS_URL and
the tuning variables pass through)."""


class DevError(Exception):
    """A problem ``dev`` reports in one line; ``code`` is the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass(frozen=True)
class Options:
    fast: bool
    seconds: float | None
    port: int
    directory: Path


def emit(line: str) -> None:
    print(line, flush=True)


def run(options: Options, environ: Mapping[str, str]) -> int:
    """Run the stack until a signal or ``options.seconds``; the exit code: 0 after a normal
    stop, 1 when a child or a dependency failed, 2 when the machine is not ready for it
    (port taken, folder busy, a component missing)."""
    folder = DevFolder(options.directory.resolve())
    base_env = {k: v for k, v in environ.items() if k not in _SET_BY_DEV}
    children: list[Child] = []
    try:
        with contextlib.closing(folder.lock()):
            _check_machine(options)
            jwt_secret = folder.ensure_secrets()
            try:
                anyio.run(_main, options, folder, base_env, jwt_secret, children)
            finally:
                _stop(children)
    except FolderBusyError as exc:
        _error(str(exc))
        return 2
    except DevError as exc:
        _error(str(exc))
        return exc.code
    except KeyboardInterrupt:
        pass
    except BaseExceptionGroup as group:  # from the task group
        return _exit_code(group)
    return 0


def _exit_code(group: BaseExceptionGroup[BaseException]) -> int:
    """The exit code of a run that ended with ``group``; re-raises what ``dev`` cannot name."""
    errors = group.subgroup(DevError)
    if errors is not None:
        first = _leaves(errors)[0]
        _error(str(first))
        return first.code if isinstance(first, DevError) else 1
    if group.subgroup(KeyboardInterrupt) is not None:
        return 0
    raise group


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    found: list[BaseException] = []
    for exc in group.exceptions:
        found.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return found


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def _check_machine(options: Options) -> None:
    if not port_is_free(options.port):
        raise DevError(
            f"port {options.port} is taken on 127.0.0.1: stop what listens there or pass --port",
            2,
        )
    if importlib.util.find_spec("secantus") is None:
        raise DevError("SecantusDB is missing: pip install -e '.[dev]' (make dev does)", 2)
    if _devnet_command() is None:
        raise DevError("tron-devnet is missing: pip install -e . (make dev does)", 2)


def _devnet_command() -> str | None:
    beside = Path(sys.executable).parent / "tron-devnet"
    return str(beside) if beside.exists() else shutil.which("tron-devnet")


def _stop(children: list[Child]) -> None:
    for child in reversed(children):
        child.stop()
    if children:
        emit(f"stopped {', '.join(c.name for c in reversed(children))}")


async def _main(
    options: Options,
    folder: DevFolder,
    base_env: dict[str, str],
    jwt_secret: str,
    children: list[Child],
) -> None:
    started_at = dt.datetime.now(dt.UTC)
    failure: list[ChildFailedError] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(_until_stopped, tg.cancel_scope, options.seconds)
        try:
            demo = await _start_stack(options, folder, base_env, jwt_secret, children)
        except ChildFailedError as exc:
            raise DevError(str(exc), 1) from None
        except (StakingError, httpx.HTTPError) as exc:
            raise DevError(str(exc), 1) from None
        except TimeoutError:
            message = f"a component did not start within {START_TIMEOUT_S:.0f} s; see {folder.logs}"
            raise DevError(message, 1) from None
        emit(banner.render(demo))
        tg.start_soon(_watch_children, children, failure, tg.cancel_scope)
        await _follow(tg, demo, started_at, options)
    if failure:
        raise DevError(str(failure[0]), 1)


async def _start_stack(
    options: Options,
    folder: DevFolder,
    base_env: dict[str, str],
    jwt_secret: str,
    children: list[Child],
) -> banner.Demo:
    """Start the children in order, prepare the store and mint the token; what to print.
    Raises ChildFailedError, TimeoutError (a child did not answer), StakingError or
    httpx.HTTPError."""
    mongo_url = await _start_mongo(folder, base_env, children)
    devnet_url, accounts = await _start_devnet(options, folder, base_env, children)
    service_env = {
        **base_env,
        "MONGODB_URL": mongo_url,
        "TRON_HTTP_ENDPOINT": devnet_url,
        "STAKING_KEK_FILE": str(folder.kek_file),
        "STAKING_JWT_SECRET": jwt_secret,
        "SERVICE_HOST": "127.0.0.1",
        "SERVICE_PORT": str(options.port),
        "STAKING_BLOCK_INTERVAL_S": str(
            (FAST_BLOCK_INTERVAL_MS if options.fast else BLOCK_INTERVAL_MS) / 1000
        ),
    }
    config = settings.load(service_env)
    await _prepare_store(config, accounts)
    api_url = await _start_service(options, folder, service_env, children)
    token = tokens.mint(
        config.auth,
        subject="dev-admin",
        wallets=[],
        scope=_ADMIN_SCOPE,
        ttl_s=TOKEN_TTL_S,
        now=dt.datetime.now(dt.UTC),
    )
    return banner.Demo(
        api_url=api_url,
        devnet_url=devnet_url,
        mongo_url=mongo_url,
        token=token,
        addresses=[address for address, _ in accounts],
        witnesses=await _witnesses(devnet_url),
        python=sys.executable,
        logs=str(folder.logs),
    )


async def _until_stopped(scope: anyio.CancelScope, seconds: float | None) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        with anyio.move_on_after(seconds if seconds is not None else float("inf")):
            async for signum in signals:
                emit(f"{signal.Signals(signum).name}: stopping")
                break
            scope.cancel()
            return
        emit(f"{seconds:g} s elapsed: stopping")
    scope.cancel()


async def _watch_children(
    children: list[Child], failure: list[ChildFailedError], scope: anyio.CancelScope
) -> None:
    while True:
        for child in children:
            try:
                child.check_running()
            except ChildFailedError as exc:
                failure.append(exc)
                scope.cancel()
                return
        await anyio.sleep(0.5)


async def _follow(
    tg: anyio.abc.TaskGroup, demo: banner.Demo, started_at: dt.datetime, options: Options
) -> None:
    """Start the progress tasks in ``tg``; their HTTP clients close when they are cancelled."""
    interval_s = (FAST_BLOCK_INTERVAL_MS if options.fast else BLOCK_INTERVAL_MS) / 1000
    auth = {"Authorization": f"Bearer {demo.token}"}
    client = httpx.AsyncClient(base_url=demo.api_url, headers=auth, timeout=10.0)
    devnet = httpx.AsyncClient(base_url=demo.devnet_url, timeout=10.0)
    reader = progress.ApiReader(client)

    async def chain_activity() -> tuple[int, int]:
        response = await devnet.get("/devnet/state")
        response.raise_for_status()
        state = response.json()
        return int(state["pending"]), int(state["head"]["number"])

    async def close() -> None:
        with anyio.CancelScope(shield=True):
            await client.aclose()
            await devnet.aclose()

    async def follow() -> None:
        try:
            await progress.follow_transitions(client, reader, started_at, emit)
        finally:
            await close()

    tg.start_soon(follow)
    tg.start_soon(progress.report_idle, reader, chain_activity, emit, interval_s * 2)


async def _start_mongo(folder: DevFolder, env: dict[str, str], children: list[Child]) -> str:
    """SecantusDB as a single-node replica set (change streams work) on a free port."""
    attempt = 1
    while True:
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
            str(folder.mongo_data),
            "--sync-on-commit",
            "--log-level",
            "WARNING",
        ]
        child = Child(
            "secantusdb", command, env=env, log_path=folder.logs / "mongo.log", cwd=folder.root
        )
        children.append(child)
        try:
            await _wait_for_port(child, port)
        except ChildFailedError:  # most likely the port was taken meanwhile: another one
            children.remove(child)
            if attempt == _START_ATTEMPTS:
                raise
            attempt += 1
            continue
        url = f"mongodb://127.0.0.1:{port}"
        emit(f"secantusdb  {url} (data in {folder.mongo_data})")
        return url


async def _wait_for_port(child: Child, port: int) -> None:
    with anyio.fail_after(START_TIMEOUT_S):
        while True:
            child.check_running()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return
            await anyio.sleep(_POLL_S)


async def _start_devnet(
    options: Options, folder: DevFolder, env: dict[str, str], children: list[Child]
) -> tuple[str, list[tuple[str, str]]]:
    """The devnet on a free port; its URL and its funded accounts (address, key)."""
    interval_ms = FAST_BLOCK_INTERVAL_MS if options.fast else BLOCK_INTERVAL_MS
    resumed = folder.devnet_state.exists()
    command = [
        str(_devnet_command()),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--block-interval-ms",
        str(interval_ms),
        "--state-file",
        str(folder.devnet_state),
    ]
    child = Child(
        "tron-devnet",
        command,
        env=env,
        log_path=folder.logs / "devnet.log",
        cwd=folder.root,
        stdout_pipe=True,
    )
    children.append(child)
    accounts: list[tuple[str, str]] = []
    with anyio.fail_after(START_TIMEOUT_S):
        while True:
            line = await anyio.to_thread.run_sync(_read_line, child, abandon_on_cancel=True)
            if not line:
                child.process.wait()
                child.check_running()
            record = json.loads(line)
            if record.get("event") == "ready":
                url = str(record["url"])
                break
            if record.get("private_key"):
                accounts.append((str(record["address"]), str(record["private_key"])))
    how = "resumed from" if resumed else "state saved to"
    emit(f"tron-devnet {url} ({interval_ms} ms blocks; {how} {folder.devnet_state})")
    return url, accounts


def _read_line(child: Child) -> str:
    if child.process.stdout is None:
        return ""
    return child.process.stdout.readline().decode()


async def _prepare_store(config: settings.Settings, accounts: list[tuple[str, str]]) -> None:
    """Create the indexes (as ``migrate``) and import the demo keys the keystore lacks."""
    async with MongoStore.connect(config.mongo, WallClock()) as store:
        await store.ping()
        reports = await store.ensure_indexes()
        created = sum(report.action == "created" for report in reports)
        emit(f"migrate     {created} indexes created, {len(reports) - created} already present")
        keystore = Keystore(store.signing_keys, kek.load(config.keys))
        known = set(await store.signing_keys.addresses())
        missing = [key for address, key in accounts if address not in known]
        for private_key in missing:
            await keystore.import_key(private_key, at=dt.datetime.now(dt.UTC))
        emit(f"keystore    {len(missing)} demo keys imported, {len(known)} already there")


async def _start_service(
    options: Options, folder: DevFolder, env: dict[str, str], children: list[Child]
) -> str:
    command = [sys.executable, "-m", "tron_staking", "serve", "--role", "all"]
    child = Child(
        "tron-staking", command, env=env, log_path=folder.logs / "service.log", cwd=folder.root
    )
    children.append(child)
    url = f"http://127.0.0.1:{options.port}"
    async with httpx.AsyncClient(base_url=url, timeout=2.0) as client:
        with anyio.fail_after(START_TIMEOUT_S):
            while True:
                child.check_running()
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/health/ready")).status_code == 200:
                        break
                await anyio.sleep(_POLL_S)
    emit(f"service     {url} (API and controller; log {child.log_path})")
    return url


async def _witnesses(devnet_url: str) -> list[str]:
    """The two witnesses with the most votes, base58."""
    async with httpx.AsyncClient(base_url=devnet_url, timeout=10.0) as client:
        response = await client.post("/wallet/listwitnesses", json={})
        response.raise_for_status()
    found = sorted(response.json()["witnesses"], key=lambda w: -int(w.get("voteCount", 0)))
    return [addresses.parse_address(w["address"]) for w in found[:2]]
