"""The declared target of one position (``PositionSpec``) and its validation.

A spec says what the user wants on chain: ``owner`` keeps ``amount_sun`` frozen for
``resource``, optionally votes its tron power by weight, optionally delegates the resource to
``receiver``, and may auto-claim voting rewards. Constructing a spec validates it; every rule
broken raises :class:`~tron_staking.errors.ValidationError` with ``field`` naming the input
(``"votes[1].weight"``, ``"delegate.receiver"``), which the API turns into a 422.

``parse_spec`` reads a request body or stored mapping (``amount_sun`` or ``amount_trx``,
unknown fields refused); ``PositionSpec.for_storage`` / ``from_storage`` convert to and from
the stored fields of a position document.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TypedDict

from tron_staking.domain import addresses, amounts
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.errors import ValidationError

MAX_VOTE_WITNESSES = 30
"""VoteWitness accepts at most 30 entries (``MAX_VOTE_NUMBER``)."""
MIN_WEIGHT = 1
MAX_WEIGHT = 100
MIN_LOCK_PERIOD_BLOCKS = 1
MAX_LOCK_PERIOD_BLOCKS = 864_000
"""Mainnet's ``getMaxDelegateLockPeriod`` (30 days of 3 s blocks)."""
DEFAULT_LOCK_PERIOD_BLOCKS = 86_400
"""What the chain applies to a locked delegation sent with ``lock_period`` 0 (3 days)."""
MAX_LABELS = 16
MAX_LABEL_KEY_CHARS = 63
MAX_LABEL_VALUE_CHARS = 255

SPEC_FIELDS = frozenset(
    {"owner", "resource", "amount_sun", "amount_trx", "votes", "delegate", "auto_claim", "labels"}
)


class RawVoteWeight(TypedDict):
    witness: str
    weight: int


class RawDelegateSpec(TypedDict):
    receiver: str
    lock: bool
    lock_period_blocks: int | None


@dataclasses.dataclass(frozen=True)
class VoteWeight:
    """One witness of a position's votes and its relative weight (1–100)."""

    witness: Address
    weight: int

    def for_storage(self) -> RawVoteWeight:
        return {"witness": self.witness, "weight": self.weight}


@dataclasses.dataclass(frozen=True)
class DelegateSpec:
    """Delegate the position's resource to ``receiver``; ``lock`` makes it a locked delegation
    for ``lock_period_blocks`` (None = the chain's default of 86,400 blocks)."""

    receiver: Address
    lock: bool = False
    lock_period_blocks: int | None = None

    @property
    def effective_lock_period_blocks(self) -> int | None:
        """The lock the chain will apply in blocks, or None for an unlocked delegation."""
        if not self.lock:
            return None
        return self.lock_period_blocks or DEFAULT_LOCK_PERIOD_BLOCKS

    def for_storage(self) -> RawDelegateSpec:
        return {
            "receiver": self.receiver,
            "lock": self.lock,
            "lock_period_blocks": self.lock_period_blocks,
        }

    @classmethod
    def from_storage(cls, raw: RawDelegateSpec) -> DelegateSpec:
        return cls(
            receiver=Address(raw["receiver"]),
            lock=raw["lock"],
            lock_period_blocks=raw["lock_period_blocks"],
        )


@dataclasses.dataclass(frozen=True)
class PositionSpec:
    """What one position declares. Construction normalises addresses and validates every
    rule; it raises ValidationError(field=...) on the first one broken."""

    owner: Address
    resource: StakingResourceType
    amount_sun: int
    votes: tuple[VoteWeight, ...] = ()
    delegate: DelegateSpec | None = None
    auto_claim: bool = False
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = addresses.parse_address(self.owner, field="owner")
        object.__setattr__(self, "owner", owner)
        if not isinstance(self.resource, StakingResourceType):
            raise ValidationError("resource must be ENERGY or BANDWIDTH", field="resource")
        amounts.validate_position_amount(self.amount_sun, field="amount_sun")
        object.__setattr__(self, "votes", _validated_votes(self.votes))
        if self.delegate is not None:
            object.__setattr__(self, "delegate", _validated_delegate(self.delegate, owner))
        if not isinstance(self.auto_claim, bool):
            raise ValidationError("auto_claim must be true or false", field="auto_claim")
        object.__setattr__(self, "labels", _validated_labels(self.labels))

    @property
    def amount_trx(self) -> str:
        return amounts.format_trx(self.amount_sun)

    @property
    def tron_power(self) -> int:
        """The votes this position's stake gives (``amount_sun // 1_000_000``)."""
        return amounts.tron_power(self.amount_sun)

    def with_votes(self, votes: tuple[VoteWeight, ...]) -> PositionSpec:
        return dataclasses.replace(self, votes=votes)

    def with_delegate(self, delegate: DelegateSpec | None) -> PositionSpec:
        return dataclasses.replace(self, delegate=delegate)

    def with_auto_claim(self, auto_claim: bool) -> PositionSpec:
        return dataclasses.replace(self, auto_claim=auto_claim)

    def with_labels(self, labels: Mapping[str, str]) -> PositionSpec:
        return dataclasses.replace(self, labels=labels)


def _validated_votes(votes: object) -> tuple[VoteWeight, ...]:
    if not isinstance(votes, tuple | list):
        raise ValidationError("votes must be a list", field="votes")
    if len(votes) > MAX_VOTE_WITNESSES:
        raise ValidationError(
            f"at most {MAX_VOTE_WITNESSES} witnesses can be voted for", field="votes"
        )
    seen: set[Address] = set()
    result: list[VoteWeight] = []
    for index, vote in enumerate(votes):
        if not isinstance(vote, VoteWeight):
            raise ValidationError("each vote is a witness and a weight", field=f"votes[{index}]")
        witness = addresses.parse_address(vote.witness, field=f"votes[{index}].witness")
        if witness in seen:
            raise ValidationError(
                "each witness may appear only once", field=f"votes[{index}].witness"
            )
        seen.add(witness)
        weight = vote.weight
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise ValidationError("weight must be an integer", field=f"votes[{index}].weight")
        if not MIN_WEIGHT <= weight <= MAX_WEIGHT:
            raise ValidationError(
                f"weight must be between {MIN_WEIGHT} and {MAX_WEIGHT}",
                field=f"votes[{index}].weight",
            )
        result.append(VoteWeight(witness=witness, weight=weight))
    return tuple(result)


def _validated_delegate(delegate: object, owner: Address) -> DelegateSpec:
    if not isinstance(delegate, DelegateSpec):
        raise ValidationError("delegate must be an object", field="delegate")
    receiver = addresses.parse_address(delegate.receiver, field="delegate.receiver")
    if receiver == owner:
        raise ValidationError("the receiver must not be the owner", field="delegate.receiver")
    if not isinstance(delegate.lock, bool):
        raise ValidationError("lock must be true or false", field="delegate.lock")
    period = delegate.lock_period_blocks
    if period is not None:
        if not delegate.lock:
            raise ValidationError(
                "lock_period_blocks is only allowed with lock: true",
                field="delegate.lock_period_blocks",
            )
        if isinstance(period, bool) or not isinstance(period, int):
            raise ValidationError(
                "lock_period_blocks must be an integer", field="delegate.lock_period_blocks"
            )
        if not MIN_LOCK_PERIOD_BLOCKS <= period <= MAX_LOCK_PERIOD_BLOCKS:
            raise ValidationError(
                f"lock_period_blocks must be between {MIN_LOCK_PERIOD_BLOCKS} and "
                f"{MAX_LOCK_PERIOD_BLOCKS}",
                field="delegate.lock_period_blocks",
            )
    return DelegateSpec(receiver=receiver, lock=delegate.lock, lock_period_blocks=period)


def _validated_labels(labels: object) -> dict[str, str]:
    if not isinstance(labels, Mapping):
        raise ValidationError("labels must be an object of strings", field="labels")
    if len(labels) > MAX_LABELS:
        raise ValidationError(f"at most {MAX_LABELS} labels", field="labels")
    result: dict[str, str] = {}
    for key, value in labels.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_LABEL_KEY_CHARS:
            raise ValidationError(
                f"label keys are 1 to {MAX_LABEL_KEY_CHARS} characters", field="labels"
            )
        if not isinstance(value, str) or len(value) > MAX_LABEL_VALUE_CHARS:
            raise ValidationError(
                f"label values are strings of at most {MAX_LABEL_VALUE_CHARS} characters",
                field=f"labels.{key}",
            )
        result[key] = value
    return result


def parse_votes(value: object, *, field: str = "votes") -> tuple[VoteWeight, ...]:
    """Votes from a request or stored list of ``{"witness", "weight"}`` objects (None = no
    votes). Raises ValidationError naming the bad entry."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ValidationError("votes must be a list", field=field)
    result: list[VoteWeight] = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            raise ValidationError("each vote is an object", field=where)
        _refuse_unknown(item, {"witness", "weight"}, where)
        if "witness" not in item or "weight" not in item:
            raise ValidationError("a vote needs a witness and a weight", field=where)
        witness = addresses.parse_address(item["witness"], field=f"{where}.witness")
        weight = item["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise ValidationError("weight must be an integer", field=f"{where}.weight")
        result.append(VoteWeight(witness=witness, weight=weight))
    return tuple(result)


def parse_delegate(value: object, *, field: str = "delegate") -> DelegateSpec | None:
    """A delegation from a request or stored object (None = no delegation)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError("delegate must be an object or null", field=field)
    _refuse_unknown(value, {"receiver", "lock", "lock_period_blocks"}, field)
    if "receiver" not in value:
        raise ValidationError("delegate needs a receiver", field=f"{field}.receiver")
    receiver = addresses.parse_address(value["receiver"], field=f"{field}.receiver")
    lock = value.get("lock", False)
    if not isinstance(lock, bool):
        raise ValidationError("lock must be true or false", field=f"{field}.lock")
    period = value.get("lock_period_blocks")
    if period is not None and (isinstance(period, bool) or not isinstance(period, int)):
        raise ValidationError(
            "lock_period_blocks must be an integer", field=f"{field}.lock_period_blocks"
        )
    return DelegateSpec(receiver=receiver, lock=lock, lock_period_blocks=period)


def parse_labels(value: object, *, field: str = "labels") -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("labels must be an object of strings", field=field)
    return _validated_labels(value)


def parse_resource(value: object, *, field: str = "resource") -> StakingResourceType:
    try:
        return StakingResourceType(str(value))
    except ValueError:
        raise ValidationError("resource must be ENERGY or BANDWIDTH", field=field) from None


def parse_spec(data: Mapping[str, object]) -> PositionSpec:
    """The spec in a create request body (or any mapping of spec fields).

    Exactly one of ``amount_sun`` (int) and ``amount_trx`` (decimal string, Decimal or int)
    must be given. Unknown fields are refused. Raises ValidationError(field=...).
    """
    _refuse_unknown(data, SPEC_FIELDS, None)
    for required in ("owner", "resource"):
        if required not in data:
            raise ValidationError(f"{required} is required", field=required)
    has_sun, has_trx = "amount_sun" in data, "amount_trx" in data
    if has_sun == has_trx:
        raise ValidationError("give exactly one of amount_sun and amount_trx", field="amount_sun")
    if has_sun:
        amount_sun = amounts.validate_position_amount(data["amount_sun"], field="amount_sun")
    else:
        amount_sun = amounts.validate_position_amount(
            amounts.parse_trx(data["amount_trx"], field="amount_trx"), field="amount_trx"
        )
    auto_claim = data.get("auto_claim", False)
    if not isinstance(auto_claim, bool):
        raise ValidationError("auto_claim must be true or false", field="auto_claim")
    return PositionSpec(
        owner=addresses.parse_address(data["owner"], field="owner"),
        resource=parse_resource(data["resource"]),
        amount_sun=amount_sun,
        votes=parse_votes(data.get("votes")),
        delegate=parse_delegate(data.get("delegate")),
        auto_claim=auto_claim,
        labels=parse_labels(data.get("labels")),
    )


def _refuse_unknown(
    data: Mapping[str, object], allowed: frozenset[str] | set[str], at: str | None
) -> None:
    for key in data:
        if key not in allowed:
            name = key if at is None else f"{at}.{key}"
            raise ValidationError(f"unknown field {key!r}", field=name)
