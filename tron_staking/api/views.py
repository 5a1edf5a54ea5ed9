"""Stored documents to response models: positions, transitions and operations.

Positions are read through the domain (``Position.from_storage``) so the response says what
the domain says (``target_state``, ``amount_trx``); a position's ``transactions`` are the
operations that name it, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from tron_staking.api import models
from tron_staking.domain import conditions as conditions_module
from tron_staking.domain.position import Position
from tron_staking.store.ports import VersionedStore

MAX_TRANSACTIONS = 200
"""At most this many operations are listed per page of positions."""
_TRANSACTION_FIELDS = ("id", "kind", "txid", "state", "block", "position_ids")
"""What a position's ``transactions`` show of each operation (the only fields read)."""


def position_out(position: Position, operations: Iterable[Mapping[str, Any]]) -> models.PositionOut:
    spec = position.spec
    return models.PositionOut(
        id=position.id,
        owner=spec.owner,
        resource=spec.resource.value,
        amount_sun=spec.amount_sun,
        amount_trx=spec.amount_trx,
        votes=[models.VoteOut(witness=v.witness, weight=v.weight) for v in spec.votes],
        delegate=None
        if spec.delegate is None
        else models.DelegateOut(
            receiver=spec.delegate.receiver,
            lock=spec.delegate.lock,
            lock_period_blocks=spec.delegate.lock_period_blocks,
        ),
        auto_claim=spec.auto_claim,
        labels=dict(spec.labels),
        state=position.state.value,
        target_state=position.target_state.value,
        unstake_requested=position.unstake_requested,
        generation=position.generation,
        observed_generation=position.observed_generation,
        conditions=[
            models.ConditionOut(
                type=c.type.value,
                status=c.status.value,
                reason=c.reason,
                message=c.message,
                last_transition_time=c.last_transition_time,
            )
            for c in position.conditions
        ],
        unfreeze_expire_time_ms=position.unfreeze_expire_time_ms,
        next_reconcile_at=position.next_reconcile_at,
        transactions=[
            models.TransactionOut(
                id=str(op["id"]),
                kind=str(op["kind"]),
                txid=str(op.get("txid") or ""),
                state=str(op["state"]),
                block=op.get("block"),
            )
            for op in operations
            if position.id in (op.get("position_ids") or [])
        ],
        created_by=position.created_by,
        created_at=position.created_at,
        updated_at=position.updated_at,
    )


async def operations_of(
    operations: VersionedStore, position_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The operations naming any of ``position_ids``, oldest first."""
    if not position_ids:
        return []
    page = await operations.find(
        {"position_ids": {"$in": list(position_ids)}},
        sort=[("created_at", 1)],
        limit=MAX_TRANSACTIONS,
        fields=_TRANSACTION_FIELDS,
    )
    return list(page.items)


async def positions_out(
    operations: VersionedStore, positions: Sequence[Position]
) -> list[models.PositionOut]:
    ops = await operations_of(operations, [p.id for p in positions])
    return [position_out(p, ops) for p in positions]


def transition_out(entry: Mapping[str, Any]) -> models.TransitionOut:
    return models.TransitionOut.model_validate(
        {
            "from": entry["from"],
            "to": entry["to"],
            "trigger": entry["trigger"],
            "reason": entry.get("reason") or "",
            "txid": entry.get("txid"),
            "block": entry.get("block"),
            "generation": entry.get("generation"),
            "subject": entry.get("subject"),
            "at": conditions_module.as_utc(entry["at"]),
        }
    )


def operation_out(document: Mapping[str, Any]) -> models.OperationOut:
    return models.OperationOut(
        id=str(document["id"]),
        kind=str(document["kind"]),
        owner=str(document["owner"]),
        txid=str(document.get("txid") or ""),
        state=document["state"],
        positions=[str(p) for p in document.get("position_ids") or []],
        block=document.get("block"),
        fee_sun=document.get("fee_sun"),
        error=document.get("error"),
        reason=str(document.get("reason") or ""),
        created_at=conditions_module.as_utc(document["created_at"]),
        updated_at=conditions_module.as_utc(document["updated_at"]),
    )


def dump(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready form of a response model (aliases, RFC 3339 times)."""
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return dumped
