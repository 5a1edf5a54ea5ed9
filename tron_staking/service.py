"""The composition root of ``tron-staking serve``: builds every part from the settings, runs
the controller loop and the HTTP API (or, for a controller-only replica, just its probe
endpoints) in one task group, and drains on SIGTERM.

It sits above both the controller and the API (which never import each other): it hands the
API the controller's dry-run planner and a probe of the controller loop as the API's ports.
Called by the CLI only. Built here, once per process, and passed down: the wall clock, the
MongoDB store (indexes ensured), the cache (Redis, or the stand-in), the chain client with
its read cache, the keystore (or, without a KEK, a signer that has no keys: owners are then
observed and planned, and their positions stall with ``NoSigningKey``), a fresh Prometheus
registry. stamina's retry hooks are set to log only, so nothing registers on
prometheus_client's global registry.

On SIGTERM or SIGINT the runner stops taking work and its workers finish the reconcile they
are in; after ``DRAIN_TIMEOUT_S`` the rest is cancelled (safe: the pipeline survives a crash
at any step). The HTTP server stops with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import signal
from collections.abc import Iterator

import anyio
import stamina.instrumentation
import structlog
import uvicorn
from starlette.applications import Starlette

from tron_staking import __version__
from tron_staking.api import app as api_app
from tron_staking.api.deps import ApiDependencies, ControllerStatus
from tron_staking.cache.chain_reads import ChainReadCache
from tron_staking.cache.factory import create_cache
from tron_staking.cache.ports import Cache
from tron_staking.chain.client import TronChainClient
from tron_staking.controller import dryrun, planner, probes, reconciler, runner
from tron_staking.controller.chaos import Chaos
from tron_staking.domain.addresses import Address
from tron_staking.domain.ids import TxId
from tron_staking.errors import ConfigurationError, SigningKeyMissingError, StakingError
from tron_staking.observability.metrics import Metrics
from tron_staking.settings import Settings
from tron_staking.signer import kek
from tron_staking.signer.keystore import Keystore
from tron_staking.signer.ports import KeyCheck, KeyState, Signer
from tron_staking.store.client import MongoStore
from tron_staking.store.clock import WallClock

_log = structlog.get_logger(__name__)

DRAIN_TIMEOUT_S = 20.0
"""How long workers may take to finish their reconcile after SIGTERM."""


class Role(enum.StrEnum):
    CONTROLLER = "controller"
    API = "api"
    ALL = "all"


class NoKeySigner:
    """The signer when no KEK is configured: it has no key for anyone."""

    async def has_key(self, owner: Address) -> bool:
        return False

    async def check_key(self, owner: Address) -> KeyCheck:
        return KeyCheck(KeyState.MISSING, f"no signing key is stored for {owner} (no KEK)")

    async def sign(self, owner: Address, txid: TxId) -> str:
        raise SigningKeyMissingError(f"no signing key is stored for {owner} (no KEK configured)")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: this process's task group owns SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _signer(config: Settings, store: MongoStore) -> Signer:
    try:
        return Keystore(store.signing_keys, kek.load(config.keys))
    except ConfigurationError as exc:
        _log.warning("no signing keys: positions will stall with NoSigningKey", reason=str(exc))
        return NoKeySigner()


async def serve(config: Settings, role: Role, chaos: Chaos | None = None) -> None:
    """Run ``role`` until SIGTERM/SIGINT (``chaos``: see :mod:`~tron_staking.controller.
    chaos`; tests only). Raises ConfigurationError for unusable settings and
    StoreUnavailableError when MongoDB cannot be reached at start-up."""
    stamina.instrumentation.set_on_retry_hooks([stamina.instrumentation.StructlogOnRetryHook])
    clock = WallClock()
    metrics = Metrics()
    started = anyio.Event()
    store = MongoStore.connect(config.mongo, clock)
    cache = create_cache(config.redis)
    async with contextlib.AsyncExitStack() as resources:
        resources.push_async_callback(store.close)
        resources.push_async_callback(cache.aclose)
        await store.ping()
        await store.ensure_indexes()
        chain = _chain(config, cache)
        resources.push_async_callback(chain.aclose)
        policy = _policy(config)
        loop = None
        if role is not Role.API and config.controller.enabled:
            loop = _controller(config, store, chain, cache, metrics, clock, policy, chaos)

        async def ready() -> bool:
            if not started.is_set():
                return False
            try:
                await store.ping()
            except StakingError:
                return False
            return True

        if role is Role.CONTROLLER:
            app: Starlette = probes.create_app(metrics, ready)
        else:
            app = api_app.create_app(
                ApiDependencies(
                    store=store,
                    cache=cache,
                    chain=chain,
                    metrics=metrics,
                    clock=clock,
                    api=config.api,
                    auth=config.auth,
                    redis=config.redis,
                    chain_endpoint=config.chain.http_endpoint or "",
                    version=__version__,
                    planner=dryrun.DryRun(
                        store.positions, store.operations, chain, policy, store.rewards
                    ),
                    controller=_ControllerProbe(loop),
                    startup_finished=started.is_set,
                )
            )
        server = _Server(
            uvicorn.Config(
                app,
                host=config.api.host,
                port=config.api.port,
                log_config=None,
                lifespan="off" if role is Role.CONTROLLER else "on",
            )
        )
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve)
            if loop is not None:
                await tg.start(loop.run)
            started.set()
            _log.info("serving", role=role.value, port=config.api.port)
            await _until_signal(tg.cancel_scope, loop, server)


def _policy(config: Settings) -> planner.PlannerPolicy:
    return planner.PlannerPolicy(
        block_interval_s=config.controller.block_interval_s,
        resync_period_s=int(config.controller.resync_interval_s),
        min_claim_sun=config.controller.min_claim_sun,
    )


class _ControllerProbe:
    """What ``/status`` and ``/health`` report about this process's controller loop."""

    def __init__(self, loop: runner.Runner | None) -> None:
        self._loop = loop

    def __call__(self) -> ControllerStatus:
        loop = self._loop
        if loop is None:
            return ControllerStatus(running=False)
        last = loop.last_reconcile_at
        return ControllerStatus(
            running=not loop.queue.closed,
            replica_id=loop.replica_id,
            queue_depth=len(loop.queue),
            last_reconcile_at=None if last is None else dt.datetime.fromtimestamp(last, dt.UTC),
        )


def _chain(config: Settings, cache: Cache) -> TronChainClient:
    return TronChainClient.from_settings(
        config.chain,
        expiration_window_s=config.controller.tx_expiration_s,
        cache=ChainReadCache(cache) if cache.enabled else None,
    )


def _controller(
    config: Settings,
    store: MongoStore,
    chain: TronChainClient,
    cache: Cache,
    metrics: Metrics,
    clock: WallClock,
    policy: planner.PlannerPolicy,
    chaos: Chaos | None,
) -> runner.Runner:
    """The controller loop over ``store`` and ``chain``."""
    controller = config.controller
    stores = reconciler.Stores(
        positions=store.positions,
        operations=store.operations,
        transitions=store.transitions,
        leases=store.leases,
        journal=store.journal,
        delegations=store.delegations,
        votes=store.votes,
        rewards=store.rewards,
    )
    owner_reconciler = reconciler.Reconciler(
        stores,
        chain,
        _signer(config, store),
        clock,
        holder=controller.replica_id,
        lease_ttl_s=controller.lease_ttl_s,
        policy=policy,
        chaos=chaos,
    )
    return runner.Runner(
        owner_reconciler,
        store.positions,
        cache,
        metrics,
        clock,
        runner.RunnerSettings(
            workers=controller.workers,
            poll_interval_s=controller.poll_interval_s,
            resync_interval_s=controller.resync_interval_s,
        ),
        chain_requests=chain.counter,
    )


async def _until_signal(
    scope: anyio.CancelScope, loop: runner.Runner | None, server: uvicorn.Server
) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            _log.info("stopping", signal=signal.Signals(signum).name)
            break
    if loop is not None:
        loop.stop()
    server.should_exit = True
    scope.deadline = anyio.current_time() + DRAIN_TIMEOUT_S
