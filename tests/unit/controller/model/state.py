"""Account state of the chain model and java-tron's resource arithmetic (reference §3, §5, §9).

``State`` is everything the actuators read and write: accounts, delegation records, the
dynamic properties that matter (the network's bandwidth weight) and the reward ledger. It is
copied per block (``copy``) so the node can answer from any recent block, and per
transaction so a rejected transaction rolls back entirely (reference §2).

Deliberate simplifications, none of which the planner can observe differently: the staked
bandwidth window is the fixed 28,800-slot window (java-tron shrinks and merges a per-account
window); receivers never consume resources, so undelegation transfers no usage; energy is
never consumed (staking transactions use bandwidth only).
"""

from __future__ import annotations

import dataclasses
import math

import base58

from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType

Res = StakingResourceType

SUN = 1_000_000
BLOCK_MS = 3000
DAY_MS = 86_400_000
UNFREEZE_DELAY_MS = 14 * DAY_MS
MAINTENANCE_MS = 6 * 3600 * 1000
FREE_NET_LIMIT_BYTES = 600
FEE_SUN_PER_BYTE = 1000
TOTAL_NET_LIMIT_BYTES = 43_200_000_000
BACKGROUND_NET_WEIGHT_TRX = 4_320_000_000
"""Everyone else's bandwidth stake: 10 bytes a day per staked TRX."""
WINDOW_SLOTS = 28_800
PRECISION = 1_000_000
MAX_UNFREEZING = 32
MAX_VOTES = 30
MAX_LOCK_BLOCKS = 864_000
DEFAULT_LOCK_BLOCKS = 86_400
REWARD_SUN_PER_VOTE_PER_CYCLE = 1_000
"""Voter reward paid per maintenance cycle per vote in force (1 TRX per 1,000 votes)."""


def hex_address(address: Address) -> str:
    """The lowercase 41-prefixed hex the actuators print in messages (reference §1.2)."""
    return bytes(base58.b58decode_check(address)).hex()


@dataclasses.dataclass
class Unfreezing:
    resource: Res
    amount_sun: int
    expire_ms: int


@dataclasses.dataclass
class Record:
    """One DelegatedResource record (owner → receiver, one resource, unlocked or locked)."""

    amount_sun: int = 0
    expire_ms: int = 0


RecordKey = tuple[Address, Address, Res, bool]
"""(from, to, resource, locked)"""


@dataclasses.dataclass
class Account:
    exists: bool = True
    is_contract: bool = False
    balance_sun: int = 0
    frozen_sun: dict[Res, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(Res, 0))
    delegated_sun: dict[Res, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(Res, 0))
    acquired_sun: dict[Res, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(Res, 0))
    unfrozen: list[Unfreezing] = dataclasses.field(default_factory=list)
    votes: list[tuple[Address, int]] = dataclasses.field(default_factory=list)
    allowance_sun: int = 0
    latest_withdraw_ms: int = 0
    net_usage_bytes: int = 0
    net_slot: int = 0
    free_usage_bytes: int = 0
    free_slot: int = 0

    def copy(self) -> Account:
        return dataclasses.replace(
            self,
            frozen_sun=dict(self.frozen_sun),
            delegated_sun=dict(self.delegated_sun),
            acquired_sun=dict(self.acquired_sun),
            unfrozen=[dataclasses.replace(e) for e in self.unfrozen],
            votes=list(self.votes),
        )

    def tron_power_sun(self) -> int:
        """Mainnet rule (model off): frozenV2 plus delegated out, both resources."""
        return sum(self.frozen_sun.values()) + sum(self.delegated_sun.values())

    def total_votes(self) -> int:
        return sum(count for _, count in self.votes)

    def unfreezing_pending(self, now_ms: int) -> int:
        return sum(1 for e in self.unfrozen if e.expire_ms > now_ms)


@dataclasses.dataclass
class State:
    accounts: dict[Address, Account]
    witnesses: frozenset[Address]
    records: dict[RecordKey, Record] = dataclasses.field(default_factory=dict)
    unsettled_reward_sun: dict[Address, int] = dataclasses.field(default_factory=dict)
    votes_in_force: dict[Address, int] = dataclasses.field(default_factory=dict)
    background_net_weight_trx: int = BACKGROUND_NET_WEIGHT_TRX

    def copy(self) -> State:
        return dataclasses.replace(
            self,
            accounts={a: acc.copy() for a, acc in self.accounts.items()},
            records={k: dataclasses.replace(r) for k, r in self.records.items()},
            unsettled_reward_sun=dict(self.unsettled_reward_sun),
            votes_in_force=dict(self.votes_in_force),
        )

    def total_net_weight_trx(self) -> int:
        own = sum(
            (acc.frozen_sun[Res.BANDWIDTH] + acc.delegated_sun[Res.BANDWIDTH]) // SUN
            for acc in self.accounts.values()
        )
        return self.background_net_weight_trx + own

    def net_limit_bytes(self, account: Account) -> int:
        """``NetLimit``: the account's share of the network's daily bandwidth (reference §5)."""
        stake = account.frozen_sun[Res.BANDWIDTH] + account.acquired_sun[Res.BANDWIDTH]
        weight = self.total_net_weight_trx()
        return int(stake / SUN * TOTAL_NET_LIMIT_BYTES / weight) if weight else 0

    def bandwidth_in_use_sun(self, account: Account, now_ms: int) -> int:
        """``v2Usage`` of DelegateResource for BANDWIDTH: the frozen bandwidth that the
        account's decayed staked usage occupies and that therefore cannot be delegated."""
        usage = decayed(account.net_usage_bytes, account.net_slot, slot(now_ms))
        usage_sun = int(usage * SUN * self.total_net_weight_trx() / TOTAL_NET_LIMIT_BYTES)
        return max(0, usage_sun - account.acquired_sun[Res.BANDWIDTH])

    def delegatable_sun(self, account: Account, resource: Res, now_ms: int) -> int:
        if resource is Res.ENERGY:
            return account.frozen_sun[resource]
        return account.frozen_sun[resource] - self.bandwidth_in_use_sun(account, now_ms)

    def records_from(self, owner: Address) -> dict[RecordKey, Record]:
        return {k: r for k, r in self.records.items() if k[0] == owner}


def slot(time_ms: int) -> int:
    """Slot number of a chain time (genesis at 0, reference §1.1)."""
    return time_ms // BLOCK_MS


def _average(usage_bytes: int) -> int:
    return -(-usage_bytes * PRECISION // WINDOW_SLOTS)


def _decay_average(average: int, last_slot: int, now_slot: int) -> int:
    if last_slot == now_slot:
        return average
    if last_slot + WINDOW_SLOTS <= now_slot:
        return 0
    # java's Math.round of a double
    return math.floor(average * ((WINDOW_SLOTS - (now_slot - last_slot)) / WINDOW_SLOTS) + 0.5)


def decayed(usage_bytes: int, last_slot: int, now_slot: int) -> int:
    """Usage recovered linearly over the 24 h window, as java-tron recomputes it to now."""
    return _decay_average(_average(usage_bytes), last_slot, now_slot) * WINDOW_SLOTS // PRECISION


def increased(usage_bytes: int, last_slot: int, now_slot: int, added_bytes: int) -> int:
    """``ResourceProcessor.increase``: the decayed usage plus ``added_bytes``."""
    average = _decay_average(_average(usage_bytes), last_slot, now_slot) + _average(added_bytes)
    return average * WINDOW_SLOTS // PRECISION


def rescaled_votes(
    votes: list[tuple[Address, int]], tron_power_sun: int
) -> list[tuple[Address, int]]:
    """UnfreezeBalanceV2's rescaling (reference §3.2 step 5): votes shrink proportionally,
    in double arithmetic with truncation, when the tron power no longer covers them."""
    total = sum(count for _, count in votes)
    if not votes or total * SUN <= tron_power_sun:
        return list(votes)
    scaled = [(witness, int(count / total * tron_power_sun / SUN)) for witness, count in votes]
    return [(witness, count) for witness, count in scaled if count > 0]
