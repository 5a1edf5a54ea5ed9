"""What the service did to the chain, judged from the chain model's blocks alone.

``Audit`` reads every transaction the model packed (service or outside) and keeps, per
position, how many of the service's additive transactions named it (per kind and spec
generation), and from that what the positions hold: stake, delegations and votes. What the
account holds beyond that is unmanaged; it may only shrink through the owner's own outside
transactions. Violations are collected as sentences.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Mapping

from tests.unit.controller.model.actuators import Contract
from tests.unit.controller.model.state import SUN, UNFREEZE_DELAY_MS, Account, Res, State
from tron_staking.domain.addresses import Address
from tron_staking.domain.ids import PositionId, TxId

ADDITIVE = (Contract.FREEZE, Contract.UNFREEZE, Contract.DELEGATE, Contract.UNDELEGATE)


@dataclasses.dataclass(frozen=True)
class Sent:
    """A service transaction: the positions it named, their generation when planned, their
    amounts and (votes) what each gets."""

    contract: Contract
    generations: Mapping[PositionId, int]
    amounts: Mapping[PositionId, int]
    resource: Res | None
    receiver: Address | None
    position_votes: Mapping[PositionId, Mapping[Address, int]]


@dataclasses.dataclass
class Audit:
    owner: Address
    strict_once: bool = True
    """Count every effective additive transaction per position, kind and generation (only
    meaningful while nothing outside removes managed stake, which the service repairs)."""
    sent: dict[TxId, Sent] = dataclasses.field(default_factory=dict)
    effective: collections.Counter[tuple[PositionId, Contract, int]] = dataclasses.field(
        default_factory=collections.Counter
    )
    freezes: collections.Counter[PositionId] = dataclasses.field(
        default_factory=collections.Counter
    )
    unfreezes: collections.Counter[PositionId] = dataclasses.field(
        default_factory=collections.Counter
    )
    delegations: collections.Counter[tuple[PositionId, Address]] = dataclasses.field(
        default_factory=collections.Counter
    )
    position_resource: dict[PositionId, tuple[Res, int]] = dataclasses.field(default_factory=dict)
    vote_claims: dict[PositionId, dict[Address, int]] = dataclasses.field(default_factory=dict)
    unfrozen_at: dict[PositionId, int] = dataclasses.field(default_factory=dict)
    """Block time of each position's effective unfreeze (cancel-all re-freezes it)."""
    unmanaged_staked: dict[Res, int] = dataclasses.field(default_factory=dict)
    unmanaged_delegated: dict[tuple[Address, Res], int] = dataclasses.field(default_factory=dict)
    unmanaged_votes: dict[Address, int] = dataclasses.field(default_factory=dict)
    violations: list[str] = dataclasses.field(default_factory=list)

    def start(self, state: State) -> None:
        """Everything the account holds before the service acts is unmanaged."""
        self._rebase(state, staked=True, delegated=True, votes=True)

    def record_sent(self, txid: TxId, sent: Sent) -> None:
        self.sent[txid] = sent
        for pid, amount in sent.amounts.items():
            if sent.resource is not None:
                self.position_resource[pid] = (sent.resource, amount)

    def on_included(
        self,
        txid: TxId,
        contract: Contract,
        params: Mapping[str, object],
        state: State,
        time_ms: int,
    ) -> None:
        """Account for one packed service transaction (``state``: after its block)."""
        sent = self.sent.get(txid)
        if sent is None:
            return
        if contract is Contract.VOTE:
            # votes are the owner's, one list: a VoteWitness replaces all of it, so after the
            # service's vote the positions hold exactly what it gave them, and the rest of the
            # list is unmanaged (a position it does not name holds no votes any more)
            self.vote_claims.clear()
        for pid, generation in sent.generations.items():
            if contract in ADDITIVE:
                key = (pid, contract, generation)
                self.effective[key] += 1
                if self.strict_once and self.effective[key] > 1:
                    self.violations.append(
                        f"{contract.value} for {pid} took effect {self.effective[key]} times "
                        f"in generation {generation} (tx {txid[:12]})"
                    )
            self._claim(pid, sent, time_ms)

    def on_outside(
        self, contract: Contract, params: Mapping[str, object], state: State, time_ms: int
    ) -> None:
        """The owner's own transaction moved the unmanaged floor by exactly its effect (votes,
        and cancel-all's re-freezing, are taken from ``state``, the state after its block)."""
        amount = params.get("frozen_balance", params.get("unfreeze_balance", params.get("balance")))
        resource = Res(str(params.get("resource", Res.BANDWIDTH.value)))
        delta = amount if isinstance(amount, int) else 0
        if contract is Contract.FREEZE:
            self.unmanaged_staked[resource] = self.unmanaged_staked.get(resource, 0) + delta
        elif contract is Contract.UNFREEZE:
            self.unmanaged_staked[resource] = self.unmanaged_staked.get(resource, 0) - delta
            self._rebase(state, staked=False, delegated=False, votes=True)
        elif contract in (Contract.DELEGATE, Contract.UNDELEGATE):
            key = (Address(str(params["receiver_address"])), resource)
            sign = 1 if contract is Contract.DELEGATE else -1
            self.unmanaged_delegated[key] = self.unmanaged_delegated.get(key, 0) + sign * delta
        elif contract is Contract.CANCEL_ALL_UNFREEZE:
            self._cancel_unfreezes(time_ms)
            self._rebase(state, staked=True, delegated=False, votes=False)
        elif contract is Contract.VOTE:
            self._rebase(state, staked=False, delegated=False, votes=True)

    def _cancel_unfreezes(self, time_ms: int) -> None:
        """Cancel-all re-froze the unfreezes not yet matured: those positions hold their
        stake again (the service may unfreeze it once more)."""
        for pid, unfrozen_ms in self.unfrozen_at.items():
            matured = time_ms >= unfrozen_ms + UNFREEZE_DELAY_MS
            if not matured and self.unfreezes[pid] > 0:
                self.unfreezes[pid] -= 1
        self.unfrozen_at.clear()

    def _claim(self, pid: PositionId, sent: Sent, time_ms: int) -> None:
        if sent.contract is Contract.FREEZE:
            # the position holds its stake once, whether frozen anew or repaired
            self.freezes[pid] = self.unfreezes[pid] + 1
        elif sent.contract is Contract.UNFREEZE:
            self.unfreezes[pid] += 1
            self.unfrozen_at[pid] = time_ms
            self.vote_claims.pop(pid, None)
        elif sent.contract is Contract.DELEGATE and sent.receiver is not None:
            self.delegations[(pid, sent.receiver)] += 1
        elif sent.contract is Contract.UNDELEGATE and sent.receiver is not None:
            self.delegations[(pid, sent.receiver)] -= 1
        elif sent.contract is Contract.VOTE:
            self.vote_claims[pid] = dict(sent.position_votes.get(pid, {}))

    # -- what the positions hold, and the rest ------------------------------------------------

    def _managed_staked(self) -> dict[Res, int]:
        held: dict[Res, int] = collections.defaultdict(int)
        for pid, (resource, amount) in self.position_resource.items():
            if self.freezes[pid] - self.unfreezes[pid] > 0:
                held[resource] += amount
        return held

    def _managed_delegated(self) -> dict[tuple[Address, Res], int]:
        held: dict[tuple[Address, Res], int] = collections.defaultdict(int)
        for (pid, receiver), count in self.delegations.items():
            if count > 0 and pid in self.position_resource:
                resource, amount = self.position_resource[pid]
                held[(receiver, resource)] += amount
        return held

    def _managed_votes(self) -> dict[Address, int]:
        held: dict[Address, int] = collections.defaultdict(int)
        for claims in self.vote_claims.values():
            for witness, count in claims.items():
                held[witness] += count
        return held

    def _actual(self, state: State) -> tuple[Account, dict[tuple[Address, Res], int]]:
        delegated: dict[tuple[Address, Res], int] = collections.defaultdict(int)
        for (source, receiver, resource, _), record in state.records.items():
            if source == self.owner:
                delegated[(receiver, resource)] += record.amount_sun
        return state.accounts[self.owner], delegated

    def unmanaged(
        self, state: State
    ) -> tuple[dict[Res, int], dict[tuple[Address, Res], int], dict[Address, int]]:
        account, delegated = self._actual(state)
        staked = self._managed_staked()
        managed_delegated = self._managed_delegated()
        votes = self._managed_votes()
        chain_votes: dict[Address, int] = collections.defaultdict(int)
        for witness, count in account.votes:
            chain_votes[witness] += count
        return (
            {r: account.frozen_sun[r] + account.delegated_sun[r] - staked.get(r, 0) for r in Res},
            {
                k: delegated.get(k, 0) - managed_delegated.get(k, 0)
                for k in delegated.keys() | managed_delegated.keys()
            },
            {w: chain_votes.get(w, 0) - votes.get(w, 0) for w in chain_votes.keys() | votes.keys()},
        )

    def _rebase(self, state: State, *, staked: bool, delegated: bool, votes: bool) -> None:
        """The floors become what is unmanaged now (negative when the owner took managed
        holdings away: the service's repair may only raise it)."""
        now_staked, now_delegated, now_votes = self.unmanaged(state)
        if staked:
            self.unmanaged_staked = now_staked
        if delegated:
            self.unmanaged_delegated = now_delegated
        if votes:
            self.unmanaged_votes = now_votes

    def check_block(self, state: State, number: int) -> None:
        """Unmanaged stake, delegations and votes are never below what the owner left."""
        staked, delegated, votes = self.unmanaged(state)
        now = _labelled(staked, delegated, votes)
        floor = _labelled(
            self.unmanaged_staked, self.unmanaged_delegated, self._backed_votes(staked)
        )
        fallen = [
            f"{label} fell to {now.get(label, 0)} from {minimum}"
            for label, minimum in sorted(floor.items())
            if now.get(label, 0) < minimum
        ]
        if fallen:
            self.violations.append(f"block {number}: unmanaged " + "; ".join(fallen))
            self._rebase(state, staked=True, delegated=True, votes=True)

    def _backed_votes(self, staked: Mapping[Res, int]) -> dict[Address, int]:
        """The unmanaged votes' floors, within the tron power of the unmanaged stake: votes
        the owner keeps on tron power the service holds (after unfreezing part of their own
        stake outside) last only as long as the service's stake does; when it leaves, they
        shrink as java-tron would rescale them (proportionally, rounded down)."""
        power = max(sum(staked.values()), 0) // SUN
        total = sum(max(v, 0) for v in self.unmanaged_votes.values())
        if total <= power:
            return self.unmanaged_votes
        return {w: v * power // total if v > 0 else v for w, v in self.unmanaged_votes.items()}


def _labelled(
    staked: Mapping[Res, int],
    delegated: Mapping[tuple[Address, Res], int],
    votes: Mapping[Address, int],
) -> dict[str, int]:
    return (
        {f"stake {r}": v for r, v in staked.items()}
        | {f"delegation {a[:6]} {r}": v for (a, r), v in delegated.items()}
        | {f"votes {w[:6]}": v for w, v in votes.items()}
    )
