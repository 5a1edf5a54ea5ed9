"""How the planner decides: the working state of one ``plan`` call and its phases.

``Planner`` is built per call and thrown away: evidence (landed operations applied once per
position) → observations (maturity, withdrawals, pending unstakes) → drift (back to what the
chain supports) → actions within the chain's limits → conditions and the requeue delay. See
the package docstring for the rules; ``tron_staking.controller.planner.plan`` is the entry
point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from tron_staking.controller.planner.model import (
    Action,
    DriftFinding,
    Notice,
    PlannedTransition,
    PlannerPolicy,
    PositionUpdate,
    intent_key,
)
from tron_staking.domain import bandwidth, votes
from tron_staking.domain.addresses import Address
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import (
    ConditionType,
    OperationState,
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)
from tron_staking.domain.ids import OperationId, PositionId
from tron_staking.domain.operation import JsonValue, Operation
from tron_staking.domain.position import ChainDelegation, Position
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.domain.votes import WitnessVote
from tron_staking.statemachine import position as position_machine
from tron_staking.statemachine.position import Facts, Trigger

Kind = StakingOperationType
State = StakingStatusType

BLOCK_INTERVAL_MS = 3000
_EXACT_FIT_LIMIT = 12

_KIND_ORDER = {
    Kind.FREEZE: 0,
    Kind.VOTE: 1,
    Kind.DELEGATE: 2,
    Kind.UNDELEGATE: 3,
    Kind.UNFREEZE: 4,
    Kind.WITHDRAW_EXPIRE_UNFREEZE: 5,
    Kind.CLAIM_REWARDS: 6,
}


# -- working state ----------------------------------------------------------------------------


@dataclasses.dataclass
class Work:
    """The planner's mutable view of one position while it plans."""

    position: Position
    state: StakingStatusType
    votes_cast: tuple[WitnessVote, ...]
    delegation: ChainDelegation | None
    unfreeze_expire_time_ms: int | None
    transitions: list[PlannedTransition] = dataclasses.field(default_factory=list)
    applied: list[OperationId] = dataclasses.field(default_factory=list)
    problems: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    progress: list[str] = dataclasses.field(default_factory=list)
    drifted: list[tuple[str, str]] = dataclasses.field(default_factory=list)

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


@dataclasses.dataclass
class Budget:
    """Balance and bandwidth left for the transactions planned so far (reference §9.2)."""

    balance_sun: int
    staked_bytes: int
    free_bytes: int
    fee_sun_per_byte: int

    def fee_for(self, size: int) -> int:
        if self.staked_bytes >= size or self.free_bytes >= size:
            return 0
        return bandwidth.burn_fee_sun(size, self.fee_sun_per_byte)

    def charge(self, size: int, amount_sun: int = 0) -> int | None:
        """Pay for one transaction moving ``amount_sun`` out of the balance; the fee burned,
        or None (nothing charged) when the balance cannot cover fee plus amount."""
        fee = self.fee_for(size)
        if fee + amount_sun > self.balance_sun:
            return None
        if self.staked_bytes >= size:
            self.staked_bytes -= size
        elif self.free_bytes >= size:
            self.free_bytes -= size
        self.balance_sun -= fee + amount_sun
        return fee


class Planner:
    """One ``plan`` call for one owner: run the phases in order, then read the results
    (``actions``, ``updates()``, ``drift``, ``warnings``, ``waiting``, ``requeue_after_s()``)."""

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
        self.works: dict[PositionId, Work] = {
            p.id: Work(
                position=p,
                state=p.state,
                votes_cast=p.votes_cast,
                delegation=p.delegation,
                unfreeze_expire_time_ms=p.unfreeze_expire_time_ms,
            )
            for p in ordered
            if not p.terminal
        }
        self.finished = [p for p in ordered if p.terminal and not p.ready]
        self.operations = [op for op in in_flight if op.owner == self.owner]
        self.head = observed.head_block_number
        self.blocking = {op.intent_key: op for op in self.operations if op.in_flight}
        self.unresolved = [op for op in self.operations if self._unresolved(op)]
        self.released: set[PositionId] = {
            pid for op in self.unresolved if op.kind is Kind.UNFREEZE for pid in op.position_ids
        }
        """Positions whose stake an unfreeze (unresolved, or planned now) takes off."""
        self.actions: list[Action] = []
        self.warnings: list[Notice] = []
        self.waiting: list[Notice] = []
        self.drift: list[DriftFinding] = []
        self.requeue: list[int] = [policy.resync_period_s]
        self.budget = Budget(
            balance_sun=observed.balance_sun,
            staked_bytes=observed.staked_bandwidth_available_bytes,
            free_bytes=observed.free_bandwidth_available_bytes,
            fee_sun_per_byte=policy.fee_sun_per_byte,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _unresolved(self, op: Operation) -> bool:
        """In flight and not (yet) visible in the snapshot."""
        if not op.in_flight:
            return False
        return op.state is not OperationState.INCLUDED or op.block is None or op.block > self.head

    def _unresolved_kinds(self, *kinds: StakingOperationType) -> list[Operation]:
        return [op for op in self.unresolved if op.kind in kinds]

    def _active(self, *states: StakingStatusType) -> list[Work]:
        return [w for w in self.works.values() if not states or w.state in states]

    def _wait(
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
            self._requeue_at(until_ms)

    def _warn(self, code: str, message: str, works: Iterable[Work] = ()) -> None:
        self.warnings.append(Notice(code, message, tuple(w.id for w in works)))

    def _requeue_at(self, chain_ms: int) -> None:
        delay_ms = chain_ms - self.now
        self.requeue.append(max(1, -(-delay_ms // 1000)))

    def _in_flight(self, key: str, works: Iterable[Work], what: str) -> bool:
        op = self.blocking.get(key)
        if op is None:
            return False
        work_list = list(works)
        for w in work_list:
            w.progress.append(f"{op.kind.value} {op.txid} is {op.state.value}")
        self._wait(
            "OperationInFlight",
            f"{what}: {op.kind.value} {op.txid} is {op.state.value}; nothing equivalent is "
            "planned until it is final",
            work_list,
        )
        return True

    def _pay(
        self, kind: StakingOperationType, size: int, amount_sun: int, works: list[Work]
    ) -> int | None:
        fee = self.budget.charge(size, amount_sun)
        if fee is None:
            for w in works:
                w.stall(
                    "InsufficientBalance",
                    f"{kind.value} needs {amount_sun + self.budget.fee_for(size)} sun; the "
                    f"balance left is {self.budget.balance_sun} sun",
                )
            self._wait(
                "InsufficientBalance",
                f"{kind.value}: the balance does not cover the amount and the bandwidth fee",
                works,
            )
            self.requeue.append(self.policy.stalled_retry_s)
        return fee

    def _pay_and_plan(
        self,
        kind: StakingOperationType,
        key: str,
        params: dict[str, JsonValue],
        works: list[Work],
        reason: str,
        *,
        size: int,
        amount_sun: int = 0,
        position_votes: Mapping[PositionId, tuple[WitnessVote, ...]] | None = None,
    ) -> bool:
        """Charge the budget for one transaction of ``size`` bytes and plan it; False (nothing
        planned, ``works`` stalled) when the balance cannot cover it. Only a freeze moves its
        amount out of the balance; the other kinds move stake or bring TRX in."""
        fee = self._pay(kind, size, amount_sun if kind is Kind.FREEZE else 0, works)
        if fee is None:
            return False
        self.actions.append(
            Action(
                kind=kind,
                intent_key=key,
                params=params,
                position_ids=tuple(sorted({w.id for w in works})),
                reason=reason,
                amount_sun=amount_sun,
                estimated_bytes=size,
                fee_sun=fee,
                position_votes=dict(position_votes or {}),
            )
        )
        for w in works:
            w.progress.append(f"{kind.value} planned")
        if fee:
            self._warn(
                "BandwidthFee",
                f"{kind.value} will burn about {fee} sun: no free or staked bandwidth is left",
                works,
            )
        return True

    @staticmethod
    def _first_fit(works: Iterable[Work], room: int) -> tuple[list[Work], list[tuple[Work, int]]]:
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

    # -- 1. evidence --------------------------------------------------------------------------

    def apply_evidence(self) -> None:
        landed = [
            op
            for op in self.operations
            if op.state.landed and op.block is not None and op.block <= self.head
        ]
        landed.sort(key=lambda op: (op.block or 0, _KIND_ORDER[op.kind], op.created_at, op.id))
        for op in landed:
            expire = self._unfreeze_expiry(op) if op.kind is Kind.UNFREEZE else None
            named = dict.fromkeys([*op.position_ids, *op.position_votes])
            for pid in named:
                work = self.works.get(pid)
                if work is None or op.id in work.position.applied_operations:
                    continue
                self._apply(op, work, expire)
                work.applied.append(op.id)

    def _apply(self, op: Operation, work: Work, expire: int | None) -> None:
        reason = f"{op.kind.value} {op.txid} included in block {op.block}"
        applied = True
        if op.kind is Kind.FREEZE:
            applied = work.fire(Trigger.FREEZE_INCLUDED, reason, self.now, operation=op)
        elif op.kind is Kind.VOTE:
            new_votes = op.position_votes.get(work.id, ())
            if not work.state.holds_stake:
                applied = False
            elif new_votes:
                work.votes_cast = new_votes
                applied = work.fire(Trigger.VOTE_INCLUDED, reason, self.now, operation=op)
            elif work.votes_cast:
                work.votes_cast = ()
                applied = work.fire(Trigger.VOTES_REMOVED, reason, self.now, operation=op)
        elif op.kind is Kind.DELEGATE:
            if work.state in (State.FROZEN, State.VOTING):
                lock = op.params.get("lock") is True
                period = op.params.get("lock_period")
                work.delegation = ChainDelegation(
                    receiver=Address(str(op.params["receiver_address"])),
                    resource=work.resource,
                    lock=lock,
                    lock_period_blocks=period if lock and isinstance(period, int) else None,
                    amount_sun=work.amount_sun,
                )
                applied = work.fire(Trigger.DELEGATE_INCLUDED, reason, self.now, operation=op)
            else:
                applied = False
        elif op.kind is Kind.UNDELEGATE:
            applied = work.fire(Trigger.UNDELEGATE_INCLUDED, reason, self.now, operation=op)
            if applied:
                work.delegation = None
        elif op.kind is Kind.UNFREEZE:
            if work.state in (State.FROZEN, State.VOTING) and work.unstaking:
                work.unfreeze_expire_time_ms = expire
                work.votes_cast = ()
                applied = work.fire(Trigger.UNFREEZE_INCLUDED, reason, self.now, operation=op)
            else:
                applied = False
        if not applied:
            self._warn(
                "OperationNotApplicable",
                f"{op.kind.value} {op.txid} names {work.id}, which is {work.state.value}; its "
                "effect is not applied to the position",
                [work],
            )

    def _unfreeze_expiry(self, op: Operation) -> int:
        """The expiry of the unfreeze entry ``op`` created: the snapshot's entry of the same
        resource and amount closest to the expected time (the block's parent time + delay)."""
        amount = op.params.get("unfreeze_balance")
        resource = op.params.get("resource")
        base = (op.block_time_ms or self.now) - BLOCK_INTERVAL_MS
        expected = base + self.policy.unfreeze_delay_ms
        candidates = [
            e.expire_time_ms
            for e in self.observed.unfreezing
            if e.amount_sun == amount and e.resource.value == resource
        ]
        if not candidates:
            return expected
        return min(candidates, key=lambda t: (abs(t - expected), -t))

    # -- 2. observations ----------------------------------------------------------------------

    def observe(self) -> None:
        entries = {(e.resource, e.expire_time_ms) for e in self.observed.unfreezing}
        freeze_ops = [op for op in self.operations if op.in_flight and op.kind is Kind.FREEZE]
        sweepers = sorted(
            (
                op
                for op in self.operations
                if op.state.landed
                and op.kind in (Kind.WITHDRAW_EXPIRE_UNFREEZE, Kind.UNFREEZE)
                and op.block is not None
                and op.block <= self.head
            ),
            key=lambda op: op.block or 0,
        )
        unfreeze_unresolved = bool(
            self._unresolved_kinds(Kind.UNFREEZE, Kind.WITHDRAW_EXPIRE_UNFREEZE)
        )
        for work in self.works.values():
            expire = work.unfreeze_expire_time_ms
            present = (work.resource, expire) in entries
            if work.state is State.UNFREEZING and expire is not None:
                if self.now >= expire:
                    work.fire(Trigger.MATURED, f"the unfreeze matured at {expire}", self.now)
                elif not present and not unfreeze_unresolved:
                    work.unfreeze_expire_time_ms = None
                    self._drifted(
                        work,
                        Trigger.UNFREEZE_CANCELLED,
                        "UnfreezeCancelled",
                        f"the unfreeze entry expiring at {expire} is gone before maturity "
                        "(cancelled outside the service); the stake is frozen again",
                    )
            if work.state is State.CLAIMABLE and not present:
                sweeper = next(
                    (
                        op
                        for op in reversed(sweepers)
                        if expire is None or (op.block_time_ms or 0) >= expire
                    ),
                    None,
                )
                reason = (
                    f"withdrawn by {sweeper.kind.value} {sweeper.txid}"
                    if sweeper
                    else "the matured unfreeze was withdrawn"
                )
                if work.fire(Trigger.WITHDRAW_INCLUDED, reason, self.now, operation=sweeper):
                    work.unfreeze_expire_time_ms = None
            if work.state is State.PENDING and work.unstaking:
                in_flight = any(work.id in op.position_ids for op in freeze_ops)
                if in_flight:
                    self._wait(
                        "FreezeInFlight",
                        "unstake waits for the outcome of the freeze already sent",
                        [work],
                    )
                else:
                    work.fire(
                        Trigger.UNSTAKE,
                        "unstake requested before anything was frozen",
                        self.now,
                        freeze_in_flight=False,
                    )

    def _drifted(self, work: Work, trigger: Trigger, code: str, message: str) -> None:
        if work.fire(trigger, message, self.now):
            work.drifted.append((code, message))
            self.drift.append(DriftFinding(str(trigger), message, (work.id,)))

    # -- 3. drift -----------------------------------------------------------------------------

    def detect_drift(self) -> None:
        self._delegation_drift()
        self._stake_drift()
        self._vote_drift()

    @staticmethod
    def _keep_within(works: list[Work], amount_of: dict[PositionId, int], have: int) -> list[Work]:
        """The works to drop so that the rest fit in ``have``.

        The chain cannot say whose part went missing, so the planner keeps the set of positions
        that fits best (the largest total not above ``have``, which finds the exact survivors
        whenever the loss was whole positions); among equally good sets it drops unstaking
        positions first, then the newest. Beyond ``_EXACT_FIT_LIMIT`` positions it falls back
        to first fit in that order.
        """
        if sum(amount_of[w.id] for w in works) <= have:
            return []
        ranked = sorted(works, key=lambda w: (w.unstaking, w.position.created_at, w.id))
        if len(ranked) > _EXACT_FIT_LIMIT:
            left, dropped = have, []
            for w in ranked:
                if amount_of[w.id] <= left:
                    left -= amount_of[w.id]
                else:
                    dropped.append(w)
            return dropped
        best: tuple[int, tuple[int, ...]] | None = None
        best_mask = 0
        for mask in range(1 << len(ranked)):
            kept = sum(amount_of[w.id] for i, w in enumerate(ranked) if mask >> i & 1)
            if kept > have:
                continue
            dropped_ranks = tuple(
                sorted((i for i in range(len(ranked)) if not mask >> i & 1), reverse=True)
            )
            score = (kept, dropped_ranks)
            if best is None or score > best:
                best, best_mask = score, mask
        return [w for i, w in enumerate(ranked) if not best_mask >> i & 1]

    def _delegation_drift(self) -> None:
        groups: dict[tuple[Address, StakingResourceType], list[Work]] = {}
        for w in self._active(State.DELEGATED):
            if w.delegation is not None:
                groups.setdefault((w.delegation.receiver, w.delegation.resource), []).append(w)
        for (receiver, resource), works in groups.items():
            if any(
                op.params.get("receiver_address") == receiver
                and op.params.get("resource") == resource.value
                for op in self._unresolved_kinds(Kind.DELEGATE, Kind.UNDELEGATE)
            ):
                continue
            amounts = {w.id: w.delegation.amount_sun if w.delegation else 0 for w in works}
            have = self.observed.delegated_to(receiver, resource)
            record = self.observed.locked_record(receiver, resource)
            # Locked positions are backed by the locked record first; whatever it cannot hold
            # may have been unlocked lazily into the unlocked record, which backs the rest.
            locked = [w for w in works if w.delegation and w.delegation.lock]
            overflow = self._keep_within(locked, amounts, record.amount_sun if record else 0)
            unlocked = [w for w in works if w not in locked or w in overflow]
            for w in self._keep_within(
                unlocked, amounts, have - (record.amount_sun if record else 0)
            ):
                message = (
                    f"the chain delegates {have} sun of {resource} to {receiver}; the positions "
                    f"claim {sum(amounts.values())}"
                )
                w.delegation = None
                self._drifted(w, Trigger.DELEGATION_LOST, "DelegationLost", message)

    def _stake_drift(self) -> None:
        for resource in StakingResourceType:
            if any(
                op.params.get("resource") == resource.value
                for op in self._unresolved_kinds(
                    Kind.UNFREEZE, Kind.FREEZE, Kind.DELEGATE, Kind.UNDELEGATE
                )
            ):
                continue
            # Delegated positions are backed by their delegations (checked per receiver just
            # before); what is left of the stake backs the positions that are only frozen.
            delegated = [
                w
                for w in self.works.values()
                if w.resource is resource and w.state is State.DELEGATED and w.delegation
            ]
            works = [
                w
                for w in self.works.values()
                if w.resource is resource and w.state in (State.FROZEN, State.VOTING)
            ]
            have = self.observed.staked(resource) - sum(w.amount_sun for w in delegated)
            if have < 0:
                works, have = works + delegated, self.observed.staked(resource)
            amounts = {w.id: w.amount_sun for w in works}
            claimed = sum(amounts.values()) + sum(w.amount_sun for w in delegated)
            for w in self._keep_within(works, amounts, have):
                message = (
                    f"the chain holds {self.observed.staked(resource)} sun of {resource} stake; "
                    f"the positions claim {claimed}"
                )
                w.votes_cast = ()
                w.delegation = None
                self._drifted(w, Trigger.STAKE_LOST, "StakeLost", message)

    def _vote_drift(self) -> None:
        if self._unresolved_kinds(Kind.VOTE, Kind.UNFREEZE):
            return
        expected = votes.add(*(votes.by_witness(w.votes_cast) for w in self.works.values()))
        have = self.observed.votes_by_witness
        short = {witness for witness, count in expected.items() if have.get(witness, 0) < count}
        if not short:
            return
        for w in self.works.values():
            lost = sorted({v.witness for v in w.votes_cast} & short)
            if not lost:
                continue
            message = f"the account's votes for {', '.join(lost)} are lower than the positions cast"
            w.votes_cast = ()
            if w.state is State.VOTING or w.state is State.DELEGATED:
                self._drifted(w, Trigger.VOTES_LOST, "VotesLost", message)
            else:
                w.drifted.append(("VotesLost", message))
                self.drift.append(DriftFinding(str(Trigger.VOTES_LOST), message, (w.id,)))

    # -- 4. actions ---------------------------------------------------------------------------

    def plan_actions(self) -> None:
        if not self.observed.exists:
            for w in self.works.values():
                w.stall("OwnerNotActivated", f"the owner account {self.owner} does not exist")
            if self.works:
                self._wait(
                    "OwnerNotActivated",
                    "the owner account is not activated: send it TRX first",
                    self.works.values(),
                )
                self.requeue.append(self.policy.stalled_retry_s)
            return
        self._reserve_unresolved()
        self._plan_undelegations()
        vote_planned = self._plan_vote()
        unfreeze_planned = self._plan_unfreezes(vote_planned)
        self._plan_withdraw_expired(unfreeze_planned)
        self._plan_claim()
        self._plan_delegations()
        self._plan_freezes()

    def _reserve_unresolved(self) -> None:
        """Operations sent but not yet visible still spend balance and bandwidth."""
        self.frozen_left = {r: self.observed.frozen(r) for r in StakingResourceType}
        for op in self.unresolved:
            if op.state is OperationState.INCLUDED:
                continue  # included above the snapshot: fee and amount are already spent
            amount = _amount_of(op)
            resource = _resource_of(op)
            size = bandwidth.estimate_bytes(
                op.kind,
                resource=resource,
                lock=op.params.get("lock") is True,
                vote_entries=len(_list(op.params.get("votes"))),
            )
            self.budget.charge(size, amount if op.kind is Kind.FREEZE else 0)
        for op in self.unresolved:
            resource = _resource_of(op)
            if resource is not None and op.kind in (Kind.UNFREEZE, Kind.DELEGATE):
                self.frozen_left[resource] -= _amount_of(op)

    def _plan_undelegations(self) -> None:
        groups: dict[tuple[Address, StakingResourceType, bool], list[Work]] = {}
        for w in self._active(State.DELEGATED):
            d = w.delegation
            if d is None:
                continue
            if w.unstaking or not d.matches(w.position.spec.delegate):
                groups.setdefault((d.receiver, d.resource, d.lock), []).append(w)
        taken: dict[tuple[Address, StakingResourceType], int] = {}
        for (receiver, resource, lock), works in sorted(groups.items()):
            key = intent_key(Kind.UNDELEGATE, self.owner, resource, receiver, lock=lock)
            if self._in_flight(key, works, "undelegate"):
                continue
            if lock:
                record = self.observed.locked_record(receiver, resource)
                ends = record.lock_expire_time_ms if record else None
                if ends is not None and ends >= self.now:
                    for w in works:
                        w.stall(
                            "LockNotExpired", f"the delegation to {receiver} is locked until {ends}"
                        )
                    self._wait(
                        "LockNotExpired",
                        f"the locked delegation to {receiver} can be undone after {ends}",
                        works,
                        until_ms=ends + BLOCK_INTERVAL_MS,
                    )
                    continue
            amount = sum(w.delegation.amount_sun for w in works if w.delegation)
            pair = (receiver, resource)
            others = sum(
                w.delegation.amount_sun
                for w in self._active(State.DELEGATED)
                if w.delegation
                and (w.delegation.receiver, w.delegation.resource) == pair
                and w not in works
            )
            available = self.observed.undelegatable(receiver, resource, self.now) - taken.get(
                pair, 0
            )
            remains = self.observed.delegated_to(receiver, resource) - taken.get(pair, 0) - amount
            if amount > available or remains < others:
                for w in works:
                    w.stall(
                        "DelegationUnavailable",
                        f"only {available} sun of {resource} delegated to {receiver} can be "
                        "undelegated now without touching other positions",
                    )
                self._wait(
                    "DelegationUnavailable",
                    f"undelegating {amount} sun from {receiver} would touch other delegations",
                    works,
                )
                self.requeue.append(self.policy.stalled_retry_s)
                continue
            why = "unstake" if all(w.unstaking for w in works) else "delegation changed"
            if self._pay_and_plan(
                Kind.UNDELEGATE,
                key,
                {
                    "owner_address": self.owner,
                    "receiver_address": receiver,
                    "balance": amount,
                    "resource": resource.value,
                },
                works,
                f"undelegate {amount} sun of {resource} from {receiver} ({why})",
                size=bandwidth.estimate_bytes(Kind.UNDELEGATE, resource=resource),
                amount_sun=amount,
            ):
                taken[pair] = taken.get(pair, 0) + amount

    def _plan_vote(self) -> bool:
        """One VoteWitness for the whole account when the managed votes differ from the
        chain's. Returns True when a vote is planned or in flight (unfreezes wait for it)."""
        key = intent_key(Kind.VOTE, self.owner)
        witnesses = self.observed.witnesses
        voters: list[Work] = []
        for w in self.works.values():
            spec = w.position.spec
            if not spec.votes or w.unstaking or not w.state.holds_stake:
                continue
            unknown = [v.witness for v in spec.votes if witnesses and v.witness not in witnesses]
            if unknown:
                w.stall("UnknownWitness", f"not a witness: {', '.join(unknown)}")
                continue
            voters.append(w)
        leaving = [w for w in self.works.values() if w.votes_cast and w not in voters]
        allocations = {
            w.id: votes.allocate_position_votes(w.amount_sun, w.position.spec.votes) for w in voters
        }
        if not voters and not leaving:
            return bool(self.blocking.get(key))
        cast = votes.add(*(votes.by_witness(w.votes_cast) for w in self.works.values()))
        observed = self.observed.votes_by_witness
        unmanaged: dict[Address, int] = {}
        if self.policy.keep_unmanaged_votes:
            unmanaged = {
                witness: count - cast.get(witness, 0)
                for witness, count in observed.items()
                if count > cast.get(witness, 0) and (not witnesses or witness in witnesses)
            }
        leaving_sun = sum(
            w.amount_sun
            for w in self.works.values()
            if w.unstaking
            and w.state in (State.FROZEN, State.VOTING, State.DELEGATED)
            and w.id not in self.released
        )
        unfreezing_sun = sum(_amount_of(op) for op in self._unresolved_kinds(Kind.UNFREEZE))
        limit = min(
            self.observed.tron_power_limit,
            (self.observed.tron_power_sun - leaving_sun - unfreezing_sun) // 1_000_000,
        )
        account = votes.allocate_account_votes(
            allocations, unmanaged, max(limit, 0), max_witnesses=self.policy.max_vote_witnesses
        )
        if account.refused:
            for w in voters:
                w.stall("TooManyWitnesses", account.refused)
            self._warn("TooManyWitnesses", account.refused, voters)
            return bool(self.blocking.get(key))
        for warning in account.warnings:
            self._warn(str(warning), _VOTE_WARNINGS[warning], voters)
        if votes.VoteWarning.MANAGED_SCALED_DOWN in account.warnings:
            for w in voters:
                w.stall(
                    "TronPowerInsufficient",
                    f"the account's tron power ({limit}) does not cover the positions' votes",
                )
        differs = votes.by_witness(account.votes) != observed
        stale = any(w.votes_cast != account.per_position.get(w.id, ()) for w in voters)
        if not (differs or stale or leaving):
            return bool(self.blocking.get(key))
        if self._in_flight(key, [*voters, *leaving], "vote"):
            return True
        if self._unresolved_kinds(Kind.UNFREEZE):
            self._wait("UnfreezeInFlight", "voting waits for the unfreeze to land", voters)
            return True
        if not account.votes:
            # VoteWitness cannot carry an empty list: the leaving positions' votes stay on
            # chain as unmanaged votes, and the unfreeze will rescale them.
            for w in leaving:
                w.votes_cast = ()
                w.fire(
                    Trigger.VOTES_REMOVED,
                    "no vote list is left to cast (VoteWitness needs at least one vote); the "
                    "remaining votes are no longer managed",
                    self.now,
                )
            self._warn(
                "VotesNotCleared",
                "the account keeps its last votes: TRON cannot clear a vote list",
                leaving,
            )
            return False
        return self._pay_and_plan(
            Kind.VOTE,
            key,
            {
                "owner_address": self.owner,
                "votes": [
                    {"vote_address": vote.witness, "vote_count": vote.count}
                    for vote in account.votes
                ],
            },
            [*voters, *leaving],
            f"cast {votes.total(account.votes)} votes for {len(account.votes)} witnesses "
            f"({len(voters)} positions voting, {len(leaving)} leaving)",
            size=bandwidth.estimate_bytes(Kind.VOTE, vote_entries=len(account.votes)),
            position_votes={pid: v for pid, v in account.per_position.items() if v},
        )

    def _plan_unfreezes(self, vote_pending: bool) -> bool:
        planned = False
        for resource in StakingResourceType:
            ready = [
                w
                for w in self.works.values()
                if w.unstaking and w.resource is resource and w.state is State.FROZEN
            ]
            if not ready:
                continue
            key = intent_key(Kind.UNFREEZE, self.owner, resource)
            if self._in_flight(key, ready, "unfreeze"):
                continue
            if vote_pending:
                self._wait("VoteFirst", "the unfreeze waits for the re-vote to land", ready)
                continue
            pending = self.observed.unfreezing_pending(self.now)
            left = self.observed.available_unfreeze_count - len(
                self._unresolved_kinds(Kind.UNFREEZE)
            )
            if left <= 0:
                soonest = min((e.expire_time_ms for e in pending), default=self.now)
                for w in ready:
                    w.stall("UnfreezeLimit", "32 unfreezes are pending on this account")
                self._warn(
                    "UnfreezeLimit", f"32 unfreezes are pending; the next frees at {soonest}", ready
                )
                self._wait(
                    "UnfreezeLimit",
                    "waiting for a pending unfreeze to mature",
                    ready,
                    until_ms=soonest,
                )
                continue
            staying = sum(
                w.amount_sun
                for w in self.works.values()
                if w.resource is resource
                and w.state in (State.FROZEN, State.VOTING)
                and w not in ready
            )
            chosen, left_out = self._first_fit(ready, self.frozen_left[resource] - staying)
            for w, _ in left_out:
                w.stall(
                    "FrozenBalanceInUse",
                    f"frozen {resource} on chain does not cover this position besides the others",
                )
            if not chosen:
                self.requeue.append(self.policy.stalled_retry_s)
                continue
            amount = sum(w.amount_sun for w in chosen)
            tp_after = (
                self.observed.tron_power_sun
                - amount
                - sum(_amount_of(op) for op in self._unresolved_kinds(Kind.UNFREEZE))
            )
            predicted = votes.predict_unfreeze_rescale(self.observed.votes, tp_after)
            if predicted != self.observed.votes:
                before = votes.by_witness(self.observed.votes)
                after = votes.by_witness(predicted)
                cast = votes.add(*(votes.by_witness(w.votes_cast) for w in self.works.values()))
                if any(after.get(witness, 0) < count for witness, count in cast.items()):
                    self._wait(
                        "VoteFirst",
                        "the unfreeze would rescale other positions' votes; re-vote first",
                        chosen,
                    )
                    continue
                self._warn(
                    "VoteReduction",
                    f"the unfreeze lowers tron power to {tp_after // 1_000_000}: java-tron "
                    f"rescales the votes from {votes.total(self.observed.votes)} to "
                    f"{votes.total(predicted)} ({_describe_votes(before)} → "
                    f"{_describe_votes(after)})",
                    chosen,
                )
            if not self._pay_and_plan(
                Kind.UNFREEZE,
                key,
                {
                    "owner_address": self.owner,
                    "unfreeze_balance": amount,
                    "resource": resource.value,
                },
                chosen,
                f"unfreeze {amount} sun of {resource} for {len(chosen)} unstaked positions",
                size=bandwidth.estimate_bytes(Kind.UNFREEZE, resource=resource),
                amount_sun=amount,
            ):
                continue
            self.frozen_left[resource] -= amount
            self.released.update(w.id for w in chosen)
            planned = True
        return planned

    def _plan_withdraw_expired(self, unfreeze_planned: bool) -> None:
        claimable = self._active(State.CLAIMABLE)
        # Matured unfreezes made outside the service also pay for freezes that lack balance.
        short = [
            w
            for w in self._active(State.PENDING)
            if not w.unstaking and w.amount_sun > self.budget.balance_sun
        ]
        withdrawable = self.observed.withdrawable_sun(self.now)
        if unfreeze_planned or not (claimable or (short and withdrawable > 0)):
            return
        key = intent_key(Kind.WITHDRAW_EXPIRE_UNFREEZE, self.owner)
        if self._in_flight(key, claimable, "withdraw"):
            return
        if self._unresolved_kinds(Kind.UNFREEZE):
            self._wait(
                "UnfreezeInFlight", "the unfreeze in flight sweeps matured entries", claimable
            )
            return
        why = "matured unstakes" if claimable else "balance for pending freezes"
        self._pay_and_plan(
            Kind.WITHDRAW_EXPIRE_UNFREEZE,
            key,
            {"owner_address": self.owner},
            claimable,
            f"withdraw {withdrawable} sun of matured unfreezes ({why})",
            size=bandwidth.estimate_bytes(Kind.WITHDRAW_EXPIRE_UNFREEZE),
            amount_sun=withdrawable,
        )

    def _plan_claim(self) -> None:
        auto = [w for w in self.works.values() if w.position.spec.auto_claim]
        if not auto and not self.claim_requested:
            return
        reward = self.observed.reward_sun
        if reward <= 0:
            if self.claim_requested:
                self._wait("NoReward", "there is no reward to claim yet", auto)
            return
        last = self.observed.latest_withdraw_time_ms
        due = (last or 0) + self.policy.claim_interval_ms
        if last is not None and self.now < due:
            self._wait("ClaimNotDue", "rewards can be claimed once per 24 h", auto, until_ms=due)
            return
        key = intent_key(Kind.CLAIM_REWARDS, self.owner)
        if self._in_flight(key, auto, "claim"):
            return
        why = "claim requested" if self.claim_requested else "auto_claim"
        self._pay_and_plan(
            Kind.CLAIM_REWARDS,
            key,
            {"owner_address": self.owner},
            auto,
            f"claim {reward} sun of voting rewards ({why})",
            size=bandwidth.estimate_bytes(Kind.CLAIM_REWARDS),
            amount_sun=reward,
        )

    def _plan_delegations(self) -> None:
        groups: dict[tuple[Address, StakingResourceType, bool, int | None], list[Work]] = {}
        for w in self.works.values():
            wanted = w.position.spec.delegate
            if (
                wanted is None
                or w.unstaking
                or w.delegation is not None
                or w.state not in (State.FROZEN, State.VOTING)
            ):
                continue
            group = (wanted.receiver, w.resource, wanted.lock, wanted.effective_lock_period_blocks)
            groups.setdefault(group, []).append(w)
        used: dict[StakingResourceType, int] = {}
        planned_keys: set[str] = set()
        for (receiver, resource, lock, period), works in sorted(
            groups.items(), key=lambda item: (item[0][0], item[0][1], item[0][2], item[0][3] or 0)
        ):
            key = intent_key(Kind.DELEGATE, self.owner, resource, receiver, lock=lock)
            if self._in_flight(key, works, "delegate"):
                continue
            if key in planned_keys:
                # Another lock period to the same receiver: one locked delegation at a time.
                for w in works:
                    w.progress.append("waiting for the other locked delegation to land")
                self._wait("SameIntentPlanned", f"{key} is planned with another lock period", works)
                continue
            activated = self.observed.receivers_activated.get(receiver)
            if activated is not True:
                code = "ReceiverNotActivated" if activated is False else "ReceiverUnknown"
                message = (
                    f"the receiver {receiver} is not an activated account"
                    if activated is False
                    else f"the receiver {receiver} was not observed"
                )
                for w in works:
                    w.stall(code, message)
                self._warn(code, message, works)
                self.requeue.append(self.policy.stalled_retry_s)
                continue
            if lock and period is not None:
                record = self.observed.locked_record(receiver, resource)
                ends = record.lock_expire_time_ms if record else None
                if ends is not None and ends > self.now:
                    remaining = ends - self.now
                    if period * BLOCK_INTERVAL_MS < remaining:
                        for w in works:
                            w.stall(
                                "LockPeriodTooShort",
                                f"a lock of {period} blocks is shorter than the {remaining} ms "
                                f"left on the existing lock to {receiver}",
                            )
                        self._wait(
                            "LockPeriodTooShort",
                            "the new lock must not end before the existing one",
                            works,
                            until_ms=ends - period * BLOCK_INTERVAL_MS,
                        )
                        continue
                    locked_others = [
                        o
                        for o in self._active(State.DELEGATED)
                        if o.delegation
                        and o.delegation.lock
                        and o.delegation.receiver == receiver
                        and o.delegation.resource == resource
                    ]
                    if locked_others:
                        self._warn(
                            "LockReset",
                            f"a new locked delegation to {receiver} restarts the lock of the "
                            f"whole locked {resource} amount ({period} blocks)",
                            locked_others,
                        )
            staying = sum(
                o.amount_sun
                for o in self.works.values()
                if o.resource is resource
                and o.state in (State.FROZEN, State.VOTING)
                and not any(o in g for g in groups.values())
                and o.id not in self.released
            )
            room = min(
                self.observed.can_delegate(resource) - used.get(resource, 0),
                self.frozen_left[resource] - staying - used.get(resource, 0),
            )
            chosen, left_out = self._first_fit(works, room)
            for w, left in left_out:
                w.stall(
                    "CanDelegateInsufficient",
                    f"only {max(left, 0)} sun of {resource} can be delegated now (resource "
                    "usage or stake held elsewhere)",
                )
            if len(chosen) < len(works):
                self.requeue.append(self.policy.stalled_retry_s)
            if not chosen:
                continue
            amount = sum(w.amount_sun for w in chosen)
            params: dict[str, JsonValue] = {
                "owner_address": self.owner,
                "receiver_address": receiver,
                "balance": amount,
                "resource": resource.value,
                "lock": lock,
            }
            if lock and period is not None:
                params["lock_period"] = period
            if self._pay_and_plan(
                Kind.DELEGATE,
                key,
                params,
                chosen,
                f"delegate {amount} sun of {resource} to {receiver}"
                + (f" locked for {period} blocks" if lock else ""),
                size=bandwidth.estimate_bytes(Kind.DELEGATE, resource=resource, lock=lock),
                amount_sun=amount,
            ):
                used[resource] = used.get(resource, 0) + amount
                planned_keys.add(key)

    def _plan_freezes(self) -> None:
        for resource in StakingResourceType:
            pending = [
                w
                for w in self.works.values()
                if w.state is State.PENDING and not w.unstaking and w.resource is resource
            ]
            if not pending:
                continue
            key = intent_key(Kind.FREEZE, self.owner, resource)
            if self._in_flight(key, pending, "freeze"):
                continue
            size = bandwidth.estimate_bytes(Kind.FREEZE, resource=resource)
            chosen, left_out = self._first_fit(
                pending, self.budget.balance_sun - self.budget.fee_for(size)
            )
            for w, left in left_out:
                w.stall(
                    "InsufficientBalance",
                    f"freezing {w.amount_sun} sun needs that much balance plus fees; "
                    f"{max(left, 0)} sun is left",
                )
            if len(chosen) < len(pending):
                self._wait(
                    "InsufficientBalance",
                    f"the balance does not cover every pending {resource} position",
                    [w for w in pending if w not in chosen],
                )
                self.requeue.append(self.policy.stalled_retry_s)
            if not chosen:
                continue
            amount = sum(w.amount_sun for w in chosen)
            self._pay_and_plan(
                Kind.FREEZE,
                key,
                {"owner_address": self.owner, "frozen_balance": amount, "resource": resource.value},
                chosen,
                f"freeze {amount} sun for {resource} ({len(chosen)} positions)",
                size=size,
                amount_sun=amount,
            )

    # -- 5. conditions and timing -------------------------------------------------------------

    def _converged(self, w: Work) -> bool:
        spec = w.position.spec
        target = w.position.target_state
        if w.state is not target:
            return False
        if target is State.WITHDRAWN:
            return True
        wanted_votes = votes.allocate_position_votes(w.amount_sun, spec.votes)
        if spec.votes and (not wanted_votes or w.votes_cast != wanted_votes):
            return False
        if not spec.votes and w.votes_cast:
            return False
        if spec.delegate is None:
            return w.delegation is None
        return w.delegation is not None and w.delegation.matches(spec.delegate)

    def updates(self) -> tuple[PositionUpdate, ...]:
        result: list[PositionUpdate] = []
        for w in self.works.values():
            for op in self.operations:
                if op.in_flight and w.id in op.position_ids:
                    w.progress.append(f"{op.kind.value} {op.txid} is {op.state.value}")
            if w.state is State.UNFREEZING and w.unfreeze_expire_time_ms is not None:
                self._requeue_at(w.unfreeze_expire_time_ms)
                w.progress.append(f"unfreezing until {w.unfreeze_expire_time_ms}")
            converged = w.state is State.WITHDRAWN or (
                self._converged(w) and not w.problems and not w.progress
            )
            result.append(self._update(w, converged))
        for finished in self.finished:
            work = Work(
                position=finished,
                state=finished.state,
                votes_cast=finished.votes_cast,
                delegation=finished.delegation,
                unfreeze_expire_time_ms=finished.unfreeze_expire_time_ms,
            )
            result.append(self._update(work, True))
        return tuple(result)

    def _update(self, w: Work, converged: bool) -> PositionUpdate:
        conditions: list[ConditionUpdate] = []
        ready_type, progressing, stalled, drifted = (
            ConditionType.READY,
            ConditionType.PROGRESSING,
            ConditionType.STALLED,
            ConditionType.DRIFTED,
        )
        if converged:
            reason = "Withdrawn" if w.state is State.WITHDRAWN else "Converged"
            conditions += [
                ConditionUpdate.true(ready_type, reason, f"the chain matches the spec ({w.state})"),
                ConditionUpdate.false(progressing, reason, "nothing to do"),
                ConditionUpdate.false(stalled, "NoProblem"),
            ]
            if not w.drifted:
                conditions.append(ConditionUpdate.false(drifted, "InSync", "the chain matches"))
        else:
            target = w.position.target_state
            conditions.append(
                ConditionUpdate.false(
                    ready_type, _not_ready_reason(w), f"{w.state} on the way to {target}"
                )
            )
            if w.problems:
                reason, message = w.problems[0]
                conditions += [
                    ConditionUpdate.true(stalled, reason, "; ".join(m for _, m in w.problems)),
                    ConditionUpdate.false(progressing, reason, message),
                ]
            else:
                conditions += [
                    ConditionUpdate.false(stalled, "NoProblem"),
                    ConditionUpdate.true(
                        progressing,
                        "Reconciling",
                        "; ".join(dict.fromkeys(w.progress)) or f"moving to {target}",
                    ),
                ]
        if w.drifted:
            code, message = w.drifted[0]
            conditions.append(ConditionUpdate.true(drifted, code, message))
        return PositionUpdate(
            position_id=w.id,
            transitions=tuple(w.transitions),
            votes_cast=w.votes_cast,
            delegation=w.delegation,
            unfreeze_expire_time_ms=w.unfreeze_expire_time_ms,
            applied_operations=tuple(w.applied),
            conditions=tuple(conditions),
            observed_generation=w.position.generation if converged else None,
        )

    def requeue_after_s(self) -> int:
        if self.actions or any(op.in_flight for op in self.operations):
            self.requeue.append(self.policy.block_interval_s)
        return max(1, min(self.requeue))


_VOTE_WARNINGS = {
    votes.VoteWarning.MANAGED_SCALED_DOWN: (
        "the positions' votes exceed the account's tron power and were scaled down"
    ),
    votes.VoteWarning.UNMANAGED_SCALED_DOWN: (
        "votes cast outside the service were scaled down to fit the tron power"
    ),
    votes.VoteWarning.UNMANAGED_DROPPED: (
        "votes cast outside the service were dropped (30-witness limit or tron power)"
    ),
}


def _not_ready_reason(w: Work) -> str:
    if w.problems:
        return w.problems[0][0]
    if w.drifted:
        return w.drifted[0][0]
    if w.position.unstake_requested:
        return "Unstaking"
    return {
        State.PENDING: "Pending",
        State.FROZEN: "Frozen",
        State.VOTING: "Voting",
        State.DELEGATED: "Delegated",
    }.get(w.state, "Converging")


def _describe_votes(counts: Mapping[Address, int]) -> str:
    return ", ".join(f"{witness}:{count}" for witness, count in sorted(counts.items())) or "none"


def _list(value: JsonValue) -> Sequence[JsonValue]:
    return value if isinstance(value, list | tuple) else ()


def _amount_of(op: Operation) -> int:
    for name in ("frozen_balance", "unfreeze_balance", "balance"):
        value = op.params.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def _resource_of(op: Operation) -> StakingResourceType | None:
    value = op.params.get("resource")
    try:
        return StakingResourceType(str(value)) if value is not None else None
    except ValueError:
        return None
