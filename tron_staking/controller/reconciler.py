"""The reconciler: one reconcile of one owner address (design §3), called by the runner's
workers (and directly by tests).

``Reconciler.reconcile(owner)``:

1. takes the owner's lease (skips the owner when another replica holds it);
2. loads the owner's positions and its operations (recent ones, and any whose effect is not
   yet recorded on its positions, whatever its age);
3. observes the owner on the chain head;
4. advances the sent operations (:mod:`~tron_staking.controller.inflight`);
5. plans (``planner.plan``), reading the solid state and planning again when the plan asks
   for a confirmation of drift;
6. applies each position update (``planner.apply_update``) and persists each position in one
   compare-and-set write under the lease, with its next reconcile time, in the same
   transaction as the entries it appends to ``state_transitions`` (both or neither), then
   clears the pending mark of the operations whose effect is now stored on their positions;
   an owner without a signing key gets
   ``Stalled``/``NoSigningKey`` on the positions the plan wanted to act for, and an owner
   whose stored key does not decrypt (another KEK, altered) ``Stalled``/``SigningKeyUnusable``;
   either way nothing is sent;
7. hands the plan's actions to the executor, in order (only when every position was
   persisted: a concurrent spec change makes the reconcile a conflict, decided again at
   once);
8. records what the landed operations mean for the seed's collections
   (:mod:`~tron_staking.controller.ledger`) and releases the lease.

It returns a :class:`ReconcileResult` for the loop wrapper (metrics, requeue); it raises only
what it cannot sort: the runner treats any exception as ``error``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from typing import cast

import anyio
import structlog

from tron_staking.chain.ports import ChainClient
from tron_staking.controller import ledger, planner
from tron_staking.controller.chaos import Chaos
from tron_staking.controller.executor import BuildRefusal, Executor
from tron_staking.controller.oplog import EFFECT_PENDING, OperationLog, TxEvent
from tron_staking.domain.addresses import Address
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import (
    ConditionStatus,
    ConditionType,
    OperationState,
    StakingOperationType,
    StakingStatusType,
)
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.ids import PositionId
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position, RawPosition
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.errors import (
    InvalidTransitionError,
    LeaseLostError,
    TransientError,
    VersionConflictError,
)
from tron_staking.signer.ports import KeyCheck, KeyState, Signer
from tron_staking.store.ports import (
    Clock,
    LeaseStore,
    PositionJournal,
    TransitionLog,
    VersionedStore,
)
from tron_staking.store.records import Lease

_log = structlog.get_logger(__name__)

CONFLICT_RETRY_S = 1.0
"""Look again this soon after a conflict (a concurrent spec change, a lease held elsewhere)."""


UNUSABLE_KEY = "SigningKeyUnusable"
"""The ``Stalled`` reason of positions whose owner's stored key does not decrypt or sign."""

_DELEGATION_KINDS = (StakingOperationType.DELEGATE, StakingOperationType.UNDELEGATE)

RELEASE_TIMEOUT_S = 5.0
"""How long a release may take, even during shutdown."""


class Outcome(enum.StrEnum):
    """The ``result`` label of ``staking_reconcile_total``."""

    SUCCESS = "success"
    REQUEUE = "requeue"
    ERROR = "error"
    CONFLICT = "conflict"


@dataclasses.dataclass(frozen=True)
class ReconcileResult:
    """What one reconcile came to. ``requeue_after_s`` None: nothing left to watch (the owner
    has no active position). ``positions`` counts the owner's positions by state after it."""

    owner: Address
    outcome: Outcome
    requeue_after_s: float | None
    events: tuple[TxEvent, ...] = ()
    drift_findings: int = 0
    head_lag_blocks: int | None = None
    positions: dict[str, int] = dataclasses.field(default_factory=dict)
    message: str = ""
    convergence_s: tuple[float, ...] = ()
    """For each position that turned Ready for its spec generation in this reconcile: chain
    seconds from the generation's declaration to the head block that saw it Ready."""


@dataclasses.dataclass(frozen=True)
class Stores:
    """The repositories a reconcile writes (built by the composition root)."""

    positions: VersionedStore
    operations: VersionedStore
    transitions: TransitionLog
    leases: LeaseStore
    journal: PositionJournal
    delegations: VersionedStore | None = None
    votes: VersionedStore | None = None
    rewards: VersionedStore | None = None


class Reconciler:
    """One owner per call (see the module docstring)."""

    def __init__(
        self,
        stores: Stores,
        chain: ChainClient,
        signer: Signer,
        clock: Clock,
        *,
        holder: str,
        lease_ttl_s: float,
        renew_every_s: float | None = None,
        policy: planner.PlannerPolicy | None = None,
        chaos: Chaos | None = None,
    ) -> None:
        self._stores = stores
        self._chain = chain
        self._signer = signer
        self._clock = clock
        self._holder = holder
        self._lease_ttl_s = lease_ttl_s
        self._renew_every_s = renew_every_s or lease_ttl_s / 3
        self._policy = policy or planner.PlannerPolicy()
        self._operations = OperationLog(stores.operations)
        self._executor = Executor(chain, signer, self._operations, chaos)
        self._ledger = ledger.SeedLedger(stores.delegations, stores.votes, stores.rewards)

    @property
    def holder(self) -> str:
        return self._holder

    async def reconcile(self, owner: Address) -> ReconcileResult:
        """Reconcile ``owner`` once, renewing its lease meanwhile; never raises for a lease
        held elsewhere, a lost lease, a conflict or a transient failure — they are outcomes."""
        try:
            lease = await self._stores.leases.acquire(owner, self._holder, self._lease_ttl_s)
        except LeaseLostError as exc:
            return ReconcileResult(owner, Outcome.CONFLICT, CONFLICT_RETRY_S, message=str(exc))
        async with anyio.create_task_group() as renewal:
            renewal.start_soon(self._keep_renewed, lease)
            result = await self._sorted(owner, lease)
            renewal.cancel_scope.cancel()
        return result

    async def _keep_renewed(self, lease: Lease) -> None:
        """Renew ``lease`` every ``renew_every_s`` while the reconcile runs; stop once lost
        (the fenced writes then fail on their own)."""
        while True:
            await anyio.sleep(self._renew_every_s)
            try:
                await self._stores.leases.renew(lease, self._lease_ttl_s)
            except LeaseLostError:
                return
            except TransientError as exc:
                _log.warning("lease not renewed", owner=lease.owner, error=str(exc))

    async def _sorted(self, owner: Address, lease: Lease) -> ReconcileResult:
        """The reconcile under ``lease``, its expected failures sorted into outcomes."""
        try:
            return await self._under_lease(owner, lease)
        except (LeaseLostError, VersionConflictError, InvalidTransitionError) as exc:
            _log.info("reconcile conflict", owner=owner, error=str(exc))
            return ReconcileResult(owner, Outcome.CONFLICT, CONFLICT_RETRY_S, message=str(exc))
        except TransientError as exc:
            _log.warning("reconcile failed, will retry", owner=owner, error=str(exc))
            return ReconcileResult(owner, Outcome.ERROR, exc.retry_after_s, message=str(exc))
        finally:
            # Also on cancellation (shutdown): give the owner up at once rather than at expiry.
            with anyio.move_on_after(RELEASE_TIMEOUT_S, shield=True):
                await self._release(lease)

    async def _release(self, lease: Lease) -> None:
        try:
            await self._stores.leases.release(lease)
        except TransientError as exc:
            # The lease then expires by itself; nothing else depends on the release.
            _log.warning("lease not released", owner=lease.owner, error=str(exc))

    async def _receivers_in_flight(self, owner: Address) -> list[Address]:
        """The receivers of the owner's delegate/undelegate operations not final yet, or final
        but whose effect is not yet stored on their positions (``effect_pending``): a spec
        change may have dropped such a receiver from every position while the operation can
        still land or be applied, and a delegation the snapshot does not read would look like
        lost stake."""
        query = {
            "owner": owner,
            "kind": {"$in": [kind.value for kind in _DELEGATION_KINDS]},
            "$or": [
                {"state": {"$in": [state.value for state in OperationState if not state.final]}},
                {EFFECT_PENDING: True},
            ],
        }
        receivers: dict[Address, None] = {}
        cursor: str | None = None
        while True:
            page = await self._stores.operations.find(query, limit=200, cursor=cursor)
            for raw in page.items:
                receiver = raw.get("params", {}).get("receiver_address")
                if receiver:
                    receivers[Address(str(receiver))] = None
            if page.next_cursor is None:
                return list(receivers)
            cursor = page.next_cursor

    async def _under_lease(self, owner: Address, lease: Lease) -> ReconcileResult:
        positions = await load_active_positions(self._stores.positions, owner)
        if not positions:
            return ReconcileResult(owner, Outcome.SUCCESS, None)
        receivers = receivers_of(positions, await self._receivers_in_flight(owner))
        observed = await self._chain.observe(owner, receivers)
        at = self._clock.now()
        key = await self._signer.check_key(owner)
        may_send = key.usable
        if key.state is KeyState.UNUSABLE:
            _log.warning(
                "signing key unusable", owner=owner, reason=UNUSABLE_KEY, error=key.message
            )
        marked = await self._operations.load_marked(owner, observed.head_block_time_ms)
        loaded = marked.operations
        advanced = await self._executor.advance(loaded, observed, lease, at=at, may_send=may_send)
        plan = await plan_confirmed(
            self._chain,
            self._policy,
            positions,
            observed,
            advanced.operations,
            receivers,
            claim_requested=await self._ledger.claim_requested(owner),
        )
        requeue_s = float(plan.requeue_after_s)
        stalled = {} if may_send else _key_stall(plan, key)
        stored = await self._persist(positions, plan, stalled, lease, at, requeue_s)
        await self._operations.settle(
            advanced.operations, marked.pending, stored, observed.solid_block_time_ms, lease
        )
        events = list(advanced.events)
        if may_send and plan.actions:
            execution = await self._executor.execute(owner, plan.actions, lease, at=at)
            events.extend(execution.events)
            if execution.refusals:
                stored = await self._refused(stored, execution.refusals, lease, at)
                requeue_s = min(requeue_s, float(self._policy.stalled_retry_s))
        landed = _newly_landed(loaded, advanced.operations)
        await self._ledger.record(landed, lease)
        await self._ledger.fulfil_claims(landed, lease)
        outcome = Outcome.SUCCESS if not plan.actions and not plan.waiting_for else Outcome.REQUEUE
        return ReconcileResult(
            owner,
            outcome,
            requeue_s if any(not p.terminal for p in stored) else None,
            events=tuple(events),
            drift_findings=len(plan.drift),
            head_lag_blocks=observed.head_block_number - observed.solid_block_number,
            positions=_count_states(stored),
            convergence_s=_convergences(positions, stored, observed.head_block_time_ms),
        )

    async def _persist(
        self,
        positions: Sequence[Position],
        plan: planner.Plan,
        stalled: dict[PositionId, ConditionUpdate],
        lease: Lease,
        at: dt.datetime,
        requeue_s: float,
    ) -> list[Position]:
        """Apply the plan to each position and write it (compare-and-set, fenced) with its
        transitions, in one transaction per position. Raises VersionConflictError when a
        position changed since it was read."""
        stored: list[Position] = []
        for position in positions:
            current = position
            records: tuple[TransitionRecord, ...] = ()
            update = plan.update_for(position.id)
            if update is not None:
                current, records = planner.apply_update(current, update, at=at)
            if position.id in stalled:
                current = current.with_conditions((stalled[position.id],), at=at)
            due = None if current.terminal else at + dt.timedelta(seconds=requeue_s)
            current = current.with_next_reconcile_at(due)
            stored.append(await self._write(position, current, lease, records))
            for record in records:
                _log.info(
                    "position transition",
                    position_id=position.id,
                    from_state=record.from_state,
                    to_state=record.to_state,
                    txid=record.txid,
                    block=record.block,
                )
        return stored

    async def _write(
        self,
        before: Position,
        after: Position,
        lease: Lease,
        records: Sequence[TransitionRecord] = (),
    ) -> Position:
        """Write ``after`` over ``before`` (compare-and-set, fenced) and append ``records`` to
        its transitions, in one transaction: both land or neither does."""
        raw, _ = await self._stores.journal.replace_with_transitions(
            before.id,
            before.version,
            dict(after.for_storage()),
            [dict(record.for_storage()) for record in records],
            lease=lease,
        )
        return Position.from_storage(cast(RawPosition, raw))

    async def _refused(
        self,
        positions: list[Position],
        refusals: Sequence[BuildRefusal],
        lease: Lease,
        at: dt.datetime,
    ) -> list[Position]:
        """``Stalled``/``Rejected`` with the node's reason on the positions of each action the
        node refused to build."""
        reasons: dict[PositionId, str] = {}
        for refusal in refusals:
            for position_id in refusal.action.position_ids:
                reasons.setdefault(position_id, f"{refusal.action.kind.value}: {refusal.reason}")
        result: list[Position] = []
        for position in positions:
            if position.id not in reasons:
                result.append(position)
                continue
            condition = ConditionUpdate.true(
                ConditionType.STALLED, "Rejected", reasons[position.id]
            )
            result.append(
                await self._write(position, position.with_conditions((condition,), at=at), lease)
            )
        return result


async def load_active_positions(positions: VersionedStore, owner: Address) -> list[Position]:
    """The owner's positions that are not withdrawn (terminal ones need nothing)."""
    query = {"owner": owner, "state": {"$ne": StakingStatusType.WITHDRAWN.value}}
    found: list[Position] = []
    cursor: str | None = None
    while True:
        page = await positions.find(query, limit=200, cursor=cursor)
        found.extend(Position.from_storage(cast(RawPosition, raw)) for raw in page.items)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


async def plan_confirmed(
    chain: ChainClient,
    policy: planner.PlannerPolicy,
    positions: Sequence[Position],
    observed: AccountSnapshot,
    operations: Sequence[Operation],
    receivers: Sequence[Address],
    *,
    claim_requested: bool = False,
) -> planner.Plan:
    """``planner.plan`` on ``observed``; when the plan asks for confirmation of drift, the
    owner's solid state is read and the plan made again with it (planner module docstring).
    ``claim_requested``: the owner has an open one-shot claim request."""
    plan = planner.plan(
        positions,
        observed,
        operations,
        observed.head_block_time_ms,
        policy,
        claim_requested=claim_requested,
    )
    if not plan.needs_confirmation:
        return plan
    confirmation = await chain.observe_solid(observed.owner, receivers)
    return planner.plan(
        positions,
        observed,
        operations,
        observed.head_block_time_ms,
        policy,
        claim_requested=claim_requested,
        confirmation=confirmation,
    )


def receivers_of(positions: Sequence[Position], in_flight: Sequence[Address] = ()) -> list[Address]:
    """Every receiver the owner's positions delegate to or want to delegate to, and those of
    ``in_flight`` (delegations sent and not final)."""
    wanted = {p.spec.delegate.receiver for p in positions if p.spec.delegate is not None}
    held = {p.delegation.receiver for p in positions if p.delegation is not None}
    return sorted(wanted | held | set(in_flight))


def _key_stall(plan: planner.Plan, key: KeyCheck) -> dict[PositionId, ConditionUpdate]:
    """``Stalled``/``NoSigningKey`` (or ``SigningKeyUnusable``, with why) for every position
    an action of ``plan`` names."""
    if key.state is KeyState.UNUSABLE:
        condition = ConditionUpdate.true(
            ConditionType.STALLED,
            UNUSABLE_KEY,
            f"{key.message}; nothing is sent until the key can be decrypted",
        )
    else:
        message = (
            f"no signing key is stored for {plan.owner}: import it with `tron-staking keys import`"
        )
        condition = ConditionUpdate.true(ConditionType.STALLED, "NoSigningKey", message)
    return {pid: condition for action in plan.actions for pid in action.position_ids}


def _convergences(
    before: Sequence[Position], after: Sequence[Position], head_time_ms: int
) -> tuple[float, ...]:
    """Seconds to Ready of each position of ``after`` that became Ready for its current
    generation (once per generation): from its declaration (``created_at``) for the first
    generation, from when Ready last turned False for a later one, to ``head_time_ms``."""
    previous = {position.id: position for position in before}
    found: list[float] = []
    for position in after:
        old = previous.get(position.id)
        if old is None or not _ready_for(position) or _ready_for(old):
            continue
        start = position.created_at
        if position.generation > 1:
            ready = old.condition(ConditionType.READY)
            if ready is not None and ready.status is not ConditionStatus.TRUE:
                start = ready.last_transition_time
        found.append(max(0.0, head_time_ms / 1000 - start.timestamp()))
    return tuple(found)


def _ready_for(position: Position) -> bool:
    ready = position.condition(ConditionType.READY)
    return (
        ready is not None
        and ready.status is ConditionStatus.TRUE
        and position.observed_generation == position.generation
    )


def _count_states(positions: Sequence[Position]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for position in positions:
        counts[position.state.value] = counts.get(position.state.value, 0) + 1
    return counts


def _newly_landed(before: Sequence[Operation], after: Sequence[Operation]) -> list[Operation]:
    """Operations of ``after`` that are in a block and were not in ``before``."""
    landed_before = {op.id for op in before if op.state.landed}
    return [op for op in after if op.state.landed and op.id not in landed_before]
