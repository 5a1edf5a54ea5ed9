"""What the API application needs from the composition root, as ports.

``ApiDependencies`` is built once per process by the caller of :func:`~tron_staking.api.app.
create_app` (``serve`` or a test) and never changed. The store and the cache are the
adapters' ports; the dry-run planner and the controller probe are optional callables that
the composition root wires from the controller (the API never imports the controller).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from tron_staking.cache.ports import Cache
from tron_staking.chain.ports import ChainClient
from tron_staking.domain.addresses import Address
from tron_staking.observability.metrics import Metrics
from tron_staking.settings import ApiSettings, AuthSettings, RedisSettings
from tron_staking.store.ports import Clock, IdempotencyStore, TransitionLog, VersionedStore


class ApiStore(Protocol):
    """The repositories the API reads and writes (``MongoStore`` satisfies it)."""

    @property
    def positions(self) -> VersionedStore: ...

    @property
    def operations(self) -> VersionedStore: ...

    @property
    def rewards(self) -> VersionedStore: ...

    @property
    def transitions(self) -> TransitionLog: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    async def ping(self) -> None:
        """Raises StoreUnavailableError when MongoDB does not answer."""
        ...


class DryRunPlanner(Protocol):
    """Plans the owner's next transactions from fresh chain state without sending anything.

    Returns ``{"owner", "actions": [{"kind", "params", "positions", "reason"}], "waiting_for":
    [{"code", "message", "positions"}], "warnings": [...]}``. Raises ChainUnavailableError /
    RateLimitedError when the chain cannot be read (the API answers 503 / 429).
    """

    async def __call__(self, owner: Address) -> Mapping[str, Any]: ...


@dataclasses.dataclass(frozen=True)
class ControllerStatus:
    """What ``/status`` and ``/health`` say about the controller loop of this process."""

    running: bool
    replica_id: str | None = None
    owners_leased: int = 0
    queue_depth: int = 0
    last_reconcile_at: dt.datetime | None = None


class ControllerProbe(Protocol):
    def __call__(self) -> ControllerStatus: ...


@dataclasses.dataclass(frozen=True)
class ApiDependencies:
    """Everything the app uses; resources here are owned (and closed) by the caller."""

    store: ApiStore
    cache: Cache
    chain: ChainClient
    metrics: Metrics
    clock: Clock
    api: ApiSettings
    auth: AuthSettings
    redis: RedisSettings
    chain_endpoint: str = ""
    version: str = "0.1.0"
    planner: DryRunPlanner | None = None
    controller: ControllerProbe | None = None
    startup_finished: Callable[[], bool] | None = None
    """The composition root's own start-up (e.g. the controller loop started); ``/health/ready``
    also waits for the app's lifespan to have run."""
    events_poll_interval_s: float = 1.0
    """How often a watch stream looks for new history, and the watch journal's recorder for
    changed positions and operations (:mod:`~tron_staking.api.journal`)."""
    heartbeat_s: float = 15.0
    watch_recorder: bool = True
    """Run the watch journal's recorder while the app lives (streams record what they see
    either way); off only where a test needs the process idle between its requests."""
