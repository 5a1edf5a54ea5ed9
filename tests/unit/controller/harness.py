"""A reconcile loop that shows the planner every in-flight state, over the chain model.

``World`` plays the reconciler and the executor around the pure planner: each round it reads
a snapshot from the model (optionally from a node lagging some blocks, or an empty ``{}``
account), advances the operations from the model's receipts (``included`` when a block holds
the txid, ``solidified`` at or below the solid block, ``expired`` only when the model's solid
block time is past the expiration and the txid is absent), plans (reading the solid state
when the plan asks for confirmation), applies the position updates with
``planner.apply_update``, and delivers each action with a ``Fate``: held ``recorded``, left in
the pool unpacked, packed in the next block, dropped by the node, answer lost (ambiguous)
before or after the node accepted it. A round may also crash between planning and
persisting, losing the plan's updates and some of its actions; the executor sends nothing
more of a plan after an attempt without an answer. ``recorded`` operations are
re-sent each round with the same bytes; a refusal ends an operation (``rejected``) only on a
first definitive answer, never after an attempt whose outcome was lost (design §5).

What the chain did is judged by ``model.audit.Audit`` from the model's blocks; what the planner
decided is checked against the position-level exactly-once rule as it is planned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math

from tests.unit.controller.chain_model import Chain, Contract, Rejected, Tx
from tests.unit.controller.model import state as model_state
from tests.unit.controller.model.audit import Audit, Sent
from tron_staking.controller import planner
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import (
    ConditionType,
    OperationState,
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.ids import OperationId, PositionId, TxId
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.statemachine import operation as operation_machine

Kind = StakingOperationType
Trigger = operation_machine.Trigger
EXPIRATION_MS = 60_000
ADDITIVE = (Kind.FREEZE, Kind.UNFREEZE, Kind.DELEGATE, Kind.UNDELEGATE)
BUDGET_REASONS = (
    "frozenBalance must be less than or equal to accountBalance",
    "Account resource insufficient error.",
    "is greater than the tronPower",
    "delegateBalance must be less than or equal to available",
    "Invalid unfreeze_balance",
    "unfreezing times is over limit",
)
"""Refusals that mean the plan spent what the ledger should have known was not there."""


class Fate(enum.Enum):
    """What happens to one planned action's transaction."""

    PACKED = "packed in the next block"
    HELD_RECORDED = "recorded, never sent this round"
    LOST_BEFORE_NODE = "sent, the connection failed before the node got it"
    LOST_ANSWER = "sent and accepted, the answer was lost"
    UNPACKED = "accepted, left in the pool for some blocks"
    DROPPED = "accepted, then lost by the node (never packed; expires)"


@dataclasses.dataclass(frozen=True)
class Glitch:
    """How one round goes wrong: a lagging node, an empty account, a crash that persists
    ``crash_after`` actions (None: no crash)."""

    lag_blocks: int = 0
    empty_account: bool = False
    crash_after: int | None = None


HEALTHY = Glitch()
UNANSWERED = (Fate.HELD_RECORDED, Fate.LOST_BEFORE_NODE, Fate.LOST_ANSWER)
"""Fates after which the executor sends nothing more of the plan: a later action may depend on
this one being in the node's pending state (java-tron validates against it), so the rest is
left to the next reconcile."""


@dataclasses.dataclass
class Stats:
    """How often the planner saw each in-flight state (to show the harness reaches them)."""

    states_seen: dict[str, int] = dataclasses.field(default_factory=dict)
    above_head: int = 0
    stale_snapshots: int = 0
    empty_snapshots: int = 0
    crashes: int = 0
    confirmations: int = 0
    refused_after_ambiguity: int = 0
    dropped: int = 0


@dataclasses.dataclass
class World:
    chain: Chain
    owner: Address
    positions: dict[PositionId, Position]
    policy: planner.PlannerPolicy
    audit: Audit
    operations: dict[OperationId, Operation] = dataclasses.field(default_factory=dict)
    txs: dict[TxId, Tx] = dataclasses.field(default_factory=dict)
    final_since_ms: dict[OperationId, int] = dataclasses.field(default_factory=dict)
    unpacked_until: dict[TxId, int] = dataclasses.field(default_factory=dict)
    violations: list[str] = dataclasses.field(default_factory=list)
    refusals: list[str] = dataclasses.field(default_factory=list)
    stats: Stats = dataclasses.field(default_factory=Stats)
    last_plan: planner.Plan | None = None
    log: list[str] = dataclasses.field(default_factory=list)
    """One line per reconcile and per delivery, for reading a failing example."""
    packed_upto: int = 0

    @classmethod
    def create(
        cls,
        chain: Chain,
        owner: Address,
        positions: list[Position],
        policy: planner.PlannerPolicy,
        *,
        strict_once: bool = True,
    ) -> World:
        audit = Audit(owner=owner, strict_once=strict_once)
        audit.start(chain.state)
        return cls(
            chain=chain,
            owner=owner,
            positions={p.id: p for p in positions},
            policy=policy,
            audit=audit,
            packed_upto=chain.head_block,
        )

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.chain.head_time_ms / 1000, tz=dt.UTC)

    def in_flight(self) -> list[Operation]:
        return [op for op in self.operations.values() if op.in_flight]

    # -- one reconcile --------------------------------------------------------------------------

    def reconcile(self, glitch: Glitch = HEALTHY, fates: list[Fate] | None = None) -> None:
        """One reconcile of the owner, then the executor's deliveries (``fates`` per action,
        in order; missing ones are ``PACKED``)."""
        self._resend_recorded()
        lag = min(glitch.lag_blocks, self.chain.head_block - min(self.chain.history))
        observed = self.chain.snapshot(self.owner, lag_blocks=lag, empty=glitch.empty_account)
        self.stats.stale_snapshots += lag > 0
        self.stats.empty_snapshots += glitch.empty_account
        self._advance_operations()
        plan = self._plan(observed)
        self.last_plan = plan
        self.log.append(
            f"#{self.chain.head_block} snap@{observed.head_block_number} exists={observed.exists} "
            f"{glitch} ops={[(o.kind.value, o.state.value) for o in self.in_flight()]} "
            f"actions={[(a.kind.value, a.amount_sun, a.reason) for a in plan.actions]} "
            f"requeue={plan.requeue_after_s}"
        )
        if glitch.crash_after is not None:
            self.stats.crashes += 1
            for action in plan.actions[: glitch.crash_after]:
                self._deliver(action, observed, Fate.PACKED)
            return
        for update in plan.updates:
            new, _ = planner.apply_update(self.positions[update.position_id], update, at=self.now)
            self.positions[new.id] = new.with_version(new.version + 1)
        for index, action in enumerate(plan.actions):
            fate = fates[index] if fates and index < len(fates) else Fate.PACKED
            self._deliver(action, observed, fate)
            if fate in UNANSWERED:
                return  # the executor stops at the first send without an answer

    def _plan(self, observed: AccountSnapshot) -> planner.Plan:
        known = self._operations_for_planner(observed.head_block_time_ms)
        for op in known:
            if op.in_flight:
                label = op.state.value
                if op.block is not None and op.block > observed.head_block_number:
                    self.stats.above_head += 1
                    label += " above head"
                self.stats.states_seen[label] = self.stats.states_seen.get(label, 0) + 1
        args = (list(self.positions.values()), observed, known, observed.head_block_time_ms)
        plan = planner.plan(*args, self.policy)
        self._check_plan(plan)
        if plan.needs_confirmation:
            self.stats.confirmations += 1
            confirmation = self.chain.solid_snapshot(self.owner)
            plan = planner.plan(*args, self.policy, confirmation=confirmation)
            self._check_plan(plan)
        return plan

    def _operations_for_planner(self, chain_time_ms: int) -> list[Operation]:
        """Non-final operations, and those final for less than a day."""
        return [
            op
            for op in self.operations.values()
            if op.in_flight
            or chain_time_ms - self.final_since_ms.get(op.id, chain_time_ms) < model_state.DAY_MS
        ]

    # -- the executor ---------------------------------------------------------------------------

    def _deliver(self, action: planner.Action, observed: AccountSnapshot, fate: Fate) -> None:
        """Record the action's operation (txid, expiration from the observed head's time),
        then send it as ``fate`` says."""
        tx = Tx(
            txid=self.chain.new_txid(action.intent_key),
            contract=Contract(action.kind.value),
            params=dict(action.params),
            expiration_ms=observed.head_block_time_ms + EXPIRATION_MS,
        )
        op = Operation.new(
            kind=action.kind,
            owner=self.owner,
            intent_key=action.intent_key,
            position_ids=action.position_ids,
            params=action.params,
            position_votes=action.position_votes,
            txid=tx.txid,
            expiration_ms=tx.expiration_ms,
            at=self.now,
            reason=action.reason,
            basis=action.basis,
            operation_id=OperationId("op_" + tx.txid[:22]),
        )
        self.log.append(f"  {action.kind.value} {dict(action.params)} -> {fate.name}")
        self.audit.record_sent(tx.txid, self._sent(action))
        self.txs[tx.txid] = tx
        if fate is Fate.HELD_RECORDED:
            self._store(op)
            return
        if fate is Fate.LOST_BEFORE_NODE:
            self._store(op.with_maybe_delivered(at=self.now))
            return
        self._store(self._send(op, tx, ambiguous=fate is Fate.LOST_ANSWER))
        if fate is Fate.UNPACKED:
            self.unpacked_until[tx.txid] = self.chain.head_block + 3
        elif fate is Fate.DROPPED:
            self.stats.dropped += 1
            self.chain.drop(tx.txid)

    def _send(self, op: Operation, tx: Tx, *, ambiguous: bool) -> Operation:
        """One attempt. Accepted → ``broadcast``; refused on a first definitive answer →
        ``rejected``; refused after an attempt whose outcome was lost → ``attempt_failed`` (the
        error is noted, the operation stays ``recorded``); DUP means the node has it."""
        try:
            self.chain.broadcast(tx)
        except Rejected as exc:
            if ambiguous:
                return op.with_maybe_delivered(at=self.now)
            if exc.code == "DUP_TRANSACTION_ERROR":
                return self._fire(op, Trigger.SENT)
            if op.maybe_delivered:
                self.stats.refused_after_ambiguity += 1
                return self._fire(op.with_error(exc.message, at=self.now), Trigger.ATTEMPT_FAILED)
            self.refusals.append(f"{op.kind.value} {op.intent_key}: {exc.message}")
            self.log.append(f"  refused {op.kind.value}: {exc.message}")
            refused = self._fire(op.with_error(exc.message, at=self.now), Trigger.REFUSED)
            self.final_since_ms[op.id] = self.chain.head_time_ms
            return refused.with_final_at(self.chain.head_time_ms, at=self.now)
        delivered = op.with_maybe_delivered(at=self.now)
        return delivered if ambiguous else self._fire(delivered, Trigger.SENT)

    def _resend_recorded(self) -> None:
        for op in list(self.operations.values()):
            if op.state is OperationState.RECORDED and self.chain.receipt(op.txid) is None:
                tx = self.txs[op.txid]
                self._store(self._send(op, tx, ambiguous=False))

    def _store(self, op: Operation) -> None:
        self.operations[op.id] = op.with_version(op.version + 1)

    def _fire(
        self, op: Operation, trigger: Trigger, facts: operation_machine.Facts | None = None
    ) -> Operation:
        _, record = operation_machine.fire(op, trigger, at=self.now, facts=facts)
        return op.with_transition(record)

    def _sent(self, action: planner.Action) -> Sent:
        named = [self.positions[pid] for pid in action.position_ids]
        receiver = action.params.get("receiver_address")
        resource = action.params.get("resource")
        return Sent(
            contract=Contract(action.kind.value),
            generations={p.id: p.generation for p in named},
            amounts={p.id: p.amount_sun for p in named},
            resource=StakingResourceType(str(resource)) if resource else None,
            receiver=Address(receiver) if isinstance(receiver, str) else None,
            position_votes={
                pid: {vote.witness: vote.count for vote in votes}
                for pid, votes in action.position_votes.items()
            },
        )

    # -- the reconciler's bookkeeping -------------------------------------------------------------

    def _advance_operations(self) -> None:
        solid, solid_time = self.chain.solid_block, self.chain.solid_time_ms
        for op in self.in_flight():
            current = op
            inclusion = self.chain.receipt(op.txid)
            if inclusion is not None and current.state is not OperationState.INCLUDED:
                current = current.with_inclusion(
                    block=inclusion.block,
                    block_time_ms=inclusion.block_time_ms,
                    fee_sun=inclusion.fee_sun,
                    at=self.now,
                )
                current = self._fire(current, Trigger.SEEN_IN_BLOCK)
            if inclusion is not None and inclusion.block <= solid:
                facts = operation_machine.Facts.of(current, solid_block_number=solid)
                current = self._fire(current, Trigger.BECAME_SOLID, facts)
                self.final_since_ms[op.id] = self.chain.head_time_ms
            if inclusion is None and solid_time > op.expiration_ms:
                facts = operation_machine.Facts.of(
                    current, solid_block_time_ms=solid_time, found_on_chain=False
                )
                current = self._fire(current, Trigger.PROVEN_EXPIRED, facts)
                current = current.with_final_at(self.chain.head_time_ms, at=self.now)
                self.final_since_ms[op.id] = self.chain.head_time_ms
            if current is not op:
                self._store(current)

    # -- the planner's promises -------------------------------------------------------------------

    def _check_plan(self, plan: planner.Plan) -> None:
        non_final = self.in_flight()
        keys = {op.intent_key for op in non_final}
        seen: set[str] = set()
        for action in plan.actions:
            if action.intent_key in keys or action.intent_key in seen:
                self.violations.append(f"{action.intent_key} planned while one is not final")
            seen.add(action.intent_key)
            if action.kind not in ADDITIVE:
                continue
            for op in non_final:
                shared = set(op.position_ids) & set(action.position_ids)
                if op.kind is action.kind and shared:
                    self.violations.append(
                        f"{action.kind.value} planned for {sorted(shared)} while "
                        f"{op.kind.value} {op.txid[:12]} ({op.state.value}) names them"
                    )
            named = [self.positions[pid] for pid in action.position_ids]
            if not named:
                self.violations.append(f"additive action for no position: {action}")
            if not _amount_fits(action, named):
                self.violations.append(f"{action.kind.value} amount is not the positions'")
            if action.kind is Kind.UNFREEZE and not all(p.unstake_requested for p in named):
                self.violations.append(f"unfreeze for positions not unstaking: {action}")

    # -- time -----------------------------------------------------------------------------------

    def mine(self, *, advance_ms: int = model_state.BLOCK_MS) -> None:
        """Mine one block (unpacked transactions stay in the pool until their block), then
        audit what it did."""
        hold = {t for t, until in self.unpacked_until.items() if until > self.chain.head_block}
        self.chain.mine(hold=hold, advance_ms=advance_ms)
        self._audit_new_blocks()

    def _audit_new_blocks(self) -> None:
        for number in range(self.packed_upto + 1, self.chain.head_block + 1):
            time_ms, state = self.chain.history[number]
            for inclusion in (i for i in self.chain.included.values() if i.block == number):
                tx = inclusion.tx
                if tx.outside:
                    self.audit.on_outside(tx.contract, tx.params, state, time_ms)
                else:
                    self.audit.on_included(tx.txid, tx.contract, tx.params, state, time_ms)
            self.audit.check_block(state, number)
        self.packed_upto = self.chain.head_block

    def idle(self) -> bool:
        return not (
            self.chain.pool or self.in_flight() or (self.last_plan and self.last_plan.actions)
        )

    def wait(self) -> None:
        """Mine the next block; or, when only finality is awaited, the blocks until the first
        included operation is solid; or, when idle, jump to when the plan wants to look again."""
        plan = self.last_plan
        pending = self.in_flight()
        if plan is not None and not plan.actions and not self.chain.pool and pending:
            blocks = [op.block for op in pending if op.state is OperationState.INCLUDED]
            if len(blocks) == len(pending):
                for _ in range(
                    max(
                        1,
                        min(b for b in blocks if b) + self.chain.solid_lag - self.chain.head_block,
                    )
                ):
                    self.mine()
                return
        if plan is None or not self.idle():
            self.mine()
            return
        delay_ms = max(math.ceil(plan.requeue_after_s * 1000), model_state.BLOCK_MS)
        delay_ms += -delay_ms % model_state.BLOCK_MS
        self.mine(advance_ms=delay_ms)

    def settle(self, max_rounds: int) -> int:
        """Healthy reconciles (every transaction packed at once) until converged; the rounds
        it took, or -1."""
        for round_ in range(max_rounds):
            self.reconcile()
            if self.converged():
                return round_
            self.wait()
        return -1

    def converged(self) -> bool:
        return not self.in_flight() and all(map(settled, self.positions.values()))

    def not_ready(self) -> list[str]:
        return [
            f"{p.id[:10]} {p.state.value}->{p.target_state.value} "
            + str([(c.type.value, c.status.value, c.reason) for c in p.conditions])
            for p in self.positions.values()
            if not settled(p)
        ]

    def stalled(self, position: Position) -> str | None:
        condition = position.condition(ConditionType.STALLED)
        if condition is None or condition.status.value != "True":
            return None
        return condition.reason

    def budget_refusals(self) -> list[str]:
        return [r for r in self.refusals if any(reason in r for reason in BUDGET_REASONS)]


def _amount_fits(action: planner.Action, named: list[Position]) -> bool:
    """An additive action moves exactly its positions' amounts; a freeze may repair part of a
    position whose stake an outside unfreeze took (at least 1 TRX, at most the position)."""
    whole = sum(p.amount_sun for p in named if p.state is StakingStatusType.PENDING)
    if action.kind is not Kind.FREEZE:
        return action.amount_sun == sum(p.amount_sun for p in named)
    repaired = [p for p in named if p.state is not StakingStatusType.PENDING]
    most = whole + sum(max(p.amount_sun, model_state.SUN) for p in repaired)
    return action.amount_sun == whole if not repaired else whole < action.amount_sun <= most


FINAL_STALLS = frozenset({"VotesCannotBeCleared"})
"""Reasons a spec legitimately never reaches its state (issue 8, defect 6a: java-tron refuses
an empty vote list, so the last votes leave only with the stake)."""


def settled(position: Position) -> bool:
    """At its target state and Ready, or held by a reason the chain makes final."""
    if position.state is position.target_state and position.ready:
        return True
    ready = position.condition(ConditionType.READY)
    return ready is not None and ready.reason in FINAL_STALLS
