"""One observation of an owner's account on chain, at one head block.

The chain adapter builds an ``AccountSnapshot`` from ``getaccount``, ``getaccountresource``,
``getdelegatedresourcev2`` (per managed receiver), ``getcandelegatedmaxsize``,
``getavailableunfreezecount``, ``getReward``, ``listwitnesses`` and the node's head and solid
blocks; the planner decides from it alone. Amounts are sun, votes whole TRX, times chain
milliseconds, bandwidth bytes, energy units. The snapshot is immutable and carries no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from tron_staking.domain import amounts, votes
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.votes import WitnessVote


@dataclasses.dataclass(frozen=True)
class UnfreezingEntry:
    """One ``unfrozenV2`` entry: ``amount_sun`` of ``resource`` returns at ``expire_time_ms``."""

    resource: StakingResourceType
    amount_sun: int
    expire_time_ms: int


@dataclasses.dataclass(frozen=True)
class DelegationOut:
    """What the owner delegates to ``receiver`` for ``resource`` in one record: the unlocked
    record (``locked`` False) or the locked one, whose lock ends at ``lock_expire_time_ms``.
    A locked record may still show an expired lock until the chain's next delegate or
    undelegate between the pair unlocks it lazily."""

    receiver: Address
    resource: StakingResourceType
    locked: bool
    amount_sun: int
    lock_expire_time_ms: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccountSnapshot:
    owner: Address
    exists: bool
    """False when ``getaccount`` is empty: the account is not activated and cannot transact."""
    head_block_number: int
    head_block_time_ms: int
    solid_block_number: int
    solid_block_time_ms: int
    balance_sun: int = 0
    frozen_sun: Mapping[StakingResourceType, int] = dataclasses.field(default_factory=dict)
    """``frozenV2`` per resource: frozen and not delegated out."""
    unfreezing: tuple[UnfreezingEntry, ...] = ()
    delegations: tuple[DelegationOut, ...] = ()
    """Delegated out, per (receiver, resource, locked), for every receiver the service manages
    (and any other the adapter found in the delegation index)."""
    acquired_sun: Mapping[StakingResourceType, int] = dataclasses.field(default_factory=dict)
    delegated_out_total_sun: Mapping[StakingResourceType, int] = dataclasses.field(
        default_factory=dict
    )
    """Everything delegated out per resource, to any receiver (``getaccount``'s
    ``delegated_frozenV2_balance_for_*``); ``delegations`` holds only the observed receivers."""
    votes: tuple[WitnessVote, ...] = ()
    """The account's vote list as the chain holds it (order kept, duplicates not merged)."""
    tron_power_limit: int = 0
    """Votes the account may cast (``tronPowerLimit``, whole TRX)."""
    tron_power_used: int = 0
    allowance_sun: int = 0
    """Settled, unwithdrawn reward (``allowance``)."""
    reward_sun: int = 0
    """``getReward``: allowance plus rewards not yet settled — what a claim would pay."""
    latest_withdraw_time_ms: int | None = None
    available_unfreeze_count: int = 32
    free_bandwidth_available_bytes: int = 0
    staked_bandwidth_available_bytes: int = 0
    energy_limit: int = 0
    """``EnergyLimit``: the energy the owner's own stake plus acquired delegations give (the
    chain's share of ``TotalEnergyCurrentLimit`` by stake weight); delegated out excluded."""
    energy_used: int = 0
    """``EnergyUsed``: energy consumed, decayed to the head block's time."""
    net_limit: int = 0
    """``NetLimit``: staked bandwidth in bytes, computed like ``energy_limit``."""
    net_used: int = 0
    """``NetUsed``: staked bandwidth consumed, in bytes, decayed to the head block's time."""
    free_net_limit: int = 0
    """``freeNetLimit``: the daily free bandwidth of an activated account (600 on mainnet)."""
    free_net_used: int = 0
    """``freeNetUsed``: free bandwidth consumed, in bytes, decayed to the head block's time."""
    can_delegate_max_sun: Mapping[StakingResourceType, int] = dataclasses.field(
        default_factory=dict
    )
    receivers_activated: Mapping[Address, bool] = dataclasses.field(default_factory=dict)
    """Activation of the receivers the owner's positions name (missing = not observed)."""
    witnesses: frozenset[Address] = frozenset()
    """The current witness (SR candidate) set; empty means it was not observed."""

    @property
    def chain_time_ms(self) -> int:
        return self.head_block_time_ms

    def frozen(self, resource: StakingResourceType) -> int:
        return self.frozen_sun.get(resource, 0)

    def delegated_out(self, resource: StakingResourceType) -> int:
        return sum(d.amount_sun for d in self.delegations if d.resource == resource)

    def delegated_to(self, receiver: Address, resource: StakingResourceType) -> int:
        return sum(
            d.amount_sun
            for d in self.delegations
            if d.receiver == receiver and d.resource == resource
        )

    def locked_record(
        self, receiver: Address, resource: StakingResourceType
    ) -> DelegationOut | None:
        for record in self.delegations:
            if record.receiver == receiver and record.resource == resource and record.locked:
                return record
        return None

    def undelegatable(
        self, receiver: Address, resource: StakingResourceType, chain_time_ms: int
    ) -> int:
        """What UnDelegateResource may take now: the unlocked amount plus the locked amount
        whose lock ended strictly before ``chain_time_ms``."""
        return sum(
            record.amount_sun
            for record in self.delegations
            if record.receiver == receiver
            and record.resource == resource
            and (not record.locked or _lock_ended(record, chain_time_ms))
        )

    def staked(self, resource: StakingResourceType) -> int:
        """Frozen plus delegated out: the owner's whole Stake 2.0 stake for ``resource``."""
        return self.frozen(resource) + self.delegated_out(resource)

    def delegated_out_all(self, resource: StakingResourceType) -> int:
        """Everything delegated out for ``resource``, to any receiver: the account's total when
        the node reported it, else the records observed (they are part of that total)."""
        return max(self.delegated_out_total_sun.get(resource, 0), self.delegated_out(resource))

    @property
    def tron_power_sun(self) -> int:
        """Tron power in sun (mainnet rule): frozenV2 plus everything delegated out, to any
        receiver (delegated-out stake keeps its tron power), both resources."""
        return sum(
            self.frozen(resource) + self.delegated_out_all(resource)
            for resource in StakingResourceType
        )

    @property
    def votes_by_witness(self) -> dict[Address, int]:
        return votes.by_witness(self.votes)

    @property
    def total_votes(self) -> int:
        return votes.total(self.votes)

    def unfreezing_pending(self, chain_time_ms: int) -> tuple[UnfreezingEntry, ...]:
        """Entries not yet matured (they count against the 32-unfreeze limit)."""
        return tuple(e for e in self.unfreezing if e.expire_time_ms > chain_time_ms)

    def withdrawable_sun(self, chain_time_ms: int) -> int:
        return sum(e.amount_sun for e in self.unfreezing if e.expire_time_ms <= chain_time_ms)

    @property
    def energy_available(self) -> int:
        """Energy usable now: ``energy_limit`` less ``energy_used`` (never negative)."""
        return max(self.energy_limit - self.energy_used, 0)

    def can_delegate(self, resource: StakingResourceType) -> int:
        return self.can_delegate_max_sun.get(resource, 0)

    @property
    def balance_trx(self) -> str:
        return amounts.format_trx(self.balance_sun)


def _lock_ended(record: DelegationOut, chain_time_ms: int) -> bool:
    return record.lock_expire_time_ms is not None and record.lock_expire_time_ms < chain_time_ms
