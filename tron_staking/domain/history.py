"""One entry of a state history: a transition that a state machine fired.

The state machines (:mod:`tron_staking.statemachine`) produce ``TransitionRecord``s; the
reconciler appends the position ones to ``state_transitions`` (the store adds
``position_id`` and ``seq``) and the API serves them oldest first as
``{"from", "to", "trigger", "reason", "txid", "block", "generation", "at"}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TypedDict

from tron_staking.domain import conditions
from tron_staking.domain.ids import TxId

RawTransitionRecord = TypedDict(
    "RawTransitionRecord",
    {
        "from": str,
        "to": str,
        "trigger": str,
        "reason": str,
        "txid": str | None,
        "block": int | None,
        "generation": int | None,
        "at": dt.datetime,
    },
)


@dataclasses.dataclass(frozen=True)
class TransitionRecord:
    """``subject_id`` (a position or operation id) moved ``from_state`` → ``to_state`` on
    ``trigger`` at ``at``; ``txid`` and ``block`` name the transaction that caused it, when
    one did; ``generation`` is the spec generation it served (positions only)."""

    machine: str
    subject_id: str
    from_state: str
    to_state: str
    trigger: str
    reason: str
    at: dt.datetime
    txid: TxId | None = None
    block: int | None = None
    generation: int | None = None

    def for_storage(self) -> RawTransitionRecord:
        return {
            "from": self.from_state,
            "to": self.to_state,
            "trigger": self.trigger,
            "reason": self.reason,
            "txid": self.txid,
            "block": self.block,
            "generation": self.generation,
            "at": self.at,
        }

    @classmethod
    def from_storage(
        cls, raw: RawTransitionRecord, *, machine: str, subject_id: str
    ) -> TransitionRecord:
        txid = raw.get("txid")
        return cls(
            machine=machine,
            subject_id=subject_id,
            from_state=raw["from"],
            to_state=raw["to"],
            trigger=raw["trigger"],
            reason=raw["reason"],
            at=conditions.as_utc(raw["at"]),
            txid=TxId(txid) if txid else None,
            block=raw.get("block"),
            generation=raw.get("generation"),
        )
