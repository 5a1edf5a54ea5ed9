"""From java-tron's JSON answers to one ``AccountSnapshot`` (pure: no I/O, no driver).

The chain client reads, for one owner at one head block, ``getaccount`` and
``getaccountresource`` (``visible: true``), ``getdelegatedresourcev2`` per managed receiver,
and, when they can matter, ``getcandelegatedmaxsize`` per resource, ``getReward``,
``listwitnesses`` and ``getaccount`` per managed receiver, plus the head and solid blocks
(:mod:`~tron_staking.chain.observation` says which and when), and hands the bodies to
:func:`build`. This module knows every way java-tron says "nothing"
(reference §1.3 and §6.15): ``{}`` for an unknown account or a zero result, proto3 defaults
omitted (a missing key is 0), a ``frozenV2``/``unfrozenV2`` entry without ``"type"`` is
BANDWIDTH, ``TRON_POWER`` entries (new resource model only) are ignored.

Addresses are accepted in base58 or ``41…`` hex (``listwitnesses`` ignores ``visible``) and
come out canonical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

from tron_staking.domain import addresses
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.snapshot import AccountSnapshot, DelegationOut, UnfreezingEntry
from tron_staking.domain.votes import WitnessVote
from tron_staking.errors import ChainUnavailableError, ValidationError

JsonObject: TypeAlias = Mapping[str, object]
"""One decoded JSON object as the node answered it."""

_RESOURCE_BY_TYPE: dict[str, StakingResourceType] = {
    "BANDWIDTH": StakingResourceType.BANDWIDTH,
    "ENERGY": StakingResourceType.ENERGY,
}
_BANDWIDTH_KEYS = ("frozen_balance_for_bandwidth", "expire_time_for_bandwidth")
_ENERGY_KEYS = ("frozen_balance_for_energy", "expire_time_for_energy")


def build(
    owner: Address,
    *,
    account: JsonObject,
    account_resource: JsonObject,
    head_block_number: int,
    head_block_time_ms: int,
    solid_block_number: int,
    solid_block_time_ms: int,
    delegated_resources: Mapping[Address, JsonObject] | None = None,
    can_delegated_max_size: Mapping[StakingResourceType, JsonObject] | None = None,
    available_unfreeze_count: JsonObject | None = None,
    reward: JsonObject | None = None,
    witnesses: JsonObject | None = None,
    receiver_accounts: Mapping[Address, JsonObject] | None = None,
) -> AccountSnapshot:
    """The snapshot of ``owner`` from the node's answers.

    ``delegated_resources``: ``getdelegatedresourcev2`` from the owner, by receiver.
    ``can_delegated_max_size``: ``getcandelegatedmaxsize`` by resource (missing = 0).
    ``available_unfreeze_count``: None when not read (then derived from ``unfrozenV2``).
    ``witnesses``: ``listwitnesses``; None when not read (an empty witness set).
    ``receiver_accounts``: ``getaccount`` of each receiver (``{}`` = not activated).

    Raises ChainUnavailableError when a body is an ``{"Error": …}`` answer or a field has a
    type java-tron never prints: the node answered something unusable; read again later.
    """
    bodies: dict[str, JsonObject | None] = {
        "getaccount": account,
        "getaccountresource": account_resource,
        "getavailableunfreezecount": available_unfreeze_count,
        "getReward": reward,
        "listwitnesses": witnesses,
    }
    for name, body in bodies.items():
        _refuse_error(name, body)
    for receiver, body in (delegated_resources or {}).items():
        _refuse_error(f"getdelegatedresourcev2 {receiver}", body)
    for resource, body in (can_delegated_max_size or {}).items():
        _refuse_error(f"getcandelegatedmaxsize {resource}", body)
    for receiver, body in (receiver_accounts or {}).items():
        _refuse_error(f"getaccount {receiver}", body)

    unfreezing = _unfreezing(account)
    if available_unfreeze_count is None:
        count = 32 - sum(1 for e in unfreezing if e.expire_time_ms > head_block_time_ms)
    else:
        count = _int(available_unfreeze_count, "count")
    latest_withdraw_ms = _int(account, "latest_withdraw_time")
    return AccountSnapshot(
        owner=owner,
        exists=bool(account),
        head_block_number=head_block_number,
        head_block_time_ms=head_block_time_ms,
        solid_block_number=solid_block_number,
        solid_block_time_ms=solid_block_time_ms,
        balance_sun=_int(account, "balance"),
        frozen_sun=_frozen(account),
        unfreezing=unfreezing,
        delegations=_delegations(delegated_resources or {}),
        acquired_sun=_acquired(account),
        delegated_out_total_sun=_delegated_out_total(account),
        votes=_votes(account),
        tron_power_limit=_int(account_resource, "tronPowerLimit"),
        tron_power_used=_int(account_resource, "tronPowerUsed"),
        allowance_sun=_int(account, "allowance"),
        reward_sun=_int(reward or {}, "reward"),
        latest_withdraw_time_ms=latest_withdraw_ms or None,
        available_unfreeze_count=count,
        free_bandwidth_available_bytes=max(
            _int(account_resource, "freeNetLimit") - _int(account_resource, "freeNetUsed"), 0
        ),
        staked_bandwidth_available_bytes=max(
            _int(account_resource, "NetLimit") - _int(account_resource, "NetUsed"), 0
        ),
        energy_limit=_int(account_resource, "EnergyLimit"),
        energy_used=_int(account_resource, "EnergyUsed"),
        net_limit=_int(account_resource, "NetLimit"),
        net_used=_int(account_resource, "NetUsed"),
        free_net_limit=_int(account_resource, "freeNetLimit"),
        free_net_used=_int(account_resource, "freeNetUsed"),
        can_delegate_max_sun={
            resource: _int(body, "max_size")
            for resource, body in (can_delegated_max_size or {}).items()
        },
        receivers_activated={
            receiver: bool(body) for receiver, body in (receiver_accounts or {}).items()
        },
        witnesses=_witnesses(witnesses or {}),
    )


# -- the pieces ---------------------------------------------------------------------------------


def _frozen(account: JsonObject) -> dict[StakingResourceType, int]:
    frozen: dict[StakingResourceType, int] = {}
    for entry in _objects(account, "frozenV2"):
        resource = _resource(entry)
        if resource is not None:
            frozen[resource] = frozen.get(resource, 0) + _int(entry, "amount")
    return {resource: amount for resource, amount in frozen.items() if amount}


def _unfreezing(account: JsonObject) -> tuple[UnfreezingEntry, ...]:
    entries: list[UnfreezingEntry] = []
    for entry in _objects(account, "unfrozenV2"):
        resource = _resource(entry)
        if resource is None:
            continue
        entries.append(
            UnfreezingEntry(
                resource=resource,
                amount_sun=_int(entry, "unfreeze_amount"),
                expire_time_ms=_int(entry, "unfreeze_expire_time"),
            )
        )
    return tuple(entries)


def _acquired(account: JsonObject) -> dict[StakingResourceType, int]:
    acquired = {
        StakingResourceType.BANDWIDTH: _int(
            account, "acquired_delegated_frozenV2_balance_for_bandwidth"
        ),
        StakingResourceType.ENERGY: _int(
            _object(account, "account_resource"),
            "acquired_delegated_frozenV2_balance_for_energy",
        ),
    }
    return {resource: amount for resource, amount in acquired.items() if amount}


def _delegated_out_total(account: JsonObject) -> dict[StakingResourceType, int]:
    delegated = {
        StakingResourceType.BANDWIDTH: _int(account, "delegated_frozenV2_balance_for_bandwidth"),
        StakingResourceType.ENERGY: _int(
            _object(account, "account_resource"), "delegated_frozenV2_balance_for_energy"
        ),
    }
    return {resource: amount for resource, amount in delegated.items() if amount}


def _votes(account: JsonObject) -> tuple[WitnessVote, ...]:
    return tuple(
        WitnessVote(
            witness=_address(entry.get("vote_address"), "votes.vote_address"),
            count=_int(entry, "vote_count"),
        )
        for entry in _objects(account, "votes")
    )


def _delegations(by_receiver: Mapping[Address, JsonObject]) -> tuple[DelegationOut, ...]:
    """One ``DelegationOut`` per (receiver, resource, locked) with a non-zero amount.

    A record's amount for a resource is locked when the record carries an expiry for that
    resource: java-tron keeps the unlocked and the locked record apart and prints the expiry
    only on the locked one (it may already have passed: the lock is lifted lazily)."""
    found: dict[tuple[Address, StakingResourceType, bool], tuple[int, int | None]] = {}
    for receiver, body in by_receiver.items():
        for record in _objects(body, "delegatedResource"):
            to = record.get("to")
            target = receiver if to is None else _address(to, "delegatedResource.to")
            for resource, (amount_key, expire_key) in (
                (StakingResourceType.BANDWIDTH, _BANDWIDTH_KEYS),
                (StakingResourceType.ENERGY, _ENERGY_KEYS),
            ):
                amount = _int(record, amount_key)
                if not amount:
                    continue
                expire_ms = _int(record, expire_key) or None
                key = (target, resource, expire_ms is not None)
                previous_amount, previous_expire = found.get(key, (0, None))
                latest = max(
                    (t for t in (previous_expire, expire_ms) if t is not None), default=None
                )
                found[key] = (previous_amount + amount, latest)
    return tuple(
        DelegationOut(
            receiver=receiver,
            resource=resource,
            locked=locked,
            amount_sun=amount,
            lock_expire_time_ms=expire_ms,
        )
        for (receiver, resource, locked), (amount, expire_ms) in sorted(found.items())
    )


def _witnesses(body: JsonObject) -> frozenset[Address]:
    return frozenset(
        _address(entry.get("address"), "witnesses.address") for entry in _objects(body, "witnesses")
    )


# -- reading JSON -------------------------------------------------------------------------------


def _refuse_error(name: str, body: JsonObject | None) -> None:
    if body is None:
        return
    if not isinstance(body, Mapping):
        raise ChainUnavailableError(f"{name} answered {type(body).__name__}, not an object")
    if "Error" in body:
        raise ChainUnavailableError(f"{name} answered an error: {body['Error']}")


def _int(body: JsonObject, key: str) -> int:
    value = body.get(key, 0)
    # bool is an int to Python, never to java-tron; int64_as_string prints digits.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ChainUnavailableError(f"{key} is {value!r}, not an integer")
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise ChainUnavailableError(f"{key} is {value!r}, not an integer") from None
    return value


def _object(body: JsonObject, key: str) -> JsonObject:
    value = body.get(key, {})
    if not isinstance(value, Mapping):
        raise ChainUnavailableError(f"{key} is {value!r}, not an object")
    return value


def _objects(body: JsonObject, key: str) -> Sequence[JsonObject]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ChainUnavailableError(f"{key} is {value!r}, not a list of objects")
    return value


def _resource(entry: JsonObject) -> StakingResourceType | None:
    """The entry's resource; BANDWIDTH when ``type`` is absent (enum 0), None for
    ``TRON_POWER`` (never staked by the service)."""
    kind = entry.get("type", "BANDWIDTH")
    if kind == "TRON_POWER":
        return None
    if not isinstance(kind, str) or kind not in _RESOURCE_BY_TYPE:
        raise ChainUnavailableError(f"unknown resource type {kind!r}")
    return _RESOURCE_BY_TYPE[kind]


def _address(value: object, field: str) -> Address:
    try:
        return addresses.parse_address(value, field=field)
    except ValidationError as exc:
        raise ChainUnavailableError(f"{field}: {exc}") from exc
