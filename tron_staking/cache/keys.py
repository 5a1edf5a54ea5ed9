"""The names of everything tron-staking keeps in Redis, in one place.

The per-address keys are the seed service's (``staking_stats:{address}``, ``rewards:{address}``,
``resource_info:{address}``); wake-ups travel on one pub/sub channel whose payload is the owner
address whose positions changed.
"""

from __future__ import annotations

import enum
from typing import Final

WAKE_CHANNEL: Final = "tron_staking:wake"


class AddressView(enum.StrEnum):
    """A cached per-address read of the API; the value is the key's prefix."""

    STAKING_STATS = "staking_stats"
    REWARDS = "rewards"
    RESOURCE_INFO = "resource_info"


def address_key(view: AddressView, address: str) -> str:
    """The Redis key of ``view`` for ``address``, e.g. ``rewards:T...``."""
    return f"{view.value}:{address}"


CHAIN_READ_PREFIX: Final = "chain_read"


def chain_read_key(scope: str, owner: str, block_id: str) -> str:
    """The Redis key of the chain adapter's cached answers for ``owner`` (``*`` for the whole
    fleet) at block ``block_id`` under ``scope``, e.g. ``chain_read:head:ab12…:T…:0000…``."""
    return f"{CHAIN_READ_PREFIX}:{scope}:{owner}:{block_id}"
