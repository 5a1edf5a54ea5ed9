"""The working state of one ``plan`` call: a mutable view per position and the round itself.

``Work`` is what the planner knows about one position while it plans: its state on the head
(after the evidence), its facets, where its stake is *expected* once every unresolved
operation and every action planned so far has landed (``location``), and what to report.
``Round`` holds the owner's inputs, the operations sorted by what they mean for this snapshot,
the resource ledger, the actions planned so far and the notices. Every phase module receives
the round and adds to it; nothing here decides.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence

from tron_staking.controller.planner.ledger import Ledger
from tron_staking.controller.planner.model import (
    Action,
    DriftFinding,
    Notice,
    PlannedTransition,
    PlannerPolicy,
)
from tron_staking.domain.enums import (
    OperationState,
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.ids import OperationId, PositionId
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import ChainDelegation, Position
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.domain.votes import WitnessVote
from tron_staking.statemachine import position as position_machine
from tron_staking.statemachine.position import Facts, Trigger

Kind = StakingOperationType
State = StakingStatusType
BLOCK_INTERVAL_MS = 3000


class Location(enum.Enum):
    """Where a position's stake is expected once everything sent or planned has landed."""

    NONE = "none"
    """Not frozen (``pending``), or on its way back to the balance (unfreezing and after)."""
    POOL = "pool"
    """In the account's frozen pool (``frozenV2``), not delegated."""
    DELEGATED = "delegated"
    """Delegated out to a receiver."""


LOCATION_AFTER: dict[StakingOperationType, Location] = {
    StakingOperationType.FREEZE: Location.POOL,
    StakingOperationType.UNDELEGATE: Location.POOL,
    StakingOperationType.DELEGATE: Location.DELEGATED,
    StakingOperationType.UNFREEZE: Location.NONE,
}
"""Where an additive operation moves the stake of the positions it names."""


@dataclasses.dataclass
class Work:
    """The planner's mutable view of one position while it plans."""

    position: Position
    state: StakingStatusType
    votes_cast: tuple[WitnessVote, ...]
    delegation: ChainDelegation | None
    unfreeze_expire_time_ms: int | None
    location: Location = Location.NONE
    arriving_by: StakingOperationType | None = None
    """The kind of the not yet visible operation (or planned action) that brings the stake to
    ``location`` (a freeze or an undelegate); None when the head already shows it there."""
    transitions: list[PlannedTransition] = dataclasses.field(default_factory=list)
    applied: list[OperationId] = dataclasses.field(default_factory=list)
    problems: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    progress: list[str] = dataclasses.field(default_factory=list)
    drifted: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    short_sun: int = 0  # stake an outside unfreeze took from it (drift): the freeze repairs it

    @property
    def id(self) -> PositionId:
        return self.position.id

    @property
    def resource(self) -> StakingResourceType:
        return self.position.resource

    @property
    def amount_sun(self) -> int:
        return self.position.amount_sun

    @property
    def unstaking(self) -> bool:
        return self.position.unstake_requested

    def facts(self, chain_time_ms: int, *, freeze_in_flight: bool = False) -> Facts:
        return Facts(
            votes_cast=bool(self.votes_cast),
            unstake_requested=self.position.unstake_requested,
            freeze_in_flight=freeze_in_flight,
            chain_time_ms=chain_time_ms,
            unfreeze_expire_time_ms=self.unfreeze_expire_time_ms,
        )

    def fire(
        self,
        trigger: Trigger,
        reason: str,
        chain_time_ms: int,
        *,
        operation: Operation | None = None,
        freeze_in_flight: bool = False,
    ) -> bool:
        """Record ``trigger`` if the machine allows it now; False (nothing changes) if not."""
        facts = self.facts(chain_time_ms, freeze_in_flight=freeze_in_flight)
        new_state = position_machine.next_state(self.state, trigger, facts)
        if new_state is None:
            return False
        self.transitions.append(
            PlannedTransition(
                trigger=trigger,
                from_state=self.state,
                to_state=new_state,
                reason=reason,
                facts=facts,
                txid=operation.txid if operation else None,
                block=operation.block if operation else None,
                operation_id=operation.id if operation else None,
            )
        )
        self.state = new_state
        return True

    def stall(self, reason: str, message: str) -> None:
        self.problems.append((reason, message))

    def move(self, kind: StakingOperationType) -> None:
        """The stake's expected location after an operation of ``kind`` not visible yet. A
        delegate moves only stake that is there or on its way: one whose freeze was dropped
        (a stray delegate, ``gate.stray_dependent``) brings the position no stake."""
        after = LOCATION_AFTER.get(kind)
        if kind is StakingOperationType.DELEGATE and self.location is Location.NONE:
            return
        if after is not None:
            self.location = after
            self.arriving_by = kind if after is Location.POOL else None

    def copy(self) -> Work:
        """An independent copy (the drift check runs on copies against a second snapshot)."""
        return dataclasses.replace(
            self,
            transitions=list(self.transitions),
            applied=list(self.applied),
            problems=list(self.problems),
            progress=list(self.progress),
            drifted=list(self.drifted),
        )


def work_of(position: Position) -> Work:
    return Work(
        position=position,
        state=position.state,
        votes_cast=position.votes_cast,
        delegation=position.delegation,
        unfreeze_expire_time_ms=position.unfreeze_expire_time_ms,
    )


class Round:
    """One ``plan`` call for one owner: inputs, working views, ledger, results so far."""

    def __init__(
        self,
        positions: Sequence[Position],
        observed: AccountSnapshot,
        in_flight: Sequence[Operation],
        chain_time_ms: int,
        policy: PlannerPolicy,
        claim_requested: bool,
    ) -> None:
        self.owner = observed.owner
        for p in positions:
            if p.owner != self.owner:
                raise ValueError(f"position {p.id} belongs to {p.owner}, not {self.owner}")
        self.observed = observed
        self.now = chain_time_ms
        self.policy = policy
        self.claim_requested = claim_requested
        ordered = sorted(positions, key=lambda p: (p.created_at, p.id))
        self.works: dict[PositionId, Work] = {p.id: work_of(p) for p in ordered if not p.terminal}
        self.finished = [p for p in ordered if p.terminal and not p.ready]
        self.operations = [op for op in in_flight if op.owner == self.owner]
        self.head = observed.head_block_number
        self.unresolved = [op for op in self.operations if unresolved(op, self.head)]
        self.actions: list[Action] = []
        self.warnings: list[Notice] = []
        self.waiting: list[Notice] = []
        self.drift: list[DriftFinding] = []
        self.requeue: list[float] = [policy.resync_period_s]
        self.ledger = Ledger.of(observed, chain_time_ms, policy.fee_sun_per_byte)
        self.retries: list[tuple[tuple[PositionId, ...], bool]] = []
        """Stalls without a known end: positions, and whether only contention holds them."""
        self.held_unfreezes: set[StakingResourceType] = set()
        """Resources whose unfreeze waits for a re-vote this round could not send."""

    # -- queries ------------------------------------------------------------------------------

    def active(self, *states: StakingStatusType) -> list[Work]:
        return [w for w in self.works.values() if not states or w.state in states]

    def planned(self, kind: StakingOperationType) -> list[Action]:
        return [a for a in self.actions if a.kind is kind]

    def pool_claims(self, resource: StakingResourceType) -> int:
        """What the managed positions expect to keep in the frozen pool of ``resource``."""
        return sum(
            w.amount_sun
            for w in self.works.values()
            if w.resource is resource and w.location is Location.POOL
        )

    # -- notices and timing -------------------------------------------------------------------

    def wait(
        self,
        code: str,
        message: str,
        works: Iterable[Work] = (),
        *,
        until_ms: int | None = None,
    ) -> None:
        ids = tuple(w.id for w in works)
        self.waiting.append(Notice(code, message, ids, until_ms))
        if until_ms is not None:
            self.requeue_at(until_ms)

    def warn(self, code: str, message: str, works: Iterable[Work] = ()) -> None:
        self.warnings.append(Notice(code, message, tuple(w.id for w in works)))

    def requeue_at(self, chain_ms: int) -> None:
        delay_ms = chain_ms - self.now
        self.requeue.append(max(1, -(-delay_ms // 1000)))

    def stall_all(
        self,
        works: Iterable[Work],
        code: str,
        message: str,
        *,
        contention: bool = False,
        until_ms: int | None = None,
    ) -> None:
        """A limit that may resolve: ``Stalled`` on ``works`` and a retry later."""
        work_list = list(works)
        for w in work_list:
            w.stall(code, message)
        self.wait(code, message, work_list, until_ms=until_ms)
        self.retry_later(work_list, contention=contention, until_ms=until_ms)

    def retry_later(
        self, works: Iterable[Work], *, contention: bool = False, until_ms: int | None = None
    ) -> None:
        """Look again at ``until_ms`` (a known chain time), else after the stall retry —
        unless only ``contention`` holds ``works`` and a known time is awaited (``status``)."""
        if until_ms is not None:
            self.requeue_at(until_ms)
        else:
            self.retries.append((tuple(w.id for w in works), contention))

    def balance_frees_at(self, needed: int) -> int | None:
        """When maturing unfreezes bring the balance to ``needed`` (None: never, or now)."""
        have = self.ledger.balance_sun + self.ledger.withdrawable_sun
        pending = self.observed.unfreezing_pending(self.now) if have < needed else ()
        for entry in sorted(pending, key=lambda e: e.expire_time_ms):
            have += entry.amount_sun
            if have >= needed:
                return entry.expire_time_ms + BLOCK_INTERVAL_MS
        return None


def unresolved(op: Operation, head: int) -> bool:
    """In flight and not (yet) visible in a snapshot at ``head``."""
    if not op.in_flight:
        return False
    return op.state is not OperationState.INCLUDED or op.block is None or op.block > head


def first_fit(works: Iterable[Work], room: int) -> tuple[list[Work], list[tuple[Work, int]]]:
    """Take the works in order while their amounts fit in ``room``; the chosen ones, and
    each one left out with the room that was left when its turn came."""
    chosen: list[Work] = []
    left_out: list[tuple[Work, int]] = []
    for w in works:
        if w.amount_sun <= room:
            chosen.append(w)
            room -= w.amount_sun
        else:
            left_out.append((w, room))
    return chosen, left_out
