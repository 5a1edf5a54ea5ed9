"""The request and response shapes of the API (pydantic v2), also the source of
``/openapi.json``.

Request models forbid unknown fields and use strict scalar types (no "1" for 1, no 1 for
true); the domain then checks what pydantic cannot (address checksums, chain facts) and names
the field it refuses. Response models describe exactly what the routes send: the routes build
them and dump them with ``by_alias=True`` (``from`` in transitions).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from tron_staking.domain import spec

ADDRESS_EXAMPLE = "TLyqzVGLV1srkB7dToTAEqgDSfPtXRJZYH"
WITNESS_EXAMPLE = "TGj1Ej1qRzL9feLTLhjwgxXF4Ct6GTWg2U"
RECEIVER_EXAMPLE = "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8"
POSITION_ID_EXAMPLE = "pos_3kT9aBcDeFgHiJkLmNoPqR"
Resource = Literal["ENERGY", "BANDWIDTH"]
State = Literal["pending", "frozen", "voting", "delegated", "unfreezing", "claimable", "withdrawn"]
Json = dict[str, Any]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# -- requests -------------------------------------------------------------------------------


class VoteIn(_Request):
    witness: str = Field(description="A current witness (super representative candidate).")
    weight: StrictInt = Field(ge=spec.MIN_WEIGHT, le=spec.MAX_WEIGHT)


class DelegateIn(_Request):
    receiver: str = Field(description="Receives the position's resource; not the owner.")
    lock: StrictBool = False
    lock_period_blocks: StrictInt | None = Field(
        default=None, ge=spec.MIN_LOCK_PERIOD_BLOCKS, le=spec.MAX_LOCK_PERIOD_BLOCKS
    )


Votes = list[VoteIn]


class PositionSpecIn(_Request):
    """A position to declare: exactly one of ``amount_sun`` and ``amount_trx``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "owner": ADDRESS_EXAMPLE,
                    "resource": "ENERGY",
                    "amount_sun": 100_000_000,
                    "votes": [{"witness": WITNESS_EXAMPLE, "weight": 70}],
                    "delegate": {"receiver": RECEIVER_EXAMPLE, "lock": False},
                    "auto_claim": False,
                    "labels": {"team": "treasury"},
                }
            ]
        },
    )

    owner: str
    resource: Resource
    amount_sun: StrictInt | None = Field(default=None, ge=1_000_000, le=10**17)
    amount_trx: str | StrictInt | float | None = Field(
        default=None, description='TRX as a decimal string ("1000.5") or a number.'
    )
    votes: Votes | None = Field(default=None, min_length=1, max_length=spec.MAX_VOTE_WITNESSES)
    delegate: DelegateIn | None = None
    auto_claim: StrictBool = False
    labels: dict[str, str] | None = Field(default=None, max_length=spec.MAX_LABELS)


class PositionPatchIn(_Request):
    """The mutable part of a spec; ``delegate: null`` removes the delegation."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"votes": [{"witness": WITNESS_EXAMPLE, "weight": 1}]}]},
    )

    votes: Votes | None = Field(default=None, max_length=spec.MAX_VOTE_WITNESSES)
    delegate: DelegateIn | None = None
    auto_claim: StrictBool | None = None
    labels: dict[str, str] | None = Field(default=None, max_length=spec.MAX_LABELS)
    owner: str | None = Field(default=None, description="Immutable: a different value is a 422.")
    resource: Resource | None = Field(default=None, description="Immutable.")
    amount_sun: StrictInt | None = Field(default=None, description="Immutable.")
    amount_trx: str | StrictInt | float | None = Field(default=None, description="Immutable.")


class PositionRefIn(_Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"position_id": POSITION_ID_EXAMPLE}]}
    )
    position_id: str


class VoteRequestIn(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "position_id": POSITION_ID_EXAMPLE,
                    "votes": [{"witness": WITNESS_EXAMPLE, "weight": 1}],
                }
            ]
        },
    )
    position_id: str
    votes: Votes = Field(max_length=spec.MAX_VOTE_WITNESSES)


class DelegateRequestIn(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"position_id": POSITION_ID_EXAMPLE, "receiver": RECEIVER_EXAMPLE}]
        },
    )
    position_id: str
    receiver: str
    lock: StrictBool = False
    lock_period_blocks: StrictInt | None = Field(
        default=None, ge=spec.MIN_LOCK_PERIOD_BLOCKS, le=spec.MAX_LOCK_PERIOD_BLOCKS
    )


class ClaimRequestIn(_Request):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"owner": ADDRESS_EXAMPLE}]}
    )
    owner: str


# -- responses ------------------------------------------------------------------------------


class VoteOut(_Response):
    witness: str
    weight: int


class DelegateOut(_Response):
    receiver: str
    lock: bool
    lock_period_blocks: int | None


class ConditionOut(_Response):
    type: Literal["Ready", "Progressing", "Drifted", "Stalled"]
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str
    last_transition_time: dt.datetime


class TransactionOut(_Response):
    id: str
    kind: str
    txid: str
    state: str
    block: int | None


class PositionOut(_Response):
    id: str
    owner: str
    resource: Resource
    amount_sun: int
    amount_trx: str
    votes: list[VoteOut]
    delegate: DelegateOut | None
    auto_claim: bool
    labels: dict[str, str]
    state: State
    target_state: State
    unstake_requested: bool
    generation: int
    observed_generation: int
    conditions: list[ConditionOut]
    unfreeze_expire_time_ms: int | None
    next_reconcile_at: dt.datetime | None
    transactions: list[TransactionOut]
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class PositionList(_Response):
    items: list[PositionOut]
    next_cursor: str | None


class PositionsOut(_Response):
    """The positions a seed operation endpoint changed."""

    items: list[PositionOut]


class TransitionOut(_Response):
    from_: str = Field(alias="from")
    to: str
    trigger: str
    reason: str
    txid: str | None = None
    block: int | None = None
    generation: int | None = None
    subject: str | None = Field(default=None, description="Who changed the spec (API entries).")
    at: dt.datetime


class TransitionList(_Response):
    items: list[TransitionOut]


class PlannedActionOut(_Response):
    kind: str
    params: Json
    positions: list[str]
    reason: str


class NoticeOut(_Response):
    code: str
    message: str
    positions: list[str] = []


class PlanOut(_Response):
    owner: str
    actions: list[PlannedActionOut]
    waiting_for: list[NoticeOut]
    warnings: list[NoticeOut]


class OperationOut(_Response):
    id: str
    kind: str
    owner: str
    txid: str
    state: Literal["recorded", "broadcast", "included", "solidified", "rejected", "expired"]
    positions: list[str]
    block: int | None
    fee_sun: int | None
    error: str | None
    reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


class OperationList(_Response):
    items: list[OperationOut]
    next_cursor: str | None


class ClaimOut(_Response):
    owner: str
    requested_at: dt.datetime
    next_claim_possible_at: dt.datetime | None
    unclaimed_sun: int


class ByResource(_Response):
    ENERGY: int
    BANDWIDTH: int


class UnfreezingOut(_Response):
    amount_sun: int
    resource: Resource
    expire_time_ms: int


class WitnessVoteOut(_Response):
    witness: str
    count: int


class TronPowerOut(_Response):
    limit: int
    used: int


class ManagedPositionsOut(_Response):
    by_state: dict[str, int]


class DriftOut(_Response):
    position_id: str
    type: str
    reason: str
    message: str


class AddressStatusOut(_Response):
    address: str
    activated: bool
    balance_sun: int
    frozen_sun: ByResource
    delegated_out_sun: ByResource
    acquired_sun: ByResource
    unfreezing: list[UnfreezingOut]
    withdrawable_sun: int
    votes: list[WitnessVoteOut]
    tron_power: TronPowerOut
    unclaimed_reward_sun: int
    positions: ManagedPositionsOut
    managed_staked_sun: int
    drift: list[DriftOut]
    observed_block: int


class ClaimEntryOut(_Response):
    txid: str
    amount_sun: int
    at: dt.datetime


class RewardsOut(_Response):
    address: str
    unclaimed_sun: int
    claimed_total_sun: int
    last_claim_at: dt.datetime | None
    next_claim_possible_at: dt.datetime | None
    claims: list[ClaimEntryOut]


class ResourceFiguresOut(_Response):
    """``limit`` and ``used`` are the chain's (``EnergyLimit``/``EnergyUsed``, ``NetLimit``/
    ``NetUsed`` of ``getaccountresource``: what the owner's stake plus acquired delegations
    give, usage decayed to the observed block), ``available`` is ``limit - used`` (never
    negative). Energy figures are energy units, bandwidth figures bytes, stake figures sun."""

    limit: int
    used: int
    available: int
    staked_sun: int
    delegatable_sun: int
    delegated_out_sun: int
    delegated_in_sun: int


class BandwidthOut(ResourceFiguresOut):
    """Staked bandwidth as above, plus the account's free daily bandwidth (bytes)."""

    free_limit: int
    free_used: int
    free_available: int


class ResourcesOut(_Response):
    address: str
    energy: ResourceFiguresOut
    bandwidth: BandwidthOut
    observed_block: int


class StatsOut(_Response):
    positions_total: int
    positions_by_state: dict[str, int]
    active_positions: int
    total_staked_sun: int
    total_staked_trx: str
    total_delegated_sun: int
    owners: int
    operations_by_state: dict[str, int]


class HealthStakingOut(_Response):
    total_staking_records: int
    active_staking_records: int
    total_staked_trx: float
    total_resource_records: int


class HealthChecksOut(_Response):
    mongo: Literal["ok", "error"]
    redis: Literal["ok", "disabled", "error"]
    chain: Literal["ok", "error"]
    controller: Literal["running", "stopped"]


class HealthOut(_Response):
    status: Literal["healthy", "degraded", "unhealthy"]
    service: str
    timestamp: dt.datetime
    service_initialized: bool
    staking: HealthStakingOut | None
    checks: HealthChecksOut


class ProbeOut(_Response):
    status: str


class ChainStatusOut(_Response):
    endpoint: str
    head_block: int | None
    solid_block: int | None
    lag_blocks: int | None


class ControllerStatusOut(_Response):
    replica_id: str | None
    owners_leased: int
    queue_depth: int
    last_reconcile_at: dt.datetime | None


class DatabaseStatusOut(_Response):
    status: Literal["ok", "error"]


class ServiceStatusOut(_Response):
    state: Literal["running", "degraded", "error"]
    uptime_s: float
    version: str
    database: DatabaseStatusOut
    chain: ChainStatusOut
    controller: ControllerStatusOut
    stats: StatsOut | None
    recent_operations: list[OperationOut]


class RootOut(_Response):
    name: str
    version: str
    docs: str
    openapi: str
    health: str


class ProblemErrorOut(_Response):
    loc: list[str | int]
    msg: str


class ProblemOut(_Response):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemErrorOut] | None = None
