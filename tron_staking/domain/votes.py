"""Vote arithmetic: from positions' weights to one account vote list, and java-tron's own
rescaling of votes when an unfreeze lowers the tron power.

TRON keeps one vote list per account, and ``VoteWitness`` replaces it whole. The service
therefore computes the owner's list as the sum of its voting positions' allocations:

* ``allocate_position_votes``: a position's tron power (``amount_sun // 1_000_000`` votes) is
  split by weight with largest-remainder rounding, ties broken by witness address, so the
  parts always add up to the tron power and the result does not depend on list order.
* ``allocate_account_votes``: the per-position allocations summed per witness, plus the
  account's unmanaged votes when the caller keeps them, fitted to at most 30 witnesses and to
  the tron power the chain reports (scaled down deterministically, with warnings).
* ``predict_unfreeze_rescale``: what UnfreezeBalanceV2 does to the account's votes when the new
  tron power no longer covers them (reference §3.2 step 5), reproduced exactly.

All functions are pure and deterministic.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TypedDict, TypeVar

from tron_staking.domain import amounts
from tron_staking.domain.addresses import Address
from tron_staking.domain.ids import PositionId
from tron_staking.domain.spec import MAX_VOTE_WITNESSES, VoteWeight


class RawWitnessVote(TypedDict):
    witness: str
    count: int


@dataclasses.dataclass(frozen=True, order=True)
class WitnessVote:
    """``count`` votes (whole TRX of tron power) for ``witness``."""

    witness: Address
    count: int

    def for_storage(self) -> RawWitnessVote:
        return {"witness": self.witness, "count": self.count}

    @classmethod
    def from_storage(cls, raw: RawWitnessVote) -> WitnessVote:
        return cls(witness=Address(raw["witness"]), count=raw["count"])


_K = TypeVar("_K", bound=str | tuple[str, str])
"""Keys of ``apportion``: witnesses, or (position id, witness) pairs."""


def total(votes: Iterable[WitnessVote]) -> int:
    return sum(vote.count for vote in votes)


def by_witness(votes: Iterable[WitnessVote]) -> dict[Address, int]:
    """Counts summed per witness (an account list may name a witness twice)."""
    result: dict[Address, int] = {}
    for vote in votes:
        result[vote.witness] = result.get(vote.witness, 0) + vote.count
    return result


def vote_list(counts: Mapping[Address, int]) -> tuple[WitnessVote, ...]:
    """The positive counts as a list sorted by witness address (the canonical order)."""
    return tuple(
        WitnessVote(witness=witness, count=count)
        for witness, count in sorted(counts.items())
        if count > 0
    )


def add(*parts: Mapping[Address, int]) -> dict[Address, int]:
    result: dict[Address, int] = {}
    for part in parts:
        for witness, count in part.items():
            result[witness] = result.get(witness, 0) + count
    return result


def apportion(weights: Mapping[_K, int], seats: int) -> dict[_K, int]:
    """Split ``seats`` in proportion to ``weights`` by largest remainder.

    Each key gets ``floor(seats × weight / Σweights)``; the seats left over go one each to the
    largest remainders, ties to the smallest key. The result sums to ``seats`` (or to 0 when
    all weights are 0); zero shares are kept so the caller can tell who got nothing.
    """
    if seats < 0:
        raise ValueError("seats must not be negative")
    weight_total = sum(weights.values())
    if weight_total <= 0:
        return dict.fromkeys(weights, 0)
    shares: dict[_K, int] = {}
    remainders: list[tuple[int, _K]] = []
    for key, weight in weights.items():
        share, remainder = divmod(seats * weight, weight_total)
        shares[key] = share
        remainders.append((remainder, key))
    left = seats - sum(shares.values())
    # Largest remainder first; among equal remainders the smallest key wins.
    remainders.sort(key=lambda item: (-item[0], item[1]))
    for _, key in remainders[:left]:
        shares[key] += 1
    return shares


def allocate_position_votes(
    amount_sun: int, weights: Sequence[VoteWeight]
) -> tuple[WitnessVote, ...]:
    """One position's votes: its tron power split by weight (largest remainder).

    Sorted by witness; witnesses whose share rounds to 0 are left out. Empty when the
    position has no votes.
    """
    if not weights:
        return ()
    shares = apportion(
        {weight.witness: weight.weight for weight in weights}, amounts.tron_power(amount_sun)
    )
    return vote_list(shares)


class VoteWarning(enum.StrEnum):
    MANAGED_SCALED_DOWN = "ManagedVotesScaledDown"
    UNMANAGED_SCALED_DOWN = "UnmanagedVotesScaledDown"
    UNMANAGED_DROPPED = "UnmanagedVotesDropped"


@dataclasses.dataclass(frozen=True)
class AccountVotes:
    """The owner's vote list and what each position contributes to it.

    ``refused`` is set (and ``votes`` empty) when the managed votes alone name more than 30
    witnesses: no VoteWitness can carry them, and the positions must be changed.
    """

    votes: tuple[WitnessVote, ...]
    per_position: Mapping[PositionId, tuple[WitnessVote, ...]]
    unmanaged: tuple[WitnessVote, ...]
    warnings: tuple[VoteWarning, ...] = ()
    refused: str | None = None


def allocate_account_votes(
    per_position: Mapping[PositionId, Sequence[WitnessVote]],
    unmanaged: Mapping[Address, int],
    tron_power_limit: int,
    *,
    max_witnesses: int = MAX_VOTE_WITNESSES,
) -> AccountVotes:
    """The account vote list: managed allocations summed, plus ``unmanaged`` votes kept.

    * More than ``max_witnesses`` managed witnesses: refused (nothing can be cast).
    * Unmanaged witnesses beyond the free slots are dropped, smallest counts first (ties:
      larger address first), with ``UnmanagedVotesDropped``.
    * Managed votes above ``tron_power_limit``: every (position, witness) share is scaled down
      by largest remainder, unmanaged votes dropped, ``ManagedVotesScaledDown``.
    * Otherwise unmanaged votes are scaled into the room left, ``UnmanagedVotesScaledDown``.
    """
    managed = add(*(by_witness(votes) for votes in per_position.values()))
    if len(managed) > max_witnesses:
        return AccountVotes(
            votes=(),
            per_position={},
            unmanaged=(),
            refused=f"the positions name {len(managed)} witnesses; an account can vote for "
            f"at most {max_witnesses}",
        )
    warnings: list[VoteWarning] = []
    positions = {pid: tuple(votes) for pid, votes in per_position.items()}
    managed_total = sum(managed.values())
    kept: dict[Address, int] = {w: c for w, c in unmanaged.items() if c > 0}
    if managed_total > tron_power_limit:
        flat = {
            (pid, vote.witness): vote.count for pid, votes in positions.items() for vote in votes
        }
        scaled = apportion(flat, max(tron_power_limit, 0))
        positions = {
            pid: vote_list({w: c for (p, w), c in scaled.items() if p == pid}) for pid in positions
        }
        managed = add(*(by_witness(votes) for votes in positions.values()))
        warnings.append(VoteWarning.MANAGED_SCALED_DOWN)
        if kept:
            warnings.append(VoteWarning.UNMANAGED_DROPPED)
        kept = {}
    else:
        free_slots = max_witnesses - len(managed)
        extra = sorted((w for w in kept if w not in managed), key=lambda w: (-kept[w], w))
        dropped = extra[free_slots:]
        if dropped:
            warnings.append(VoteWarning.UNMANAGED_DROPPED)
            for witness in dropped:
                del kept[witness]
        room = tron_power_limit - managed_total
        if sum(kept.values()) > room:
            kept = apportion(kept, room)
            warnings.append(VoteWarning.UNMANAGED_SCALED_DOWN)
    combined = add(managed, kept)
    return AccountVotes(
        votes=vote_list(combined),
        per_position={pid: votes for pid, votes in positions.items()},
        unmanaged=vote_list(kept),
        warnings=tuple(warnings),
    )


def predict_unfreeze_rescale(
    votes: Sequence[WitnessVote], tron_power_sun_after: int
) -> tuple[WitnessVote, ...]:
    """The account's votes after an UnfreezeBalanceV2 leaves ``tron_power_sun_after``.

    java-tron (mainnet, old resource model) keeps the votes when the new tron power covers
    them (``TP_sun >= Σvotes × 10^6``); otherwise each entry, in list order, becomes
    ``(long) ((double) count / Σvotes * TP_sun / 1_000_000)`` and zero results are dropped.
    The example of the reference: 2,000 TP voting 600/400, unstake 1,500 → 300/200.
    """
    vote_total = total(votes)
    if vote_total == 0 or tron_power_sun_after >= vote_total * amounts.SUN_PER_TRX:
        return tuple(votes)
    rescaled: list[WitnessVote] = []
    for vote in votes:
        # The chain's own IEEE-754 double arithmetic, evaluated left to right exactly as the
        # Java expression; the result is a whole vote count, never an amount of money.
        count = int(vote.count / vote_total * tron_power_sun_after / amounts.SUN_PER_TRX)
        if count > 0:
            rescaled.append(WitnessVote(witness=vote.witness, count=count))
    return tuple(rescaled)
