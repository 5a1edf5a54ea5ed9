"""The real processes of the chaos run and the measurements taken on them.

One devnet (in-process, producing a block every ``BLOCK_INTERVAL_MS`` with a short solid lag),
one SecantusDB, one redis-server and ``tron-staking serve --role controller`` child processes,
all started with the test support code (``tests/support``, ``tests/integration/controller``).
Cells share them and keep their independence by using distinct owners.

Effective transactions are counted from the devnet's ``GET /devnet/transactions`` (what the
chain packed), and attributed to an intent through the operation whose txid it is; a packed
transaction that no operation claims is counted as unattributed (a duplicate by definition).
They are also counted per position and kind (through the operation's positions), and each
owner's account on the head is compared with its declared positions.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import dataclasses
import os
import signal
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx

from tests.integration.controller import harness, processes
from tests.support import devnet as devnet_support
from tests.support import servers
from tests.support.clock import ManualClock
from tron_staking import settings
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType, StakingStatusType
from tron_staking.domain.position import Position
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore
from tron_staking.store.client import MongoStore
from tron_staking.store.clock import WallClock

SUN = 1_000_000
BLOCK_INTERVAL_MS = 300
SOLID_LAG = 6
"""Short, so that finality (Ready) comes 2 s after inclusion; reorgs of up to 5 blocks fit."""
LEASE_TTL_S = 5.0
"""Short, so that a crashed process's owners are taken over soon; long enough that a reconcile
on a loaded 2-core machine does not outlive its own lease."""
UNMANAGED_SUN = 7 * SUN
"""Every owner also holds this much BANDWIDTH frozen outside the controller."""
NEVER_CLAIM_SUN = 10**15
"""``STAKING_MIN_CLAIM_SUN`` for processes that must not plan reward claims."""
DEVNET_FAULT_SEED = 12
STOP_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 180.0


@dataclasses.dataclass
class Tally:
    """Effective transactions of some owners since a block, by intent."""

    per_intent: dict[str, int]
    unattributed: list[str]
    types: dict[str, int]
    per_position: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    """Per position id, per operation kind: effective transactions (an operation for several
    positions counts for each), counted independently of the intent keys."""

    @property
    def max_per_intent(self) -> int:
        return max(self.per_intent.values(), default=0)

    @property
    def exactly_once(self) -> bool:
        return not self.unattributed and all(n == 1 for n in self.per_intent.values())


class ChaosEnv:
    """The shared processes of the run, and what cells need to drive and measure them."""

    def __init__(self, workdir: Path, accounts: int) -> None:
        self.workdir = workdir
        self.devnet = devnet_support._start(
            {
                "block_interval_ms": BLOCK_INTERVAL_MS,
                "solid_lag": SOLID_LAG,
                "accounts": accounts,
                "fault_seed": DEVNET_FAULT_SEED,
            }
        )
        self.mongo = servers.mongo_server(workdir / "mongo")
        self.redis = servers.redis_server(workdir / "redis")
        self.kek_text = base64.b64encode(os.urandom(32)).decode()
        self._free = list(self.devnet.accounts)
        self.receivers = [self._free.pop(), self._free.pop(), self._free.pop()]
        self._serves: list[processes.ServeProcess] = []
        self._serial = 0
        self.store: MongoStore
        self.rig: harness.ControllerRig
        self.mongo_settings: settings.MongoSettings

    async def open(self) -> None:
        self.mongo_settings = settings.load(
            {"MONGODB_URL": self.mongo.url, "STAKING_MONGO_DATABASE": "chaos"}
        ).mongo
        self.store = MongoStore.connect(self.mongo_settings, WallClock())
        await self.store.ensure_indexes()
        keystore = Keystore(self.store.signing_keys, Kek.from_base64(self.kek_text))
        chain = harness.chain_client(self.devnet)
        self.rig = harness.ControllerRig(self.devnet, self.store, ManualClock(), keystore, chain)

    async def aclose(self) -> None:
        for serve in self._serves:
            serve.kill()
        await self.rig.chain.aclose()
        await self.store.close()

    # ---- owners ----

    def take_owners(self, count: int) -> list[devnet_support.DevnetAccount]:
        taken, self._free = self._free[:count], self._free[count:]
        if len(taken) < count:
            raise RuntimeError("not enough devnet accounts for the chaos matrix")
        return taken

    async def prepare_owners(self, owners: Sequence[devnet_support.DevnetAccount]) -> None:
        """Import each owner's key and freeze its unmanaged BANDWIDTH (outside the controller)."""
        tron = self.devnet.client()
        for account in owners:
            await self.rig.import_key(account)
            builder = tron.trx.freeze_balance(account.address, UNMANAGED_SUN, "BANDWIDTH")
            await self.devnet.send(builder, account)
        await self.wait_blocks(2)
        for account in owners:
            if await self.unmanaged_sun(account.address) != UNMANAGED_SUN:
                raise RuntimeError(f"unmanaged freeze of {account.address} did not land")

    async def unmanaged_sun(self, owner: str) -> int:
        snapshot = await self.rig.chain.observe(Address(owner), [])
        return snapshot.frozen(StakingResourceType.BANDWIDTH)

    # ---- serve processes ----

    def serve(
        self,
        name: str,
        *,
        redis: bool = True,
        min_claim_sun: int = NEVER_CLAIM_SUN,
        crash_at: str | None = None,
    ) -> processes.ServeProcess:
        self._serial += 1
        extra = {
            "STAKING_REPLICA_ID": f"{name}-{self._serial}",
            "STAKING_LEASE_TTL_S": str(LEASE_TTL_S),
            "STAKING_CHAIN_TIMEOUT_S": "1",
            "STAKING_MIN_CLAIM_SUN": str(min_claim_sun),
            "STAKING_RESYNC_INTERVAL_S": "5",
            "STAKING_WORKERS": "8",
            "STAKING_BLOCK_INTERVAL_S": str(BLOCK_INTERVAL_MS / 1000),
            "LOG_LEVEL": "INFO",
        }
        if crash_at is not None:
            extra["STAKING_CHAOS_CRASH_AT"] = crash_at
        process = processes.start(
            mongo=self.mongo_settings,
            redis_url=self.redis.url if redis else None,
            chain_url=self.devnet.url,
            kek_text=self.kek_text,
            log=self.workdir / f"serve-{name}-{self._serial}.log",
            extra=extra,
        )
        self._serves.append(process)
        return process

    @staticmethod
    async def wait_ready(process: processes.ServeProcess) -> None:
        """``/health/ready`` answers 200 (a longer wait than the tests' on a loaded machine)."""
        with anyio.fail_after(READY_TIMEOUT_S):
            while True:
                if process.process.poll() is not None:
                    raise RuntimeError(f"serve exited while starting; see {process.log}")
                try:
                    if (await process.get("/health/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await anyio.sleep(0.3)

    @staticmethod
    async def stop(process: processes.ServeProcess) -> None:
        """SIGTERM, then wait (SIGKILL if it lingers)."""
        if process.process.poll() is None:
            process.process.send_signal(signal.SIGTERM)
            await ChaosEnv.wait_exit(process, STOP_TIMEOUT_S)
        process.kill()

    @staticmethod
    async def wait_exit(process: processes.ServeProcess, timeout_s: float) -> int | None:
        with anyio.move_on_after(timeout_s):
            while True:
                code = process.process.poll()
                if code is not None:
                    return code
                await anyio.sleep(0.1)
        return process.process.poll()

    # ---- chain and store ----

    async def head(self) -> int:
        return await self.rig.head_number()

    async def wait_blocks(self, blocks: int) -> None:
        target = await self.head() + blocks
        while True:
            if await self.head() >= target:
                return
            await anyio.sleep(BLOCK_INTERVAL_MS / 3000)

    async def position(self, position_id: str) -> Position:
        return await self.rig.position(position_id)

    async def in_flight(self, owners: Sequence[str]) -> int:
        count = 0
        for owner in owners:
            count += len(harness.in_flight(await self.rig.operations(owner)))
        return count

    async def reached(self, position_id: str, state: StakingStatusType, ready: bool) -> bool:
        position = await self.position(position_id)
        if position.state is not state:
            return False
        return harness.is_ready(position) or not ready

    async def tally(self, owners: Sequence[str], since_block: int) -> Tally:
        per_intent: collections.Counter[str] = collections.Counter()
        unattributed: list[str] = []
        types: collections.Counter[str] = collections.Counter()
        per_position: dict[str, collections.Counter[str]] = {}
        for owner in owners:
            by_txid = {op.txid: op for op in await self.rig.operations(owner)}
            for tx in await self.rig.chain_transactions(owner, since_block):
                types[str(tx["type"])] += 1
                operation = by_txid.get(tx["txid"])
                if operation is None:
                    unattributed.append(str(tx["txid"]))
                else:
                    per_intent[operation.intent_key] += 1
                    for position_id in operation.position_ids:
                        kinds = per_position.setdefault(str(position_id), collections.Counter())
                        kinds[operation.kind.value] += 1
        return Tally(
            dict(per_intent),
            unattributed,
            dict(types),
            {position_id: dict(kinds) for position_id, kinds in per_position.items()},
        )

    async def account(self, owner: str) -> dict[str, Any]:
        """The owner's account on the head (``wallet/getaccount``, visible addresses)."""
        found: dict[str, Any] = await self.devnet.post(
            "wallet/getaccount", {"address": owner, "visible": True}
        )
        return found

    async def faults(self, *rules: dict[str, Any], seed: int | None = None) -> None:
        await self.devnet.faults(*rules, seed=seed)

    async def fault_hits(self) -> int:
        installed = await self.devnet.get("devnet/faults")
        return sum(int(rule["hits"]) for rule in installed["rules"])


@contextlib.contextmanager
def environment(accounts: int, keep: bool) -> Iterator[ChaosEnv]:
    """The devnet, SecantusDB and redis of the run (stopped by PID when the block exits)."""
    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    env = ChaosEnv(workdir, accounts)
    with env.devnet.server, servers.running(env.mongo), servers.running(env.redis):
        try:
            yield env
        finally:
            for serve in env._serves:
                serve.kill()
            if not keep:
                for path in sorted(workdir.rglob("*"), reverse=True):
                    with contextlib.suppress(OSError):
                        path.unlink() if not path.is_dir() else path.rmdir()
                with contextlib.suppress(OSError):
                    workdir.rmdir()


def monotonic() -> float:
    return time.monotonic()
