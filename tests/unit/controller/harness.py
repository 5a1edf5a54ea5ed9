"""A reconcile loop around the pure planner and the chain model, for the property tests.

``World.reconcile`` does what the reconciler will do, with the chain model in place of the
node: observe, advance the operations through the operation machine, plan, apply the position
updates through the position machine, then record and broadcast each action. ``World.wait``
mines the next block, or jumps to the time the plan asked to be woken at. Every round checks
the planner's promises and collects violations instead of stopping at the first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from tests.unit.controller import chain_model
from tests.unit.controller.chain_model import Chain, Rejected, Tx
from tron_staking.controller import planner
from tron_staking.domain import idempotency, votes
from tron_staking.domain.enums import (
    ConditionType,
    OperationState,
    StakingOperationType,
    StakingResourceType,
)
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.ids import OperationId, PositionId
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.statemachine import operation as operation_machine

Kind = StakingOperationType
EXPIRATION_MS = 60_000


@dataclasses.dataclass
class World:
    chain: Chain
    positions: dict[PositionId, Position]
    policy: planner.PlannerPolicy
    operations: dict[OperationId, Operation] = dataclasses.field(default_factory=dict)
    history: list[TransitionRecord] = dataclasses.field(default_factory=list)
    plans: list[planner.Plan] = dataclasses.field(default_factory=list)
    violations: list[str] = dataclasses.field(default_factory=list)
    rejections: list[str] = dataclasses.field(default_factory=list)
    claim_requested: bool = False

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.chain.head_time_ms / 1000, tz=dt.UTC)

    def in_flight(self) -> list[Operation]:
        return [op for op in self.operations.values() if op.in_flight]

    # -- one reconcile ------------------------------------------------------------------------

    def reconcile(self) -> planner.Plan:
        observed = self.chain.snapshot()
        self._advance_operations(observed.solid_block_number, observed.solid_block_time_ms)
        before = {op.intent_key for op in self.in_flight()}
        plan = planner.plan(
            list(self.positions.values()),
            observed,
            list(self.operations.values()),
            observed.head_block_time_ms,
            self.policy,
            claim_requested=self.claim_requested,
        )
        self.plans.append(plan)
        for update in plan.updates:
            current = self.positions[update.position_id]
            new, records = planner.apply_update(current, update, at=self.now)
            self.positions[new.id] = new.with_version(new.version + 1)
            self.history.extend(records)
        self._check_actions(plan, before)
        self._check_limits(plan, observed)
        for action in plan.actions:
            self._execute(action)
        keys = [op.intent_key for op in self.in_flight()]
        if len(keys) != len(set(keys)):
            self.violations.append(f"two in-flight operations share an intent key: {keys}")
        return plan

    def _advance_operations(self, solid_block: int, solid_time_ms: int) -> None:
        for op in self.in_flight():
            inclusion = self.chain.included.get(op.txid)
            current = op
            if inclusion is not None and current.state is not OperationState.INCLUDED:
                current = current.with_inclusion(
                    block=inclusion.block,
                    block_time_ms=inclusion.block_time_ms,
                    fee_sun=inclusion.fee_sun,
                    at=self.now,
                )
                current = self._fire(current, operation_machine.Trigger.SEEN_IN_BLOCK)
            if inclusion is not None and current.block is not None and current.block <= solid_block:
                facts = operation_machine.Facts.of(current, solid_block_number=solid_block)
                current = self._fire(current, operation_machine.Trigger.BECAME_SOLID, facts)
            if inclusion is None:
                facts = operation_machine.Facts.of(
                    current, solid_block_time_ms=solid_time_ms, found_on_chain=False
                )
                if operation_machine.next_state(
                    current.state, operation_machine.Trigger.PROVEN_EXPIRED, facts
                ):
                    current = self._fire(current, operation_machine.Trigger.PROVEN_EXPIRED, facts)
            self.operations[op.id] = current

    def _fire(
        self,
        op: Operation,
        trigger: operation_machine.Trigger,
        facts: operation_machine.Facts | None = None,
    ) -> Operation:
        _, record = operation_machine.fire(op, trigger, at=self.now, facts=facts)
        return op.with_transition(record)

    def _execute(self, action: planner.Action) -> None:
        tx = Tx(
            txid=self.chain.new_txid(),
            kind=action.kind,
            params=dict(action.params),
            expiration_ms=self.chain.head_time_ms + EXPIRATION_MS,
        )
        op = Operation.new(
            kind=action.kind,
            owner=self.chain.owner,
            intent_key=action.intent_key,
            position_ids=action.position_ids,
            params=action.params,
            position_votes=action.position_votes,
            txid=tx.txid,
            expiration_ms=tx.expiration_ms,
            at=self.now,
            reason=action.reason,
        )
        try:
            self.chain.broadcast(tx)
        except Rejected as exc:
            self.rejections.append(f"{action.kind.value}: {exc} ({action.reason})")
            op = self._fire(op, operation_machine.Trigger.REFUSED)
        else:
            op = self._fire(op, operation_machine.Trigger.SENT)
        self.operations[op.id] = op

    # -- the planner's promises ---------------------------------------------------------------

    def _check_actions(self, plan: planner.Plan, in_flight_keys: set[str]) -> None:
        seen: set[str] = set()
        for action in plan.actions:
            if action.intent_key in in_flight_keys or action.intent_key in seen:
                self.violations.append(f"{action.intent_key} planned while one is in flight")
            seen.add(action.intent_key)
            named = [self.positions[p] for p in action.position_ids]
            if action.kind is Kind.UNFREEZE:
                if not all(p.unstake_requested for p in named):
                    self.violations.append(f"unfreeze for positions not unstaking: {action}")
                if action.amount_sun != sum(p.amount_sun for p in named):
                    self.violations.append(f"unfreeze amount is not the positions': {action}")
            if action.kind is Kind.UNDELEGATE:
                held = sum(p.delegation.amount_sun for p in named if p.delegation)
                if action.amount_sun != held:
                    self.violations.append(f"undelegate amount is not the positions': {action}")
                for p in named:
                    if (
                        not p.unstake_requested
                        and p.delegation
                        and p.delegation.matches(p.spec.delegate)
                    ):
                        self.violations.append(f"undelegate of a wanted delegation: {action}")
            if action.kind in (Kind.FREEZE, Kind.DELEGATE) and action.amount_sun != sum(
                p.amount_sun for p in named
            ):
                self.violations.append(f"{action.kind} amount is not the positions': {action}")
            if idempotency.is_additive(action.kind) and not named:
                self.violations.append(f"additive action for no position: {action}")

    def _check_limits(self, plan: planner.Plan, observed: AccountSnapshot) -> None:
        """The plan spends at most the balance (amounts and fees) and votes at most the tron
        power the chain reports."""
        spent = sum(a.fee_sun for a in plan.actions) + sum(
            a.amount_sun for a in plan.actions if a.kind is Kind.FREEZE
        )
        if spent > observed.balance_sun:
            self.violations.append(f"plan spends {spent} sun of {observed.balance_sun}")
        for action in plan.actions:
            if action.kind is Kind.VOTE:
                entries = action.params["votes"]
                assert isinstance(entries, list)
                total = sum(int(str(e["vote_count"])) for e in entries if isinstance(e, dict))
                if total > observed.tron_power_limit:
                    self.violations.append(f"votes {total} exceed {observed.tron_power_limit}")

    def check_holdings(self) -> None:
        """What the positions claim, the chain holds (after the plan was applied)."""
        for resource in StakingResourceType:
            claimed = sum(
                p.amount_sun
                for p in self.positions.values()
                if p.resource is resource and p.state.holds_stake
            )
            if claimed > self.chain.staked(resource):
                self.violations.append(
                    f"positions claim {claimed} sun of {resource}; chain holds "
                    f"{self.chain.staked(resource)}"
                )
        cast = votes.add(*(votes.by_witness(p.votes_cast) for p in self.positions.values()))
        have = votes.by_witness(self.chain.account.votes)
        for witness, count in cast.items():
            if have.get(witness, 0) < count:
                self.violations.append(f"positions claim {count} votes for {witness}; chain {have}")

    # -- time ---------------------------------------------------------------------------------

    def wait(self, plan: planner.Plan) -> None:
        """Mine the next block, or jump to when the plan wants to look again."""
        if self.chain.pending or self.in_flight() or plan.actions:
            self.chain.mine()
            return
        delay_ms = max(plan.requeue_after_s * 1000, chain_model.BLOCK_MS)
        delay_ms += -delay_ms % chain_model.BLOCK_MS
        self.chain.mine(advance_ms=delay_ms)
        # the solid block catches up with the jump
        self.chain.mine()
        self.chain.mine()

    def run(self, rounds: int) -> planner.Plan:
        plan = self.reconcile()
        for _ in range(rounds):
            if self.converged():
                break
            self.wait(plan)
            plan = self.reconcile()
        return plan

    def converged(self) -> bool:
        return (
            all(p.state is p.target_state and _ready(p) for p in self.positions.values())
            and not self.in_flight()
        )

    def not_ready(self) -> Iterable[str]:
        for p in self.positions.values():
            if not (p.state is p.target_state and _ready(p)):
                condition = [
                    (c.type.value, c.status.value, c.reason, c.message) for c in p.conditions
                ]
                yield f"{p.id} {p.state}→{p.target_state} {condition}"


def _ready(p: Position) -> bool:
    condition = p.condition(ConditionType.READY)
    return condition is not None and condition.status.value == "True"
