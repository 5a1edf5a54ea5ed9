"""The chaos run: the controller's crash and fault matrix as one reproducible run.

``python -m bench.chaos [--quick] [--budget-s 600] [--out bench/results] [--keep]``

Against real processes — the devnet (a block every 300 ms, solid lag 6), SecantusDB,
redis-server and ``tron-staking serve --role controller`` children — each cell applies one kind
of chaos and then measures:

* ``converged`` — every position of the cell reached its target state (Ready where the state
  has a final form) and no operation of its owners is in flight;
* ``effective_tx_per_intent`` — transactions the devnet packed for the cell's owners
  (``GET /devnet/transactions``), attributed to intents through the operation holding the same
  txid; any count above 1, or a packed transaction no operation claims, is a duplicate;
* ``effective_tx_per_position`` — the same transactions counted per position and kind
  (through the operation's positions, independently of the intent keys): more than the
  position's spec generations need (one freeze, delegate, undelegate or vote per generation,
  one unfreeze, withdrawal or claim) is a duplicate too;
* ``account_mismatches`` — each owner's account on the head compared with its declared
  positions plus its outside stake (staked and delegated per resource, delegated per
  receiver, votes): a difference fails the cell (a double delegation to two receivers shows);
* ``unmanaged_untouched`` — the BANDWIDTH each owner froze outside the controller is intact;
* ``blocks_to_converge`` — head blocks from the chaos trigger to convergence.

The matrix: SIGKILL-equivalent crashes (``STAKING_CHAOS_CRASH_AT``) at every pipeline step ×
every operation kind; devnet faults at 10/30/50 % (broadcast faults on
``wallet/broadcasttransaction``, ``lag``/``empty`` on ``wallet/getaccount``); reorgs of 1–5
blocks with and without dropping the owner's transaction; spec changes (receiver, lock, votes,
unstake) sent while an operation is in flight; three replicas with one killed and one paused
past its lease; Redis stopped mid-run; the store restarted mid-run. ``--quick`` runs one cell
of each of crash, broadcast fault, reorg with a drop and spec change in flight (CI's
``make bench-quick``).

Time budget: ``--budget-s`` (default 600 s; 0 for none; ``--quick`` has none) — no new cell
starts once it is spent, and the cells left are recorded as ``not run (budget)`` (in
``cells_not_run``; they are no failure). The full matrix therefore runs every category first —
one crash, every fault mode at 30 %, a reorg with a drop, a receiver change, the replicas, Redis
and the store — and then the rest (the other crashes, spec changes, reorgs and fault rates).
The controller looks again one devnet block (0.3 s) after each step, and cells run one after
the other (devnet faults are global); a cell takes some 10-30 s on a loaded 2-core machine.

Seeds are fixed (devnet accounts, fault rules); process scheduling is not, so a cell's block
counts vary between runs, its verdicts must not. Writes ``<out>/chaos.json`` and prints a
table; exits 1 if any cell run has a duplicate, an account that differs from its positions,
touched unmanaged stake or did not converge.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import functools
import json
import platform
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio

from bench import common
from bench.chaos_env import (
    LEASE_TTL_S,
    NEVER_CLAIM_SUN,
    SUN,
    UNMANAGED_SUN,
    ChaosEnv,
    environment,
    monotonic,
)
from tests.integration.controller import processes
from tests.support.devnet import DevnetAccount
from tron_devnet import crypto
from tron_devnet.engine.chain import Chain
from tron_staking.controller.chaos import CRASH_EXIT_CODE, CrashPoint
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType, StakingResourceType
from tron_staking.domain.enums import StakingStatusType as State
from tron_staking.domain.position import Position
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight
from tron_staking.errors import ConflictError, TransientError

RESULTS = Path(__file__).resolve().parent / "results"
CONVERGE_TIMEOUT_S = 300.0
CRASH_TIMEOUT_S = 300.0
PREPARE_TIMEOUT_S = 300.0
DAY_S = 86_400
RATES = (0.1, 0.3, 0.5)
BROADCAST_FAULTS = ("accept_then_timeout", "accept_then_drop", "timeout", "http_503", "http_429")
READ_FAULTS = ("lag", "empty")
LAG_BLOCKS = 3
CRASH_KINDS = (
    StakingOperationType.CLAIM_REWARDS,
    StakingOperationType.FREEZE,
    StakingOperationType.VOTE,
    StakingOperationType.DELEGATE,
    StakingOperationType.UNDELEGATE,
    StakingOperationType.UNFREEZE,
    StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE,
)
SPEC_CHANGES = ("receiver", "lock", "votes", "unstake")
FIRST_RATE = 0.3
FAULT_SEEDS = {
    (mode, rate): 100 + number
    for number, (mode, rate) in enumerate(
        (m, r) for m in (*BROADCAST_FAULTS, *READ_FAULTS) for r in RATES
    )
}
"""One fixed seed per fault cell of the full matrix, whatever order the cells run in."""
QUICK_FAULT_SEED = 100
"""The quick run's one fault cell (with it, the fault fires on the cell's transactions)."""
DEFAULT_BUDGET_S = 600.0
ONCE_PER_POSITION = frozenset(
    kind.value
    for kind in (
        StakingOperationType.UNFREEZE,
        StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE,
        StakingOperationType.CLAIM_REWARDS,
    )
)


@dataclasses.dataclass
class Cell:
    cell: str
    group: str
    params: dict[str, Any]
    converged: bool = False
    effective_tx_per_intent: dict[str, int] = dataclasses.field(default_factory=dict)
    max_effective_tx_per_intent: int = 0
    unattributed_transactions: list[str] = dataclasses.field(default_factory=list)
    duplicate: bool = False
    unmanaged_untouched: bool = False
    blocks_to_converge: int | None = None
    seconds: float = 0.0
    transactions: dict[str, int] = dataclasses.field(default_factory=dict)
    effective_tx_per_position: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    account_mismatches: list[str] = dataclasses.field(default_factory=list)
    not_run: bool = False
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.not_run or (
            self.converged
            and not self.duplicate
            and self.unmanaged_untouched
            and not self.account_mismatches
        )


@dataclasses.dataclass(frozen=True)
class Target:
    """A position of a cell and the state it must reach (Ready too when ``ready``)."""

    owner: str
    position_id: str
    state: State
    ready: bool = True


def reorg_when_packed(
    owner: bytes, since: int, depth: int, drop: bool, chain: Chain
) -> dict[str, Any] | None:
    """Run on the devnet's loop (no block is produced between the look and the reorg): once
    the owner has a packed transaction, replace the last ``depth`` blocks, dropping that
    transaction when asked and when it is among them."""
    packed = chain.packed_transactions(owner, since)
    if not packed:
        return None
    tx = packed[0]
    dropping = drop and int(tx["block"]) > chain.head.number - depth
    result = chain.reorg(depth, {bytes.fromhex(tx["txid"])} if dropping else set())
    return {
        "tx_type": tx["type"],
        "tx_block": int(tx["block"]),
        "tx_in_reorged_blocks": int(tx["block"]) in result["replaced"],
        "dropped": dropping,
    }


class Matrix:
    """Runs the cells on one environment, keeping one long-running ``serve`` (the survivor)."""

    def __init__(
        self,
        env: ChaosEnv,
        quick: bool,
        on_cell: Callable[[Cell], None],
        deadline: float | None = None,
    ) -> None:
        self.env = env
        self.deadline = deadline
        """``monotonic()`` after which no new cell starts (None: no budget)."""
        self.quick = quick
        self.on_cell = on_cell
        self.cells: list[Cell] = []
        self.witnesses = [Address(w.address) for w in env.devnet.witnesses[:3]]
        self.receivers = [Address(r.address) for r in env.receivers]
        self.survivor: processes.ServeProcess | None = None
        self._ids = 0
        self.owned: dict[str, list[str]] = {}
        """Per owner, the ids of the positions the run declared for it."""

    # ---- helpers ----

    def budget_spent(self, cells: Sequence[tuple[str, str, dict[str, Any]]]) -> bool:
        """True (and ``cells`` recorded as not run) once the run's time budget is spent."""
        if self.deadline is None or monotonic() < self.deadline:
            return False
        for name, group, params in cells:
            cell = Cell(name, group, params, not_run=True, note="not run (budget)")
            self.cells.append(cell)
            print(row(cell), flush=True)
        return True

    @staticmethod
    def fault_name(mode: str, rate: float) -> tuple[str, str, dict[str, Any]]:
        return f"fault/{mode}/{int(rate * 100)}%", "fault", {"mode": mode, "probability": rate}

    def position_id(self, prefix: str) -> str:
        self._ids += 1
        return f"pos_{prefix}_{self._ids}"

    def spec(
        self,
        owner: DevnetAccount,
        *,
        amount: int = 20,
        votes: bool = False,
        delegate: DelegateSpec | None = None,
        auto_claim: bool = False,
    ) -> PositionSpec:
        return PositionSpec(
            owner=Address(owner.address),
            resource=StakingResourceType.ENERGY,
            amount_sun=amount * SUN,
            votes=(VoteWeight(self.witnesses[0], 100),) if votes else (),
            delegate=delegate,
            auto_claim=auto_claim,
        )

    async def declare(self, spec: PositionSpec, position_id: str) -> None:
        self.owned.setdefault(str(spec.owner), []).append(position_id)
        await self.env.rig.declare(spec, position_id)

    async def excess_per_position(self, counted: dict[str, dict[str, int]]) -> list[str]:
        """Positions with more effective transactions of a kind than their spec generations
        need: at most one freeze, delegate, undelegate or vote per generation (each spec
        change may need one more), at most one unfreeze, withdrawal or claim."""
        excess = []
        for position_id, kinds in sorted(counted.items()):
            generations = (await self.env.position(position_id)).generation
            for kind, count in sorted(kinds.items()):
                once = kind in ONCE_PER_POSITION
                if count > (1 if once else generations):
                    excess.append(f"{position_id}: {count} {kind} ({generations} generations)")
        return excess

    async def account_mismatches(self, owners: Sequence[str]) -> list[str]:
        """Each owner's account on the head against its declared positions plus the stake it
        holds outside the controller: staked and delegated per resource, delegated per
        receiver, votes per witness (not checked for an owner with an unstaked voting
        position: java-tron rescales votes on an unfreeze)."""
        problems: list[str] = []
        for owner in owners:
            staked: collections.Counter[str] = collections.Counter(BANDWIDTH=UNMANAGED_SUN)
            delegated: collections.Counter[str] = collections.Counter()
            to_receiver: collections.Counter[tuple[str, str]] = collections.Counter()
            votes: collections.Counter[str] = collections.Counter()
            check_votes = True
            for position_id in self.owned.get(owner, []):
                position = await self.env.position(position_id)
                spec = position.spec
                if position.unstake_requested:
                    check_votes = check_votes and not spec.votes
                    continue
                staked[spec.resource.value] += spec.amount_sun
                if spec.delegate is not None:
                    delegated[spec.resource.value] += spec.amount_sun
                    to_receiver[(str(spec.delegate.receiver), spec.resource.value)] += (
                        spec.amount_sun
                    )
                for vote in spec.votes:
                    votes[str(vote.witness)] += spec.amount_sun // SUN * vote.weight // 100
            expected: dict[str, Any] = {"staked": staked, "delegated": delegated}
            if check_votes:
                expected["votes"] = votes
            problems += common.account_differences(owner, expected, await self.env.account(owner))
            snapshot = await self.env.rig.chain.observe(Address(owner), self.receivers)
            for receiver in self.receivers:
                for resource in StakingResourceType:
                    have = snapshot.delegated_to(receiver, resource)
                    want = to_receiver[(str(receiver), resource.value)]
                    if have != want:
                        problems.append(
                            f"{owner}: delegated {resource.value} to {receiver} on chain "
                            f"{have} != declared {want}"
                        )
        return problems

    async def change(self, position_id: str, change: Callable[[Position], Position]) -> None:
        """Apply ``change`` with compare-and-set, retrying when the controller wrote first."""
        for _ in range(50):
            current = await self.env.position(position_id)
            changed = change(current)
            try:
                await self.env.store.positions.replace(
                    current.id, current.version, dict(changed.for_storage())
                )
                return
            except ConflictError:
                await anyio.sleep(0.05)
            except TransientError:  # the store is slow or restarting: the same write again
                await anyio.sleep(1.0)
        raise RuntimeError(f"could not change {position_id}: always conflicting")

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def with_spec(self, **fields: Any) -> Callable[[Position], Position]:
        return lambda p: p.with_spec(dataclasses.replace(p.spec, **fields), at=self.now())

    def unstake(self) -> Callable[[Position], Position]:
        return lambda p: p.with_unstake_requested(at=self.now())

    async def converged(self, targets: Sequence[Target]) -> bool:
        for target in targets:
            if not await self.env.reached(target.position_id, target.state, target.ready):
                return False
        return await self.env.in_flight([t.owner for t in targets]) == 0

    async def wait_converged(self, targets: Sequence[Target], timeout_s: float) -> bool:
        with anyio.move_on_after(timeout_s):
            while True:
                if await self.converged(targets):
                    return True
                await anyio.sleep(0.2)
        return False

    async def start_survivor(self) -> processes.ServeProcess:
        if self.survivor is None or self.survivor.process.poll() is not None:
            self.survivor = self.env.serve("survivor")
            await self.env.wait_ready(self.survivor)
        return self.survivor

    async def measure(
        self,
        cell: Cell,
        targets: Sequence[Target],
        since_block: int,
        trigger_block: int,
        started: float,
        *,
        extra_owners: Sequence[str] = (),
    ) -> Cell:
        cell.converged = await self.wait_converged(targets, CONVERGE_TIMEOUT_S)
        if cell.converged:
            cell.blocks_to_converge = await self.env.head() - trigger_block
        cell.seconds = round(monotonic() - started, 2)
        owners = sorted({t.owner for t in targets} | set(extra_owners))
        tally = await self.env.tally(owners, since_block)
        cell.effective_tx_per_intent = tally.per_intent
        cell.max_effective_tx_per_intent = tally.max_per_intent
        cell.unattributed_transactions = tally.unattributed
        cell.transactions = tally.types
        cell.effective_tx_per_position = tally.per_position
        excess = await self.excess_per_position(tally.per_position)
        cell.duplicate = not tally.exactly_once or bool(excess)
        if excess:
            cell.note = (cell.note + " more than needed: " + "; ".join(excess)).strip()
        cell.account_mismatches = await self.account_mismatches(owners)
        if cell.account_mismatches:
            cell.note = (cell.note + " account: " + "; ".join(cell.account_mismatches)).strip()
        cell.unmanaged_untouched = True
        for owner in owners:
            if await self.env.unmanaged_sun(owner) != UNMANAGED_SUN:
                cell.unmanaged_untouched = False
        if cell.params.get("crashed") is False or cell.params.get("controller_survived") is False:
            cell.converged = False  # the chaos of the cell did not happen as asked
        if not cell.converged:
            states = [
                (t.position_id, (await self.env.position(t.position_id)).state.value)
                for t in targets
            ]
            cell.note = (cell.note + f" not converged: {states}").strip()
        self.cells.append(cell)
        print(row(cell), flush=True)
        self.on_cell(cell)
        return cell

    # ---- crash cells ----

    async def crash_cells(self, pairs: Sequence[tuple[StakingOperationType, str]]) -> None:
        """For each kind, owners prepared up to the operation (by the survivor); then, per
        step: the survivor paused, the trigger, a process that dies at the step, the survivor
        resumed to finish the work."""
        env = self.env
        names = [
            (f"crash/{kind.value}/{step}", "crash", {"kind": kind.value, "step": step})
            for kind, step in pairs
        ]
        if self.budget_spent(names):
            return
        steps_of: dict[StakingOperationType, list[str]] = {}
        for kind, step in pairs:
            steps_of.setdefault(kind, []).append(step)
        kinds = list(steps_of)
        survivor = await self.start_survivor()
        owners = {kind: env.take_owners(len(steps)) for kind, steps in steps_of.items()}
        await env.prepare_owners([o for group in owners.values() for o in group])
        pre: dict[tuple[StakingOperationType, int], str] = {}
        prep_targets: list[Target] = []
        for kind, group in owners.items():
            for index, owner in enumerate(group):
                spec: PositionSpec | None = None
                if kind in (
                    StakingOperationType.VOTE,
                    StakingOperationType.DELEGATE,
                    StakingOperationType.UNFREEZE,
                    StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE,
                ):
                    spec, state = self.spec(owner), State.FROZEN
                elif kind is StakingOperationType.UNDELEGATE:
                    spec = self.spec(owner, delegate=DelegateSpec(self.receivers[0]))
                    state = State.DELEGATED
                elif kind is StakingOperationType.CLAIM_REWARDS:
                    # Claimed only by the doomed process (the others' minimum is out of reach).
                    spec, state = self.spec(owner, votes=True, auto_claim=True), State.VOTING
                if spec is not None:
                    position_id = self.position_id(f"prep_{kind.value}")
                    await self.declare(spec, position_id)
                    pre[(kind, index)] = position_id
                    prep_targets.append(Target(owner.address, position_id, state))
        if not await self.wait_converged(prep_targets, PREPARE_TIMEOUT_S):
            states = [
                (t.position_id, (await env.position(t.position_id)).state.value)
                for t in prep_targets
                if not await env.reached(t.position_id, t.state, t.ready)
            ]
            raise RuntimeError(f"the crash cells' preparation did not converge: {states}")
        withdrawing = [
            pre[(StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE, i)]
            for i in range(len(steps_of.get(StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE, [])))
            if (StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE, i) in pre
        ]
        for position_id in withdrawing:
            # One day apart: each advance to one owner's unfreeze expiry matures only its own.
            await self.change(position_id, self.unstake())
            holder = (await env.position(position_id)).owner
            target = Target(holder, position_id, State.UNFREEZING, ready=False)
            if not await self.wait_converged([target], CONVERGE_TIMEOUT_S):
                raise RuntimeError("an unstake of the withdraw cells did not converge")
            await env.devnet.advance_time(DAY_S)
        if kinds and StakingOperationType.CLAIM_REWARDS in kinds:
            await env.devnet.advance_time(DAY_S)
            await env.wait_blocks(3)
        for kind in kinds:
            for index, step in enumerate(steps_of[kind]):
                name = f"crash/{kind.value}/{step}"
                if self.budget_spent([(name, "crash", {"kind": kind.value, "step": step})]):
                    continue
                await self.crash_cell(kind, index, step, owners[kind], pre.get((kind, index)))
        del survivor

    async def crash_cell(
        self,
        kind: StakingOperationType,
        index: int,
        step: str,
        group: Sequence[DevnetAccount],
        prepared: str | None,
    ) -> None:
        env = self.env
        owner = group[index]
        survivor = await self.start_survivor()
        cell = Cell(f"crash/{kind.value}/{step}", "crash", {"kind": kind.value, "step": step})
        started = monotonic()
        since = await env.head()
        survivor.process.send_signal(signal.SIGSTOP)
        resumed = False
        try:
            position_id = prepared or self.position_id(f"crash_{kind.value}")
            target: Target
            extra: list[str] = []
            if kind is StakingOperationType.FREEZE:
                await self.declare(
                    self.spec(owner, votes=True, delegate=DelegateSpec(self.receivers[0])),
                    position_id,
                )
                target = Target(owner.address, position_id, State.DELEGATED)
            elif kind is StakingOperationType.VOTE:
                votes = (VoteWeight(self.witnesses[0], 100),)
                await self.change(position_id, self.with_spec(votes=votes))
                target = Target(owner.address, position_id, State.VOTING)
            elif kind is StakingOperationType.DELEGATE:
                delegate = DelegateSpec(self.receivers[1])
                await self.change(position_id, self.with_spec(delegate=delegate))
                target = Target(owner.address, position_id, State.DELEGATED)
            elif kind is StakingOperationType.UNDELEGATE:
                await self.change(position_id, self.with_spec(delegate=None))
                target = Target(owner.address, position_id, State.FROZEN)
            elif kind is StakingOperationType.UNFREEZE:
                await self.change(position_id, self.unstake())
                target = Target(owner.address, position_id, State.UNFREEZING, ready=False)
            elif kind is StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE:
                expire_ms = (await env.position(position_id)).unfreeze_expire_time_ms or 0
                head_ms = await env.devnet.head_time_ms()
                await env.devnet.advance_time(max(0, expire_ms - head_ms) / 1000 + 3)
                target = Target(owner.address, position_id, State.WITHDRAWN, ready=False)
            else:  # claim: any prepared voter may be the one whose claim dies at the step
                # Claims are due once per 24 h of chain time: a day later every voter is due
                # again, whatever the previous cells claimed.
                await env.devnet.advance_time(DAY_S)
                target = Target(owner.address, position_id, State.VOTING)
                extra = [o.address for o in group]
            trigger = await env.head()
            doomed = env.serve(
                f"doomed-{kind.value}-{step}",
                crash_at=step,
                min_claim_sun=1 if kind is StakingOperationType.CLAIM_REWARDS else NEVER_CLAIM_SUN,
            )
            code = await env.wait_exit(doomed, CRASH_TIMEOUT_S)
            doomed.kill()
            crashed = (
                code == CRASH_EXIT_CODE and f"chaos: crashing {step}" in doomed.log.read_text()
            )
            cell.params["crashed"] = crashed
            if not crashed:
                cell.note = f"the process did not crash at {step} (exit {code})"
            survivor.process.send_signal(signal.SIGCONT)
            resumed = True
            await self.measure(cell, [target], since, trigger, started, extra_owners=extra)
            if not crashed:
                cell.converged = False
        finally:
            if not resumed:
                survivor.process.send_signal(signal.SIGCONT)

    # ---- fault cells ----

    async def fault_cells(self, modes: Sequence[str], rates: Sequence[float]) -> None:
        env = self.env
        cells = [(mode, rate) for mode in modes for rate in rates]
        if self.budget_spent([self.fault_name(m, r) for m, r in cells]):
            return
        await self.start_survivor()
        owners = env.take_owners(len(cells))
        await env.prepare_owners(owners)
        for (mode, rate), owner in zip(cells, owners, strict=True):
            path = "wallet/getaccount" if mode in READ_FAULTS else "wallet/broadcasttransaction"
            rule: dict[str, Any] = {"path": path, "mode": mode, "probability": rate}
            if mode == "lag":
                rule["lag_blocks"] = LAG_BLOCKS
            if self.budget_spent([self.fault_name(mode, rate)]):
                continue
            seed = QUICK_FAULT_SEED if self.quick else FAULT_SEEDS[(mode, rate)]
            cell = Cell(
                f"fault/{mode}/{int(rate * 100)}%",
                "fault",
                {"mode": mode, "probability": rate, "path": path, "seed": seed},
            )
            started = monotonic()
            since = await env.head()
            await env.faults(rule, seed=seed)
            position_id = self.position_id(f"fault_{mode}")
            spec = self.spec(owner, votes=True, delegate=DelegateSpec(self.receivers[0]))
            await self.declare(spec, position_id)
            target = Target(owner.address, position_id, State.DELEGATED)
            converged = await self.wait_converged([target], CONVERGE_TIMEOUT_S)
            cell.params["fault_hits"] = await env.fault_hits()
            await env.faults()
            if not converged:
                cell.note = "not converged while the fault was installed"
            await self.measure(cell, [target], since, since, started)

    # ---- reorg cells ----

    async def reorg_cells(self, depths: Sequence[int], drops: Sequence[bool]) -> None:
        env = self.env
        cells = [(depth, drop) for depth in depths for drop in drops]

        def name(depth: int, drop: bool) -> tuple[str, str, dict[str, Any]]:
            return (
                f"reorg/{depth}/{'drop' if drop else 'keep'}",
                "reorg",
                {"depth": depth, "drop": drop},
            )

        if self.budget_spent([name(*c) for c in cells]):
            return
        await self.start_survivor()
        owners = env.take_owners(len(cells))
        await env.prepare_owners(owners)
        for (depth, drop), owner in zip(cells, owners, strict=True):
            if self.budget_spent([name(depth, drop)]):
                continue
            cell = Cell(
                f"reorg/{depth}/{'drop' if drop else 'keep'}",
                "reorg",
                {"depth": depth, "drop": drop},
            )
            started = monotonic()
            since = await env.head()
            position_id = self.position_id("reorg")
            await self.declare(self.spec(owner, votes=True), position_id)
            look = functools.partial(
                reorg_when_packed, crypto.parse_address(owner.address), since, depth, drop
            )
            found: dict[str, Any] | None = None
            with anyio.move_on_after(CONVERGE_TIMEOUT_S):
                while found is None:
                    found = await env.devnet.server.acall(look)
                    await anyio.sleep(0.01)
            trigger = await env.head()
            if found is None:
                cell.note = "no transaction packed to reorg"
            else:
                cell.params.update(found)
            target = Target(owner.address, position_id, State.VOTING)
            await self.measure(cell, [target], since, trigger, started)

    # ---- spec changes in flight ----

    async def spec_change_cells(self, changes: Sequence[str]) -> None:
        env = self.env
        names = [(f"spec/{c}", "spec_change", {"change": c}) for c in changes]
        if self.budget_spent(names):
            return
        await self.start_survivor()
        owners = env.take_owners(len(changes))
        await env.prepare_owners(owners)
        for change, owner in zip(changes, owners, strict=True):
            if self.budget_spent([(f"spec/{change}", "spec_change", {"change": change})]):
                continue
            cell = Cell(f"spec/{change}", "spec_change", {"change": change})
            started = monotonic()
            since = await env.head()
            position_id = self.position_id(f"spec_{change}")
            await self.declare(
                self.spec(owner, votes=True, delegate=DelegateSpec(self.receivers[0])),
                position_id,
            )
            wanted = {
                "receiver": StakingOperationType.DELEGATE,
                "lock": StakingOperationType.DELEGATE,
                "votes": StakingOperationType.VOTE,
                "unstake": StakingOperationType.DELEGATE,
            }[change]
            in_flight_kind = None
            with anyio.move_on_after(30):
                while in_flight_kind is None:
                    for op in await env.rig.operations(owner.address):
                        if op.in_flight and op.kind is wanted:
                            in_flight_kind = op.kind.value
                    await anyio.sleep(0.02)
            cell.params["in_flight_at_change"] = in_flight_kind
            trigger = await env.head()
            state = State.DELEGATED
            ready = True
            if change == "receiver":
                await self.change(
                    position_id, self.with_spec(delegate=DelegateSpec(self.receivers[1]))
                )
            elif change == "lock":
                lock = DelegateSpec(self.receivers[0], lock=True, lock_period_blocks=30)
                await self.change(position_id, self.with_spec(delegate=lock))
            elif change == "votes":
                votes = (VoteWeight(self.witnesses[1], 60), VoteWeight(self.witnesses[2], 40))
                await self.change(position_id, self.with_spec(votes=votes))
            else:
                await self.change(position_id, self.unstake())
                state, ready = State.UNFREEZING, False
            target = Target(owner.address, position_id, state, ready)
            measured = await self.measure(cell, [target], since, trigger, started)
            if measured.converged:
                await self.check_spec_on_chain(measured, owner, position_id)

    async def check_spec_on_chain(self, cell: Cell, owner: DevnetAccount, position_id: str) -> None:
        """The chain shows what the final spec asks for (a converged position lying is a fail)."""
        position = await self.env.position(position_id)
        spec = position.spec
        snapshot = await self.env.rig.chain.observe(Address(owner.address), self.receivers)
        resource = StakingResourceType.ENERGY
        problems = []
        if position.unstake_requested:
            if snapshot.frozen(resource) != 0:
                problems.append("still frozen after unstake")
        else:
            for receiver in self.receivers:
                wanted = (
                    spec.amount_sun
                    if spec.delegate is not None and spec.delegate.receiver == receiver
                    else 0
                )
                if snapshot.delegated_to(receiver, resource) != wanted:
                    problems.append(f"delegation to {receiver} is not {wanted}")
            votes = {v.witness: v for v in spec.votes}
            if set(snapshot.votes_by_witness) != set(votes):
                problems.append(f"votes {snapshot.votes_by_witness} != {sorted(votes)}")
        if problems:
            cell.converged = False
            cell.note = (cell.note + " " + "; ".join(problems)).strip()

    # ---- processes and servers ----

    async def outage_cell(
        self, name: str, stop: Callable[[], None], start: Callable[[], None], down_s: float
    ) -> None:
        env = self.env
        if self.budget_spent([(name, "outage", {"down_s": down_s})]):
            return
        survivor = await self.start_survivor()
        owners = env.take_owners(3)
        await env.prepare_owners(owners)
        cell = Cell(name, "outage", {"down_s": down_s, "owners": len(owners)})
        started = monotonic()
        since = await env.head()
        targets = []
        for owner in owners:
            position_id = self.position_id(name.replace("/", "_"))
            spec = self.spec(owner, votes=True, delegate=DelegateSpec(self.receivers[0]))
            await self.declare(spec, position_id)
            targets.append(Target(owner.address, position_id, State.DELEGATED))
        await anyio.sleep(0.6)
        trigger = await env.head()
        stop()
        await anyio.sleep(down_s)
        start()
        alive = survivor.process.poll() is None
        cell.params["controller_survived"] = alive
        if not alive:
            cell.note = f"the controller exited during the outage ({survivor.process.returncode})"
        await self.measure(cell, targets, since, trigger, started)
        if not alive:
            cell.converged = False

    async def replica_cell(self) -> None:
        env = self.env
        if self.budget_spent([("replicas/3-kill-1-pause-1", "replicas", {"replicas": 3})]):
            return
        survivor = await self.start_survivor()
        others = [env.serve("replica"), env.serve("replica")]
        for replica in others:
            await env.wait_ready(replica)
        killed, paused = others
        owners = env.take_owners(6)
        await env.prepare_owners(owners)
        pause_s = 2 * LEASE_TTL_S
        cell = Cell(
            "replicas/3-kill-1-pause-1",
            "replicas",
            {"replicas": 3, "owners": len(owners), "paused_s": pause_s, "lease_ttl_s": LEASE_TTL_S},
        )
        started = monotonic()
        since = await env.head()
        targets = []
        for owner in owners:
            position_id = self.position_id("replica")
            spec = self.spec(owner, votes=True, delegate=DelegateSpec(self.receivers[0]))
            await self.declare(spec, position_id)
            targets.append(Target(owner.address, position_id, State.DELEGATED))
        await anyio.sleep(0.5)
        trigger = await env.head()
        killed.process.send_signal(signal.SIGKILL)
        paused.process.send_signal(signal.SIGSTOP)
        await anyio.sleep(pause_s)
        paused.process.send_signal(signal.SIGCONT)
        await self.measure(cell, targets, since, trigger, started)
        alive = survivor.process.poll() is None and paused.process.poll() is None
        cell.params["others_alive"] = alive
        if not alive:
            cell.converged = False
            cell.note = (cell.note + " a replica that should live exited").strip()
        killed.kill()
        await env.stop(paused)

    async def run(self) -> None:
        steps = [point.value for point in CrashPoint]
        if self.quick:
            # One cell per kind of chaos that has found or could find a duplicate.
            await self.crash_cells([(StakingOperationType.FREEZE, "after_broadcast")])
            await self.fault_cells(["accept_then_drop"], [0.3])
            await self.reorg_cells([2], [True])
            await self.spec_change_cells(["receiver"])
        else:
            # Every category first (one cell each, every fault mode), then the rest, so that a
            # time budget that runs out leaves out repeats of a category rather than a category.
            modes = [*BROADCAST_FAULTS, *READ_FAULTS]
            first_crash = (StakingOperationType.FREEZE, "after_broadcast")
            await self.crash_cells([first_crash])
            await self.fault_cells(modes, [FIRST_RATE])
            await self.reorg_cells([2], [True])
            await self.spec_change_cells(SPEC_CHANGES[:1])
            await self.replica_cell()
            await self.outage_cell("redis/stopped", self.env.redis.stop, self.env.redis.start, 3)
            await self.outage_cell("store/restarted", self.env.mongo.stop, self.env.mongo.start, 3)
            pairs = [(kind, step) for kind in CRASH_KINDS for step in steps]
            await self.crash_cells([pair for pair in pairs if pair != first_crash])
            await self.spec_change_cells(SPEC_CHANGES[1:])
            await self.reorg_cells([1, 3, 4, 5], [False, True])
            await self.reorg_cells([2], [False])
            await self.fault_cells(modes, [rate for rate in RATES if rate != FIRST_RATE])
        if self.survivor is not None:
            await self.env.stop(self.survivor)


HEADER = f"{'cell':<42} {'conv':>4} {'max/intent':>10} {'dup':>4} {'unmgd ok':>8} {'blocks':>6}"


def row(cell: Cell) -> str:
    if cell.not_run:
        return f"{cell.cell:<42} {'not run (budget)':>36}"
    blocks = "-" if cell.blocks_to_converge is None else str(cell.blocks_to_converge)
    return (
        f"{cell.cell:<42} {'yes' if cell.converged else 'NO':>4} "
        f"{cell.max_effective_tx_per_intent:>10} {'YES' if cell.duplicate else 'no':>4} "
        f"{'yes' if cell.unmanaged_untouched else 'NO':>8} {blocks:>6}"
        + (f"  {cell.note}" if cell.note else "")
    )


def write(
    cells: Sequence[Cell],
    out: Path,
    quick: bool,
    seconds: float,
    *,
    complete: bool,
    budget_s: float | None = None,
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / ("chaos-quick.json" if quick else "chaos.json")
    document = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "complete": complete,
        "seconds": round(seconds, 1),
        "budget_s": budget_s,
        "cells_run": sum(1 for cell in cells if not cell.not_run),
        "cells_not_run": [cell.cell for cell in cells if cell.not_run],
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "command": "python -m bench.chaos"
        + (" --quick" if quick else "")
        + (f" --budget-s {budget_s:g}" if budget_s is not None else ""),
        "cells": [dataclasses.asdict(cell) for cell in cells],
        "failed": [cell.cell for cell in cells if not cell.ok],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


async def main_async(args: argparse.Namespace) -> int:
    started = monotonic()
    budget_s = None if args.quick or args.budget_s <= 0 else float(args.budget_s)
    deadline = None if budget_s is None else started + budget_s
    with environment(accounts=16 if args.quick else 110, keep=args.keep) as env:
        await env.open()
        out = Path(args.out)

        def progress(_: Cell) -> None:
            write(
                matrix.cells,
                out,
                args.quick,
                monotonic() - started,
                complete=False,
                budget_s=budget_s,
            )

        matrix = Matrix(env, args.quick, progress, deadline)
        print(HEADER, flush=True)
        try:
            await matrix.run()
        finally:
            await env.aclose()
        cells = matrix.cells
        if args.keep:
            print(f"logs kept in {env.workdir}")
    seconds = monotonic() - started
    path = write(cells, Path(args.out), args.quick, seconds, complete=True, budget_s=budget_s)
    failed = [cell for cell in cells if not cell.ok]
    not_run = sum(1 for cell in cells if cell.not_run)
    print(
        f"{len(cells) - not_run} cells run in {seconds:.0f} s, {len(failed)} failed"
        + (f", {not_run} not run (budget {budget_s:g} s)" if not_run and budget_s else "")
        + f"; wrote {path}"
    )
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a representative subset (CI)")
    parser.add_argument("--out", default=str(RESULTS), help="directory of chaos.json")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs")
    parser.add_argument(
        "--budget-s",
        type=float,
        default=DEFAULT_BUDGET_S,
        help="no new cell starts after this many seconds (the rest are recorded as not run); "
        "0 runs every cell; --quick ignores it",
    )
    args = parser.parse_args(argv)
    return anyio.run(main_async, args)


if __name__ == "__main__":
    sys.exit(main())
