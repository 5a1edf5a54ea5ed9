"""The exactly-once and dependency gate: may this action go out now?

Every rule asks the gate before it plans an action, in these steps:

1. **Same intent** (``intent_in_flight``): a non-final operation with the same intent key
   blocks it until that operation is final (included and solid, or proven expired) —
   finality is waited for only before sending the same intent again.
2. **Same position** (``position_in_flight``): an additive kind (freeze, unfreeze, delegate,
   undelegate) never names a position that a non-final operation of the same kind already
   names, whatever that operation's intent key (a receiver or lock changed mid-flight must
   not open a second delegate).
3. **Dependencies** (``DEPENDS_ON``, a table): an action whose position's stake only reaches
   the frozen pool through a transaction that is not visible yet (a freeze or an undelegate,
   sent or planned in this round) rides in the same reconcile only if the frozen pool
   *without* that transaction could not cover it — so if that transaction is dropped, the
   node refuses this one instead of taking stake the service does not manage. Otherwise it
   waits for the inclusion (``rides_with_dependency``).
4. **Pool growth** (``pool_growth_held``): while a dependent (a delegate or an unfreeze) that
   has not landed names a position whose stake the head does not show in the pool (what it
   rode with is not included, or was dropped), no freeze or undelegate of that resource grows
   the pool unless it brings in that position, so the dependent's re-sent bytes fail instead
   of taking another position's stake.

Rejections back off per intent (``backoff``): the same intent and the same ``basis`` (the
spec generations and chain facts the decision rested on) is retried after one resync period,
doubling per rejection, capped at ``max_backoff_s``; a new basis starts again. A rejection
of a transaction that rode with an additive transaction of another intent (the freeze a
delegate rode with may have been held or dropped) is not held against the intent; the next
one, sent alone, is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from tron_staking.controller.planner.work import Round, Work
from tron_staking.domain.enums import (
    OperationState,
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.ids import PositionId
from tron_staking.domain.operation import JsonValue, Operation

Kind = StakingOperationType
State = StakingStatusType

ADDITIVE = frozenset({Kind.FREEZE, Kind.UNFREEZE, Kind.DELEGATE, Kind.UNDELEGATE})
"""Kinds whose effect doubles when sent twice."""

DEPENDS_ON: Mapping[StakingOperationType, frozenset[StakingOperationType]] = {
    Kind.DELEGATE: frozenset({Kind.FREEZE, Kind.UNDELEGATE}),
    Kind.UNFREEZE: frozenset({Kind.UNDELEGATE}),
    Kind.FREEZE: frozenset(),
    Kind.UNDELEGATE: frozenset(),
    Kind.VOTE: frozenset(),
    Kind.WITHDRAW_EXPIRE_UNFREEZE: frozenset(),
    Kind.CLAIM_REWARDS: frozenset(),
}
"""Which not-yet-visible kinds bring the stake an action of each kind uses (same position)."""

POOL_STATES = frozenset({State.FROZEN, State.VOTING})
"""Position states whose stake the head shows frozen and not delegated."""


def intent_in_flight(rnd: Round, key: str) -> Operation | None:
    """The non-final operation holding ``key``, if any."""
    for op in rnd.operations:
        if op.in_flight and op.intent_key == key:
            return op
    return None


def position_in_flight(rnd: Round, kind: StakingOperationType, work: Work) -> Operation | None:
    """A non-final operation of additive ``kind`` that already names ``work``."""
    if kind not in ADDITIVE:
        return None
    for op in rnd.operations:
        if op.in_flight and op.kind is kind and work.id in op.position_ids:
            return op
    return None


def admit(
    rnd: Round, kind: StakingOperationType, key: str, works: Iterable[Work], what: str
) -> list[Work]:
    """The works that pass steps 1 and 2; the others are told what they wait for."""
    work_list = list(works)
    held = intent_in_flight(rnd, key)
    if held is not None:
        _waiting(rnd, held, work_list, what)
        return []
    admitted: list[Work] = []
    for w in work_list:
        op = position_in_flight(rnd, kind, w)
        if op is None:
            admitted.append(w)
        else:
            _waiting(rnd, op, [w], what)
    return admitted


def _waiting(rnd: Round, op: Operation, works: list[Work], what: str) -> None:
    for w in works:
        w.progress.append(f"{op.kind.value} {op.txid} is {op.state.value}")
    rnd.wait(
        "OperationInFlight",
        f"{what}: {op.kind.value} {op.txid} is {op.state.value}; nothing equivalent is "
        "planned until it is final",
        works,
    )


def rides_with_dependency(
    rnd: Round, kind: StakingOperationType, works: list[Work], amount_sun: int
) -> bool:
    """Step 3: True if ``works`` may be served now. Works whose stake is still arriving (by a
    kind in ``DEPENDS_ON[kind]``) may ride only if the sure pool cannot cover ``amount_sun``."""
    arriving = [w for w in works if w.arriving_by in DEPENDS_ON[kind]]
    if not arriving:
        return True
    resource = works[0].resource
    return rnd.ledger.frozen_sure[resource] < amount_sun


DEPENDENTS = frozenset(k for k, deps in DEPENDS_ON.items() if deps)
"""Kinds that may ride on a not-yet-visible transaction (a delegate, an unfreeze)."""


def stray_dependent(
    rnd: Round, resource: StakingResourceType, covered: Iterable[Work] = ()
) -> Operation | None:
    """A dependent operation (a delegate or an unfreeze) of ``resource`` that has not landed
    and names a position whose stake the head does not show in the frozen pool yet: the
    freeze or undelegate it rode with is not included (it may be dropped), or it was dropped
    or the position unstaked meanwhile. Positions among ``covered`` (those a transaction
    being planned now brings into the pool whole) do not count. Its bytes may still be
    re-sent until it expires and would then take whatever the pool holds."""
    arriving = {w.id for w in covered}
    for op in rnd.operations:
        if not (
            op.in_flight
            and not op.state.landed
            and op.kind in DEPENDENTS
            and op.params.get("resource") == resource.value
        ):
            continue
        if not all(pid in arriving or _in_pool_on_head(rnd, pid) for pid in op.position_ids):
            return op
    return None


def _in_pool_on_head(rnd: Round, pid: PositionId) -> bool:
    work = rnd.works.get(pid)
    return work is not None and work.state in POOL_STATES


def pool_growth_held(
    rnd: Round,
    resource: StakingResourceType,
    works: list[Work],
    what: str,
    covered: Iterable[Work] = (),
) -> bool:
    """Step 4: True (and ``works`` told why) while a stray dependent of ``resource`` is in
    flight. Nothing that grows that frozen pool (a freeze, an undelegate) goes out until its
    dependency is included or it is final, or its re-sent bytes would land on the stake of
    other positions (or of the owner) instead of failing as the dependency guard intended.
    A transaction that brings in the dependent's own positions (``covered``) is no growth it
    could misuse."""
    op = stray_dependent(rnd, resource, covered)
    if op is None:
        return False
    for w in works:
        w.progress.append(f"{op.kind.value} {op.txid} is {op.state.value}")
    rnd.wait(
        "StrayDependentInFlight",
        f"{what}: {op.kind.value} {op.txid} ({op.state.value}) names positions whose stake "
        f"is not in the pool on the head; the {resource} pool does not grow until it is "
        "final or that stake is there",
        works,
    )
    return True


def basis_of(
    kind: StakingOperationType,
    params: Mapping[str, JsonValue],
    works: Iterable[Work],
    facts: Mapping[str, JsonValue],
) -> str:
    """A digest of what a decision rested on: kind, parameters, the named positions'
    generations and the chain ``facts`` the rule read."""
    body = {
        "kind": kind.value,
        "params": dict(params),
        "positions": sorted([w.id, w.position.generation] for w in works),
        "facts": dict(facts),
    }
    encoded = json.dumps(body, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:24]


def backoff(rnd: Round, key: str, basis: str) -> tuple[int, Operation] | None:
    """``(retry_at_ms, last rejection)`` while rejections of ``key`` with ``basis`` hold the
    intent back; None when it may be sent."""
    rejected = [
        op
        for op in rnd.operations
        if op.state is OperationState.REJECTED
        and op.intent_key == key
        and op.basis == basis
        and not _dependency_failed(rnd, op)
    ]
    if not rejected:
        return None
    last = max(rejected, key=lambda op: _rejected_at(op))
    delay_s = rnd.policy.resync_period_s * 2 ** (len(rejected) - 1)
    retry_at = _rejected_at(last) + min(delay_s, rnd.policy.max_backoff_s) * 1000
    return (retry_at, last) if rnd.now < retry_at else None


def _dependency_failed(rnd: Round, rejected: Operation) -> bool:
    """True when the rejected operation rode with an additive operation of another intent
    built in the same reconcile (same chain-time expiration): the node may have judged it
    before that companion reached it (held, dropped, answered late), so the rejection says
    nothing certain about the intent itself. The next rejection, sent alone, counts."""
    return any(
        op.intent_key != rejected.intent_key
        and op.kind in ADDITIVE
        and op.expiration_ms == rejected.expiration_ms
        for op in rnd.operations
    )


def _rejected_at(op: Operation) -> int:
    return op.final_at_ms if op.final_at_ms is not None else op.expiration_ms


def held_back(rnd: Round, key: str, basis: str, works: list[Work]) -> bool:
    """True (and ``works`` stalled with the decoded reason) while the back-off holds."""
    found = backoff(rnd, key, basis)
    if found is None:
        return False
    retry_at, last = found
    message = f"{last.kind.value} {last.txid} was rejected: {last.error or 'no reason given'}"
    for w in works:
        w.stall("Rejected", message)
    rnd.wait("Rejected", f"{message}; retrying at {retry_at}", works, until_ms=retry_at)
    return True
