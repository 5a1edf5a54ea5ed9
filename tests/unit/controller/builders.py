"""Builders of realistic planner inputs: addresses, specs, positions, snapshots, operations."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

from tron_staking.controller import planner
from tron_staking.domain import addresses
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import (
    OperationState,
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.ids import OperationId, PositionId, TxId
from tron_staking.domain.operation import JsonValue, Operation
from tron_staking.domain.position import ChainDelegation, Position
from tron_staking.domain.snapshot import AccountSnapshot, DelegationOut, UnfreezingEntry
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight
from tron_staking.domain.votes import WitnessVote

SUN = 1_000_000
T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
CHAIN_T0 = 1_800_000_000_000
HEAD = 1000
DAY_MS = 86_400_000

# The short names the planner tests read by.
Kind = StakingOperationType
State = StakingStatusType
OpState = OperationState
EN, BW = StakingResourceType.ENERGY, StakingResourceType.BANDWIDTH
POLICY = planner.PlannerPolicy()
NOW = CHAIN_T0


def address(name: str) -> Address:
    return addresses.from_bytes(b"\x41" + hashlib.sha256(name.encode()).digest()[:20])


OWNER = address("owner")
RECEIVER = address("receiver")
RECEIVER2 = address("receiver-2")
WITNESSES = tuple(sorted(address(f"witness-{i}") for i in range(40)))
W1, W2, W3 = WITNESSES[0], WITNESSES[1], WITNESSES[2]


def pid(name: str) -> PositionId:
    body = hashlib.sha256(name.encode()).hexdigest()[:22]
    return PositionId("pos_" + body.replace("f", "F"))


def txid(name: str) -> TxId:
    return TxId(hashlib.sha256(name.encode()).hexdigest())


def spec(
    amount_trx: int = 1000,
    *,
    resource: StakingResourceType = StakingResourceType.ENERGY,
    votes: Mapping[Address, int] | None = None,
    delegate: Address | None = None,
    lock: bool = False,
    lock_period_blocks: int | None = None,
    auto_claim: bool = False,
    owner: Address = OWNER,
) -> PositionSpec:
    return PositionSpec(
        owner=owner,
        resource=resource,
        amount_sun=amount_trx * SUN,
        votes=tuple(VoteWeight(witness=w, weight=x) for w, x in (votes or {}).items()),
        delegate=(
            DelegateSpec(receiver=delegate, lock=lock, lock_period_blocks=lock_period_blocks)
            if delegate
            else None
        ),
        auto_claim=auto_claim,
    )


def position(
    name: str,
    position_spec: PositionSpec,
    *,
    state: StakingStatusType = StakingStatusType.PENDING,
    created_minute: int = 0,
    votes_cast: Sequence[WitnessVote] = (),
    delegation: ChainDelegation | None = None,
    unstake: bool = False,
    unfreeze_expire_time_ms: int | None = None,
    applied: Sequence[OperationId] = (),
    generation: int = 1,
) -> Position:
    at = T0 + dt.timedelta(minutes=created_minute)
    return Position(
        id=pid(name),
        spec=position_spec,
        created_by="alice",
        created_at=at,
        updated_at=at,
        state=state,
        unstake_requested=unstake,
        generation=generation,
        votes_cast=tuple(votes_cast),
        delegation=delegation,
        unfreeze_expire_time_ms=unfreeze_expire_time_ms,
        applied_operations=tuple(applied),
    )


def delegation_of(p: PositionSpec) -> ChainDelegation:
    assert p.delegate is not None
    return ChainDelegation(
        receiver=p.delegate.receiver,
        resource=p.resource,
        lock=p.delegate.lock,
        lock_period_blocks=p.delegate.effective_lock_period_blocks,
        amount_sun=p.amount_sun,
    )


def wv(witness: Address, count: int) -> WitnessVote:
    return WitnessVote(witness=witness, count=count)


def snapshot(
    *,
    balance_trx: int = 100_000,
    frozen: Mapping[StakingResourceType, int] | None = None,
    delegations: Sequence[DelegationOut] = (),
    unfreezing: Sequence[UnfreezingEntry] = (),
    votes: Sequence[WitnessVote] = (),
    tron_power_limit: int | None = None,
    exists: bool = True,
    head: int = HEAD,
    time_ms: int = CHAIN_T0,
    free_bytes: int = 0,
    staked_bytes: int = 100_000,
    can_delegate: Mapping[StakingResourceType, int] | None = None,
    receivers: Mapping[Address, bool] | None = None,
    reward_sun: int = 0,
    latest_withdraw_time_ms: int | None = None,
    available_unfreeze_count: int | None = None,
    witnesses: Sequence[Address] = WITNESSES,
) -> AccountSnapshot:
    frozen_sun = {r: 0 for r in StakingResourceType} | dict(frozen or {})
    delegated = sum(d.amount_sun for d in delegations)
    tron_power = (sum(frozen_sun.values()) + delegated) // SUN
    pending = sum(1 for e in unfreezing if e.expire_time_ms > time_ms)
    return AccountSnapshot(
        owner=OWNER,
        exists=exists,
        head_block_number=head,
        head_block_time_ms=time_ms,
        solid_block_number=head - 19,
        solid_block_time_ms=time_ms - 19 * 3000,
        balance_sun=balance_trx * SUN,
        frozen_sun=frozen_sun,
        unfreezing=tuple(unfreezing),
        delegations=tuple(delegations),
        votes=tuple(votes),
        tron_power_limit=tron_power if tron_power_limit is None else tron_power_limit,
        tron_power_used=sum(v.count for v in votes),
        reward_sun=reward_sun,
        allowance_sun=reward_sun,
        latest_withdraw_time_ms=latest_withdraw_time_ms,
        available_unfreeze_count=(
            32 - pending if available_unfreeze_count is None else available_unfreeze_count
        ),
        free_bandwidth_available_bytes=free_bytes,
        staked_bandwidth_available_bytes=staked_bytes,
        can_delegate_max_sun=dict(can_delegate) if can_delegate is not None else frozen_sun,
        receivers_activated=(
            dict(receivers) if receivers is not None else {RECEIVER: True, RECEIVER2: True}
        ),
        witnesses=frozenset(witnesses),
    )


def operation(
    name: str,
    kind: StakingOperationType,
    positions: Sequence[Position],
    params: Mapping[str, JsonValue],
    *,
    state: OperationState = OperationState.INCLUDED,
    block: int | None = HEAD - 1,
    block_time_ms: int | None = CHAIN_T0 - 3000,
    position_votes: Mapping[PositionId, tuple[WitnessVote, ...]] | None = None,
    intent_key: str | None = None,
    expiration_ms: int = CHAIN_T0 + 60_000,
) -> Operation:
    landed = state in (OperationState.INCLUDED, OperationState.SOLIDIFIED)
    return Operation(
        id=OperationId("op_" + hashlib.sha256(name.encode()).hexdigest()[:22]),
        kind=kind,
        owner=OWNER,
        intent_key=intent_key or f"{kind.value}:{OWNER}",
        position_ids=tuple(p.id for p in positions),
        params={"owner_address": OWNER, **params},
        position_votes=dict(position_votes or {}),
        txid=txid(name),
        expiration_ms=expiration_ms,
        state=state,
        block=block if landed else None,
        block_time_ms=block_time_ms if landed else None,
        created_at=T0,
        updated_at=T0,
    )
