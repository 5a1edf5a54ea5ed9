"""Reading one owner's state in as few node requests as the planner needs.

Called by :class:`~tron_staking.chain.client.TronChainClient`. One head observation costs:

* ``wallet/getnowblock`` — the head (number, id, time): always, it names the block;
* ``walletsolidity/getnowblock`` — the solid block, cached fleet-wide per head block;
* ``getaccount`` and ``getaccountresource`` of the owner;
* ``getReward`` only when the account has votes (without votes nothing is unsettled, and
  ``getReward`` equals the account's ``allowance``);
* ``getdelegatedresourcev2`` per managed receiver, and ``getaccount`` of a receiver only when
  no delegation to it exists (a delegation proves its activation);
* ``getcandelegatedmaxsize`` only when there are receivers, and only for a resource the owner
  has frozen (otherwise it is 0);
* ``listwitnesses``, cached fleet-wide per head block (an empty answer is not cached);
* not ``getavailableunfreezecount``: the node computes it from ``unfrozenV2`` and the head
  time exactly as :func:`~tron_staking.chain.snapshot.build` does.

A block, an account resource or a reward answered as ``{}`` is a node fault (java-tron always
prints ``blockID``, ``freeNetLimit`` and ``reward``): the read is retried and then fails with
``ChainUnavailableError`` rather than pass zeros to the planner.

The owner's bodies are cached per (owner, receivers, head block id) — the block id, not only
its number, so a reorg never serves the replaced block's state. An account answered as ``{}``
is not cached: it may be a node fault and must not stand for the whole block.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Collection, Mapping
from typing import Final, Protocol

from tron_staking.chain import snapshot
from tron_staking.chain.ports import ReadCache
from tron_staking.chain.transactions import BlockRef, Json
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.errors import ChainUnavailableError


class Read(Protocol):
    """A retried read of ``path``; an answer without the key ``expect`` counts as a failed
    attempt (java-tron always prints it, so only a faulty or unsynced node leaves it out)."""

    def __call__(
        self, path: str, body: dict[str, Json], *, expect: str | None = None
    ) -> Awaitable[dict[str, Json]]: ...


FLEET: Final = "*"
"""The owner part of cache keys shared by every owner."""


class Observer:
    """Head and solid observations through ``read``, cached in ``cache`` when given."""

    def __init__(self, read: Read, cache: ReadCache | None) -> None:
        self._read = read
        self._cache = cache

    async def head(self) -> BlockRef:
        return block_ref(await self._read("wallet/getnowblock", {}, expect="blockID"), "head")

    async def solid_head(self) -> BlockRef:
        body = await self._read("walletsolidity/getnowblock", {}, expect="blockID")
        return block_ref(body, "solid")

    async def observe(self, owner: Address, receivers: Collection[Address]) -> AccountSnapshot:
        head = await self.head()
        solid = await self._solid_at(head)
        wanted = sorted(set(receivers))
        scope = "head:" + _digest(wanted)
        bodies = await self._cached(scope, owner, head.block_id)
        if bodies is None:
            bodies = await self._head_bodies(owner, wanted)
            if bodies["account"] and self._cache is not None:
                await self._cache.put(scope, owner, head.block_id, bodies)
        witnesses = await self._witnesses_at(head)
        return snapshot.build(
            owner,
            account=_object(bodies["account"]),
            account_resource=_object(bodies["account_resource"]),
            head_block_number=head.number,
            head_block_time_ms=head.timestamp_ms,
            solid_block_number=solid.number,
            solid_block_time_ms=solid.timestamp_ms,
            delegated_resources=_by_address(bodies["delegated"]),
            can_delegated_max_size={
                StakingResourceType(name): _object(body)
                for name, body in _object(bodies["can_delegate"]).items()
            },
            reward=_object(bodies["reward"]),
            witnesses=witnesses,
            receiver_accounts=_by_address(bodies["receivers"]),
        )

    async def observe_solid(
        self, owner: Address, receivers: Collection[Address]
    ) -> AccountSnapshot:
        solid = await self.solid_head()
        wanted = sorted(set(receivers))
        scope = "solid:" + _digest(wanted)
        bodies = await self._cached(scope, owner, solid.block_id)
        if bodies is None:
            account = await self._read("walletsolidity/getaccount", _address_body(owner))
            delegated: dict[str, Json] = {}
            for receiver in wanted:
                delegated[receiver] = await self._read(
                    "walletsolidity/getdelegatedresourcev2", _pair_body(owner, receiver)
                )
            bodies = {"account": account, "delegated": delegated}
            if account and self._cache is not None:
                await self._cache.put(scope, owner, solid.block_id, bodies)
        solid_account = _object(bodies["account"])
        return snapshot.build(
            owner,
            account=solid_account,
            account_resource={},
            head_block_number=solid.number,
            head_block_time_ms=solid.timestamp_ms,
            solid_block_number=solid.number,
            solid_block_time_ms=solid.timestamp_ms,
            delegated_resources=_by_address(bodies["delegated"]),
            reward={"reward": solid_account.get("allowance", 0)},
        )

    # -- the pieces -----------------------------------------------------------------------------

    async def _head_bodies(self, owner: Address, receivers: list[Address]) -> dict[str, Json]:
        account = await self._read("wallet/getaccount", _address_body(owner))
        if not account:
            return {
                "account": {},
                "account_resource": {},
                "reward": {},
                "delegated": {},
                "can_delegate": {},
                "receivers": {},
            }
        resource = await self._read(
            "wallet/getaccountresource", _address_body(owner), expect="freeNetLimit"
        )
        reward: dict[str, Json] = {"reward": account.get("allowance", 0)}
        if account.get("votes"):
            reward = await self._read("wallet/getReward", {"address": owner}, expect="reward")
        delegated: dict[str, Json] = {}
        activation: dict[str, Json] = {}
        for receiver in receivers:
            found = await self._read("wallet/getdelegatedresourcev2", _pair_body(owner, receiver))
            delegated[receiver] = found
            if found.get("delegatedResource"):
                activation[receiver] = {"address": receiver}
            else:
                activation[receiver] = await self._read(
                    "wallet/getaccount", _address_body(receiver)
                )
        can_delegate: dict[str, Json] = {}
        if receivers:
            for kind in _frozen_resources(account):
                can_delegate[kind.value] = await self._read(
                    "wallet/getcandelegatedmaxsize",
                    {"owner_address": owner, "type": kind.code, "visible": True},
                )
        return {
            "account": account,
            "account_resource": resource,
            "reward": reward,
            "delegated": delegated,
            "can_delegate": can_delegate,
            "receivers": activation,
        }

    async def _solid_at(self, head: BlockRef) -> BlockRef:
        cached = await self._cached("solid_at", FLEET, head.block_id)
        if cached is not None:
            return BlockRef(
                number=_int(cached.get("number")),
                block_id=str(cached.get("block_id")),
                timestamp_ms=_int(cached.get("timestamp_ms")),
            )
        solid = await self.solid_head()
        if self._cache is not None:
            value: dict[str, Json] = {
                "number": solid.number,
                "block_id": solid.block_id,
                "timestamp_ms": solid.timestamp_ms,
            }
            await self._cache.put("solid_at", FLEET, head.block_id, value)
        return solid

    async def _witnesses_at(self, head: BlockRef) -> dict[str, Json]:
        cached = await self._cached("witnesses", FLEET, head.block_id)
        if cached is not None:
            return cached
        witnesses = await self._read("wallet/listwitnesses", {})
        if witnesses.get("witnesses") and self._cache is not None:
            await self._cache.put("witnesses", FLEET, head.block_id, witnesses)
        return witnesses

    async def _cached(self, scope: str, owner: str, block_id: str) -> dict[str, Json] | None:
        if self._cache is None:
            return None
        return await self._cache.get(scope, owner, block_id)


def block_ref(body: Mapping[str, Json], which: str) -> BlockRef:
    """The ``BlockRef`` of a ``getnowblock`` answer; ChainUnavailableError when it is not a
    block (an unsynced node answers ``{}``)."""
    block_id = body.get("blockID")
    header = body.get("block_header")
    raw = header.get("raw_data") if isinstance(header, Mapping) else None
    if not isinstance(block_id, str) or len(block_id) != 64 or not isinstance(raw, Mapping):
        raise ChainUnavailableError(f"the node answered no {which} block")
    return BlockRef(
        number=_int(raw.get("number", 0)),
        block_id=block_id.lower(),
        timestamp_ms=_int(raw.get("timestamp", 0)),
    )


def _frozen_resources(account: Mapping[str, Json]) -> list[StakingResourceType]:
    found: list[StakingResourceType] = []
    entries = account.get("frozenV2")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or not entry.get("amount"):
            continue
        name = entry.get("type", "BANDWIDTH")
        if name in ("BANDWIDTH", "ENERGY"):
            found.append(StakingResourceType(str(name)))
    return sorted(set(found))


def _address_body(address: Address) -> dict[str, Json]:
    return {"address": address, "visible": True}


def _pair_body(owner: Address, receiver: Address) -> dict[str, Json]:
    return {"fromAddress": owner, "toAddress": receiver, "visible": True}


def _digest(receivers: list[Address]) -> str:
    return hashlib.sha256(",".join(receivers).encode()).hexdigest()[:16]


def _object(value: Json) -> Mapping[str, Json]:
    if not isinstance(value, Mapping):
        raise ChainUnavailableError(f"expected a JSON object, got {value!r}")
    return value


def _by_address(value: Json) -> dict[Address, Mapping[str, Json]]:
    return {Address(key): _object(body) for key, body in _object(value).items()}


def _int(value: Json) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChainUnavailableError(f"expected an integer, got {value!r}")
    return value
