"""Kubernetes-style conditions: the health of a position, apart from its state.

A position carries at most one condition of each type (``Ready``, ``Progressing``,
``Drifted``, ``Stalled``), kept in that order. The planner proposes ``ConditionUpdate``s (no
time: it has no clock); ``apply_updates`` merges them at the reconciler's ``at`` and moves
``last_transition_time`` only when a condition's status actually changes, so the time says
since when a position has been (not) Ready.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import TypedDict

from tron_staking.domain.enums import ConditionStatus, ConditionType

_ORDER = tuple(ConditionType)


class RawCondition(TypedDict):
    type: str
    status: str
    reason: str
    message: str
    last_transition_time: dt.datetime


@dataclasses.dataclass(frozen=True)
class Condition:
    type: ConditionType
    status: ConditionStatus
    reason: str
    message: str
    last_transition_time: dt.datetime

    def for_storage(self) -> RawCondition:
        return {
            "type": self.type.value,
            "status": self.status.value,
            "reason": self.reason,
            "message": self.message,
            "last_transition_time": self.last_transition_time,
        }

    @classmethod
    def from_storage(cls, raw: RawCondition) -> Condition:
        return cls(
            type=ConditionType(raw["type"]),
            status=ConditionStatus(raw["status"]),
            reason=raw["reason"],
            message=raw["message"],
            last_transition_time=as_utc(raw["last_transition_time"]),
        )


@dataclasses.dataclass(frozen=True)
class ConditionUpdate:
    """A condition as the planner wants it; the time is added when it is applied."""

    type: ConditionType
    status: ConditionStatus
    reason: str
    message: str = ""

    @classmethod
    def true(cls, type_: ConditionType, reason: str, message: str = "") -> ConditionUpdate:
        return cls(type=type_, status=ConditionStatus.TRUE, reason=reason, message=message)

    @classmethod
    def false(cls, type_: ConditionType, reason: str, message: str = "") -> ConditionUpdate:
        return cls(type=type_, status=ConditionStatus.FALSE, reason=reason, message=message)


def apply_updates(
    current: Iterable[Condition], updates: Iterable[ConditionUpdate], at: dt.datetime
) -> tuple[Condition, ...]:
    """``current`` with ``updates`` merged (the last update of a type wins).

    ``last_transition_time`` becomes ``at`` for new conditions and for those whose status
    changes; a changed reason or message alone keeps the old time.
    """
    merged = {condition.type: condition for condition in current}
    for update in updates:
        old = merged.get(update.type)
        since = old.last_transition_time if old and old.status == update.status else at
        merged[update.type] = Condition(
            type=update.type,
            status=update.status,
            reason=update.reason,
            message=update.message,
            last_transition_time=since,
        )
    return tuple(merged[kind] for kind in _ORDER if kind in merged)


def find(conditions: Iterable[Condition], type_: ConditionType) -> Condition | None:
    for condition in conditions:
        if condition.type == type_:
            return condition
    return None


def is_true(conditions: Iterable[Condition], type_: ConditionType) -> bool:
    condition = find(conditions, type_)
    return condition is not None and condition.status == ConditionStatus.TRUE


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime (a naive one from storage is taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
