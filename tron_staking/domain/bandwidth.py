"""What a staking transaction costs in bandwidth, and in TRX when it must be burned.

Every transaction is charged ``serialized size + 64`` bytes (reference §9.1). The owner pays
from its staked bandwidth if that covers the whole transaction, else from its free bandwidth
(600 bytes a day on mainnet), else ``bytes × 1000`` sun are burned from the balance
(§9.2); a transaction never splits between pools. The sizes below are those of the reference
for tronpy-built transactions, plus a margin for longer amount varints, so the planner
foresees a burn rather than being surprised by one.
"""

from __future__ import annotations

from tron_staking.domain.enums import StakingOperationType, StakingResourceType

FEE_SUN_PER_BYTE = 1000
"""Mainnet ``getTransactionFee``."""
MARGIN_BYTES = 8
"""Slack for amount and count varints longer than the reference examples."""
_VOTE_FIRST_BYTES = 271
_VOTE_EACH_MORE_BYTES = 29

_BASE_BYTES: dict[StakingOperationType, int] = {
    StakingOperationType.FREEZE: 254,
    StakingOperationType.UNFREEZE: 256,
    StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE: 253,
    StakingOperationType.DELEGATE: 279,
    StakingOperationType.UNDELEGATE: 281,
    StakingOperationType.CLAIM_REWARDS: 246,
}


def estimate_bytes(
    kind: StakingOperationType,
    *,
    resource: StakingResourceType | None = None,
    lock: bool = False,
    vote_entries: int = 1,
) -> int:
    """Bandwidth bytes a transaction of ``kind`` consumes (an upper estimate)."""
    if kind is StakingOperationType.VOTE:
        size = _VOTE_FIRST_BYTES + _VOTE_EACH_MORE_BYTES * max(vote_entries - 1, 0)
    else:
        size = _BASE_BYTES[kind]
        if kind is StakingOperationType.FREEZE and resource is StakingResourceType.BANDWIDTH:
            size -= 2  # BANDWIDTH is enum 0: the resource field is not serialised
        if kind is StakingOperationType.DELEGATE and lock:
            size += 6  # the lock flag and the lock_period varint
    return size + MARGIN_BYTES


def burn_fee_sun(size_bytes: int, fee_sun_per_byte: int = FEE_SUN_PER_BYTE) -> int:
    """TRX (sun) burned when no bandwidth covers ``size_bytes``."""
    return size_bytes * fee_sun_per_byte
