"""The resource ledger: what the account will hold once everything sent or planned has landed.

One ledger per ``plan`` call, built from the snapshot. Every unresolved operation (not yet
included, or included above the snapshot's head) and every action the plan adds is applied
to it once, with its bandwidth or fee (reference §9.2: staked bandwidth, else free
bandwidth, else ``bytes × fee`` burned; never split). It answers: the balance left, the fee
of the next transaction, the frozen pool per resource (``frozen``) and the same pool without
the increases that are not yet visible (``frozen_sure`` — what a transaction can rely on if
a pending freeze or undelegate is dropped), the delegatable and undelegatable amounts, tron
power (and ``tron_power_sure_sun``, without the pending freezes) and the account's votes
(rescaled as java-tron rescales them on an unfreeze).

It replaces the separate budget, frozen-left and used/taken/released tallies: one model of
pending effects. Pure bookkeeping; rules decide.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from tron_staking.domain import bandwidth, votes
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType, StakingResourceType
from tron_staking.domain.operation import JsonValue
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.domain.votes import WitnessVote

Kind = StakingOperationType
Resource = StakingResourceType
Params = Mapping[str, JsonValue]


def amount_of(params: Params) -> int:
    """The amount (sun) an operation's parameters move; 0 for kinds that move none."""
    for name in ("frozen_balance", "unfreeze_balance", "balance"):
        value = params.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def resource_of(params: Params) -> Resource | None:
    value = params.get("resource")
    try:
        return Resource(str(value)) if value is not None else None
    except ValueError:
        return None


def receiver_of(params: Params) -> Address | None:
    value = params.get("receiver_address")
    return Address(str(value)) if value is not None else None


def vote_list_of(params: Params) -> tuple[WitnessVote, ...]:
    raw = params.get("votes")
    result: list[WitnessVote] = []
    if isinstance(raw, list | tuple):
        for entry in raw:
            if isinstance(entry, Mapping):
                count = entry.get("vote_count")
                if isinstance(count, int):
                    result.append(WitnessVote(Address(str(entry.get("vote_address"))), count))
    return tuple(result)


def size_of(kind: StakingOperationType, params: Params) -> int:
    """The bandwidth bytes a transaction of ``kind`` with ``params`` consumes (estimate)."""
    return bandwidth.estimate_bytes(
        kind,
        resource=resource_of(params),
        lock=params.get("lock") is True,
        vote_entries=max(len(vote_list_of(params)), 1),
    )


@dataclasses.dataclass
class Ledger:
    """The account as it will be; see the module docstring. Amounts in sun."""

    balance_sun: int
    staked_bytes: int
    free_bytes: int
    fee_sun_per_byte: int
    frozen: dict[Resource, int]
    frozen_sure: dict[Resource, int]
    can_delegate: dict[Resource, int]
    delegated: dict[tuple[Address, Resource], int]
    undelegatable: dict[tuple[Address, Resource], int]
    tron_power_sun: int
    tron_power_sure_sun: int
    """Tron power without the increases not yet visible (a pending freeze may be dropped)."""
    votes: tuple[WitnessVote, ...]
    unfreeze_slots: int
    withdrawable_sun: int
    reward_sun: int

    @classmethod
    def of(cls, observed: AccountSnapshot, chain_time_ms: int, fee_sun_per_byte: int) -> Ledger:
        pairs = {(d.receiver, d.resource) for d in observed.delegations}
        return cls(
            balance_sun=observed.balance_sun,
            staked_bytes=observed.staked_bandwidth_available_bytes,
            free_bytes=observed.free_bandwidth_available_bytes,
            fee_sun_per_byte=fee_sun_per_byte,
            frozen={r: observed.frozen(r) for r in Resource},
            frozen_sure={r: observed.frozen(r) for r in Resource},
            can_delegate={r: observed.can_delegate(r) for r in Resource},
            delegated={pair: observed.delegated_to(*pair) for pair in pairs},
            undelegatable={
                pair: observed.undelegatable(pair[0], pair[1], chain_time_ms) for pair in pairs
            },
            tron_power_sun=observed.tron_power_sun,
            tron_power_sure_sun=observed.tron_power_sun,
            votes=observed.votes,
            unfreeze_slots=observed.available_unfreeze_count,
            withdrawable_sun=observed.withdrawable_sun(chain_time_ms),
            reward_sun=observed.reward_sun,
        )

    # -- fees ---------------------------------------------------------------------------------

    def fee_for(self, size: int) -> int:
        """The fee the next transaction of ``size`` bytes would burn (0 if bandwidth covers)."""
        if self.staked_bytes >= size or self.free_bytes >= size:
            return 0
        return bandwidth.burn_fee_sun(size, self.fee_sun_per_byte)

    def fees_for(self, sizes: Sequence[int]) -> int:
        """What ``sizes`` sent one after the other would burn, without charging anything."""
        trial = dataclasses.replace(self)
        total = 0
        for size in sizes:
            total += trial.fee_for(size)
            trial.pay_bandwidth(size)
        return total

    def pay_bandwidth(self, size: int) -> int:
        """Charge one transaction's bandwidth; the fee burned."""
        if self.staked_bytes >= size:
            self.staked_bytes -= size
            return 0
        if self.free_bytes >= size:
            self.free_bytes -= size
            return 0
        fee = bandwidth.burn_fee_sun(size, self.fee_sun_per_byte)
        self.balance_sun -= fee
        return fee

    # -- effects ------------------------------------------------------------------------------

    def apply(self, kind: StakingOperationType, params: Params, *, sure: bool) -> None:
        """The effect of one transaction of ``kind``. ``sure`` False: it is not visible yet,
        so its increases of the frozen pool are left out of ``frozen_sure``."""
        _EFFECTS[kind](self, params, sure)

    def _freeze(self, params: Params, sure: bool) -> None:
        amount, resource = amount_of(params), resource_of(params) or Resource.ENERGY
        self.balance_sun -= amount
        self.frozen[resource] += amount
        self.can_delegate[resource] += amount
        self.tron_power_sun += amount
        if sure:
            self.frozen_sure[resource] += amount
            self.tron_power_sure_sun += amount

    def _unfreeze(self, params: Params, sure: bool) -> None:
        amount, resource = amount_of(params), resource_of(params) or Resource.ENERGY
        self._take_from_pool(resource, amount)
        self.tron_power_sun -= amount
        self.tron_power_sure_sun -= amount
        self.unfreeze_slots -= 1
        self.balance_sun += self.withdrawable_sun  # UnfreezeBalanceV2 sweeps matured entries
        self.withdrawable_sun = 0
        self.votes = votes.predict_unfreeze_rescale(self.votes, self.tron_power_sun)

    def _delegate(self, params: Params, sure: bool) -> None:
        amount, resource = amount_of(params), resource_of(params) or Resource.ENERGY
        receiver = receiver_of(params)
        self._take_from_pool(resource, amount)
        if receiver is not None:
            pair = (receiver, resource)
            self.delegated[pair] = self.delegated.get(pair, 0) + amount
            if params.get("lock") is not True:
                self.undelegatable[pair] = self.undelegatable.get(pair, 0) + amount

    def _undelegate(self, params: Params, sure: bool) -> None:
        amount, resource = amount_of(params), resource_of(params) or Resource.ENERGY
        receiver = receiver_of(params)
        if receiver is not None:
            pair = (receiver, resource)
            self.delegated[pair] = self.delegated.get(pair, 0) - amount
            self.undelegatable[pair] = self.undelegatable.get(pair, 0) - amount
        self.frozen[resource] += amount
        self.can_delegate[resource] += amount
        if sure:
            self.frozen_sure[resource] += amount

    def _vote(self, params: Params, sure: bool) -> None:
        self.votes = vote_list_of(params)

    def _withdraw(self, params: Params, sure: bool) -> None:
        self.balance_sun += self.withdrawable_sun
        self.withdrawable_sun = 0

    def _claim(self, params: Params, sure: bool) -> None:
        self.balance_sun += self.reward_sun
        self.reward_sun = 0

    def _take_from_pool(self, resource: Resource, amount: int) -> None:
        before = self.frozen[resource]
        self.frozen[resource] -= amount
        self.frozen_sure[resource] -= amount
        self.can_delegate[resource] -= amount
        if resource is Resource.BANDWIDTH and before > 0:
            # staked bandwidth comes from the bandwidth stake the account keeps
            self.staked_bytes = self.staked_bytes * max(self.frozen[resource], 0) // before


_EFFECTS: dict[StakingOperationType, Callable[[Ledger, Params, bool], None]] = {
    Kind.FREEZE: Ledger._freeze,
    Kind.UNFREEZE: Ledger._unfreeze,
    Kind.DELEGATE: Ledger._delegate,
    Kind.UNDELEGATE: Ledger._undelegate,
    Kind.VOTE: Ledger._vote,
    Kind.WITHDRAW_EXPIRE_UNFREEZE: Ledger._withdraw,
    Kind.CLAIM_REWARDS: Ledger._claim,
}
