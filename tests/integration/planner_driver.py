"""A reconcile loop around the pure planner, driven against the devnet through tronpy.

``PlannerDriver.reconcile`` does what the reconciler does, with tronpy and the devnet in
place of the chain adapter, the executor and the stores: read the owner's chain state and map
it with ``tron_staking.chain.snapshot``, advance the in-flight operations from
``gettransactioninfobyid`` through the operation machine, plan, apply the position updates,
then build each action with tronpy, sign it with the owner's devnet key, broadcast it and
keep it as an in-flight ``Operation``. Nothing is persisted: positions and operations live in
memory. A node rejection is recorded (it is a finding about the planner) and stops ``run``.

Blocks are mined by ``run``, never by a broadcast: several actions of one reconcile land in
the same block, as on a real chain. With ``defer_broadcast`` an action is recorded (txid
known, transaction signed) in one reconcile and broadcast only at the start of the next, so
the planner also sees operations sitting ``recorded``; with ``reconciles_per_block`` above 1
it sees them sitting ``broadcast`` too. ``effective_at`` and ``ready_at`` keep, per position,
the first head block at which its state matched its target and at which it was Ready;
``reached`` and ``final`` the first head block at which it was in a state, and at which it was
in that state with every operation serving it final.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from tronpy import AsyncTron
from tronpy import exceptions as tronpy_errors
from tronpy.async_tron import AsyncTransaction, AsyncTransactionBuilder

from tests.support.devnet import Devnet, DevnetAccount
from tron_staking.chain import snapshot
from tron_staking.controller import planner
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import (
    ConditionStatus,
    ConditionType,
    OperationState,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.enums import StakingOperationType as Kind
from tron_staking.domain.history import TransitionRecord
from tron_staking.domain.ids import OperationId, PositionId, TxId
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.statemachine import operation as operation_machine

_REJECTIONS = (
    tronpy_errors.ValidationError,
    tronpy_errors.BadSignature,
    tronpy_errors.TaposError,
    tronpy_errors.TransactionError,
    tronpy_errors.UnknownError,
    tronpy_errors.ApiError,
)


@dataclasses.dataclass
class PlannerDriver:
    devnet: Devnet
    tron: AsyncTron
    owner: DevnetAccount
    positions: dict[PositionId, Position]
    policy: planner.PlannerPolicy = dataclasses.field(default_factory=planner.PlannerPolicy)
    operations: dict[OperationId, Operation] = dataclasses.field(default_factory=dict)
    history: list[TransitionRecord] = dataclasses.field(default_factory=list)
    plans: list[planner.Plan] = dataclasses.field(default_factory=list)
    rejections: list[str] = dataclasses.field(default_factory=list)
    observed: AccountSnapshot | None = None
    defer_broadcast: bool = False
    unsent: list[tuple[OperationId, AsyncTransaction]] = dataclasses.field(default_factory=list)
    effective_at: dict[PositionId, int] = dataclasses.field(default_factory=dict)
    ready_at: dict[PositionId, int] = dataclasses.field(default_factory=dict)
    reached: dict[tuple[PositionId, StakingStatusType], int] = dataclasses.field(
        default_factory=dict
    )
    final: dict[tuple[PositionId, StakingStatusType], int] = dataclasses.field(default_factory=dict)

    @property
    def address(self) -> Address:
        return Address(self.owner.address)

    def in_flight(self) -> list[Operation]:
        return [op for op in self.operations.values() if op.in_flight]

    # -- reading the chain ----------------------------------------------------------------------

    async def _read(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.tron.provider.make_request(path, body)
        return result

    async def observe(self) -> AccountSnapshot:
        head = await self._read("wallet/getnowblock", {})
        solid = await self._read("walletsolidity/getnowblock", {})
        owner = self.address
        receivers = sorted(
            {
                p.spec.delegate.receiver
                for p in self.positions.values()
                if p.spec.delegate is not None
            }
            | {p.delegation.receiver for p in self.positions.values() if p.delegation}
        )
        visible: dict[str, Any] = {"visible": True}
        observed = snapshot.build(
            owner,
            account=await self._read("wallet/getaccount", {"address": owner, **visible}),
            account_resource=await self._read(
                "wallet/getaccountresource", {"address": owner, **visible}
            ),
            delegated_resources={
                receiver: await self._read(
                    "wallet/getdelegatedresourcev2",
                    {"fromAddress": owner, "toAddress": receiver, **visible},
                )
                for receiver in receivers
            },
            can_delegated_max_size={
                resource: await self._read(
                    "wallet/getcandelegatedmaxsize",
                    {"owner_address": owner, "type": resource.code, **visible},
                )
                for resource in StakingResourceType
            },
            available_unfreeze_count=await self._read(
                "wallet/getavailableunfreezecount", {"owner_address": owner, **visible}
            ),
            reward=await self._read("wallet/getReward", {"address": owner}),
            witnesses=await self._read("wallet/listwitnesses", {}),
            receiver_accounts={
                receiver: await self._read("wallet/getaccount", {"address": receiver, **visible})
                for receiver in receivers
            },
            head_block_number=_number(head),
            head_block_time_ms=_timestamp(head),
            solid_block_number=_number(solid),
            solid_block_time_ms=_timestamp(solid),
        )
        self.observed = observed
        return observed

    # -- one reconcile ----------------------------------------------------------------------------

    async def reconcile(self) -> planner.Plan:
        await self._broadcast_unsent()
        observed = await self.observe()
        now = _at(observed.head_block_time_ms)
        await self._advance_operations(observed, now)
        plan = planner.plan(
            list(self.positions.values()),
            observed,
            list(self.operations.values()),
            observed.head_block_time_ms,
            self.policy,
        )
        self.plans.append(plan)
        for update in plan.updates:
            current = self.positions[update.position_id]
            new, records = planner.apply_update(current, update, at=now)
            self.positions[new.id] = new.with_version(new.version + 1)
            self.history.extend(records)
        self._measure(observed.head_block_number)
        for action in plan.actions:
            if not await self._execute(action, now):
                break
        return plan

    def _measure(self, head: int) -> None:
        for p in self.positions.values():
            self.reached.setdefault((p.id, p.state), head)
            if not any(p.id in op.position_ids for op in self.in_flight()):
                self.final.setdefault((p.id, p.state), head)
            if p.state is p.target_state:
                self.effective_at.setdefault(p.id, head)
            if p.state is p.target_state and _ready(p):
                self.ready_at.setdefault(p.id, head)

    def forget_measurements(self) -> None:
        self.effective_at.clear()
        self.ready_at.clear()
        self.reached.clear()
        self.final.clear()

    async def _broadcast_unsent(self) -> None:
        now = _at(await self.devnet.head_time_ms())
        unsent, self.unsent = self.unsent, []
        for op_id, tx in unsent:
            try:
                await tx.broadcast()
            except _REJECTIONS as exc:
                self.rejections.append(f"{self.operations[op_id].kind.value}: {exc!r}")
                continue
            self.operations[op_id] = _fire(
                self.operations[op_id], operation_machine.Trigger.SENT, now
            )

    async def _advance_operations(self, observed: AccountSnapshot, now: dt.datetime) -> None:
        for op in self.in_flight():
            info = await self._read(
                "wallet/gettransactioninfobyid", {"value": op.txid, "visible": True}
            )
            current = op
            if info and current.state is not OperationState.INCLUDED:
                current = current.with_inclusion(
                    block=int(info["blockNumber"]),
                    block_time_ms=int(info["blockTimeStamp"]),
                    fee_sun=int(info.get("fee", 0)),
                    at=now,
                )
                current = _fire(current, operation_machine.Trigger.SEEN_IN_BLOCK, now)
            if info and current.block is not None and current.block <= observed.solid_block_number:
                facts = operation_machine.Facts.of(
                    current, solid_block_number=observed.solid_block_number
                )
                current = _fire(current, operation_machine.Trigger.BECAME_SOLID, now, facts)
            if not info:
                facts = operation_machine.Facts.of(
                    current, solid_block_time_ms=observed.solid_block_time_ms, found_on_chain=False
                )
                if operation_machine.next_state(
                    current.state, operation_machine.Trigger.PROVEN_EXPIRED, facts
                ):
                    current = _fire(current, operation_machine.Trigger.PROVEN_EXPIRED, now, facts)
            self.operations[op.id] = current

    # -- executing an action ----------------------------------------------------------------------

    def _build(self, action: planner.Action) -> AsyncTransactionBuilder:
        trx = self.tron.trx
        p = action.params
        owner = self.owner.address
        if action.kind is Kind.FREEZE:
            return trx.freeze_balance(owner, int(str(p["frozen_balance"])), str(p["resource"]))
        if action.kind is Kind.UNFREEZE:
            return trx.unfreeze_balance(
                owner, str(p["resource"]), unfreeze_balance=int(str(p["unfreeze_balance"]))
            )
        if action.kind is Kind.VOTE:
            entries = p["votes"]
            assert isinstance(entries, list)
            return trx.vote_witness(
                owner, *((str(e["vote_address"]), int(str(e["vote_count"]))) for e in entries)
            )
        if action.kind is Kind.DELEGATE:
            period = p.get("lock_period")
            return trx.delegate_resource(
                owner,
                str(p["receiver_address"]),
                int(str(p["balance"])),
                str(p["resource"]),
                lock=bool(p.get("lock", False)),
                lock_period=None if period is None else int(str(period)),
            )
        if action.kind is Kind.UNDELEGATE:
            return trx.undelegate_resource(
                owner, str(p["receiver_address"]), int(str(p["balance"])), str(p["resource"])
            )
        if action.kind is Kind.WITHDRAW_EXPIRE_UNFREEZE:
            return trx.withdraw_stake_balance(owner)
        assert action.kind is Kind.CLAIM_REWARDS
        return trx.withdraw_rewards(owner)

    async def _execute(self, action: planner.Action, now: dt.datetime) -> bool:
        builder = self._build(action)
        if self.defer_broadcast:
            return await self._record(action, builder, now)
        try:
            ret = await self.devnet.send(builder, self.owner)
        except _REJECTIONS as exc:
            self.rejections.append(f"{action.kind.value}: {exc!r} ({action.reason})")
            return False
        op = Operation.new(
            kind=action.kind,
            owner=self.address,
            intent_key=action.intent_key,
            position_ids=action.position_ids,
            params=action.params,
            position_votes=action.position_votes,
            txid=TxId(ret.txid),
            expiration_ms=int(builder._raw_data["expiration"]),
            at=now,
            reason=action.reason,
            basis=action.basis,
        )
        op = _fire(op, operation_machine.Trigger.SENT, now)
        self.operations[op.id] = op
        return True

    async def _record(
        self, action: planner.Action, builder: AsyncTransactionBuilder, now: dt.datetime
    ) -> bool:
        """Build and sign now, keep the operation ``recorded``, broadcast next reconcile."""
        head_ms = await self.devnet.head_time_ms()
        builder._raw_data["expiration"] = head_ms + 60_000
        tx = await builder.build()
        tx.sign(self.owner.key)
        op = Operation.new(
            kind=action.kind,
            owner=self.address,
            intent_key=action.intent_key,
            position_ids=action.position_ids,
            params=action.params,
            position_votes=action.position_votes,
            txid=TxId(tx.txid),
            expiration_ms=head_ms + 60_000,
            at=now,
            reason=action.reason,
            basis=action.basis,
        )
        self.operations[op.id] = op
        self.unsent.append((op.id, tx))
        return True

    # -- the loop ---------------------------------------------------------------------------------

    def converged(self) -> bool:
        return not self.in_flight() and all(
            p.state is p.target_state and _ready(p) for p in self.positions.values()
        )

    async def run(self, max_rounds: int, *, reconciles_per_block: int = 1) -> int:
        """Reconcile (``reconciles_per_block`` times) and mine one block per round until
        converged; the rounds it took.

        Stops early on a rejection; returns ``max_rounds + 1`` if it did not converge."""
        for round_number in range(1, max_rounds + 1):
            for _ in range(reconciles_per_block):
                await self.reconcile()
            if self.rejections:
                return max_rounds + 1
            if self.converged() and not self.unsent:
                return round_number
            await self.devnet.mine(1)
        return max_rounds + 1

    def not_ready(self) -> list[str]:
        return [
            f"{p.id} {p.state}→{p.target_state} "
            f"{[(c.type.value, c.status.value, c.reason, c.message) for c in p.conditions]}"
            for p in self.positions.values()
            if not (p.state is p.target_state and _ready(p))
        ]


def _fire(
    op: Operation,
    trigger: operation_machine.Trigger,
    at: dt.datetime,
    facts: operation_machine.Facts | None = None,
) -> Operation:
    _, record = operation_machine.fire(op, trigger, at=at, facts=facts)
    return op.with_transition(record)


def _ready(position: Position) -> bool:
    condition = position.condition(ConditionType.READY)
    return condition is not None and condition.status is ConditionStatus.TRUE


def _number(block: dict[str, Any]) -> int:
    return int(block["block_header"]["raw_data"].get("number", 0))


def _timestamp(block: dict[str, Any]) -> int:
    return int(block["block_header"]["raw_data"].get("timestamp", 0))


def _at(chain_time_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(chain_time_ms / 1000, tz=dt.UTC)
