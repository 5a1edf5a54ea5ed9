"""The MongoDB collection names of tron-staking, in one place.

Used by :mod:`~tron_staking.store.indexes` and :mod:`~tron_staking.store.client`; nothing else
spells a collection name.
"""

from __future__ import annotations

from typing import Final

STAKING_RECORDS: Final = "staking_records"
"""Declared positions (spec + status), one document per position."""
STAKING_REWARDS: Final = "staking_rewards"
"""Reward claims per owner."""
RESOURCE_DELEGATIONS: Final = "resource_delegations"
"""Delegations of energy / bandwidth made on behalf of positions."""
VOTING_HISTORY: Final = "voting_history"
"""Vote lists cast for owners."""
STAKING_OPERATIONS: Final = "staking_operations"
"""On-chain operations (one transaction each) and their sub-machine state."""
STATE_TRANSITIONS: Final = "state_transitions"
"""Append-only audit trail of position transitions."""
CONTROLLER_LEASES: Final = "controller_leases"
"""Per-owner leases with fencing tokens."""
SIGNING_KEYS: Final = "signing_keys"
"""Private keys encrypted under the key-encryption key."""
IDEMPOTENCY_KEYS: Final = "idempotency_keys"
"""API idempotency keys and the first response sent for them (kept 24 h)."""

ALL: Final = (
    STAKING_RECORDS,
    STAKING_REWARDS,
    RESOURCE_DELEGATIONS,
    VOTING_HISTORY,
    STAKING_OPERATIONS,
    STATE_TRANSITIONS,
    CONTROLLER_LEASES,
    SIGNING_KEYS,
    IDEMPOTENCY_KEYS,
)
