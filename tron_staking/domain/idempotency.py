"""Which operations may be sent again and which must never take effect twice.

Data for the executor's retry policy:

* **replayable** — sending it twice leaves the chain as sending it once: ``vote`` (VoteWitness
  replaces the whole vote list), ``withdraw_expire_unfreeze`` (sweeps whatever matured; a
  second one finds nothing and is rejected) and ``claim_rewards`` (WithdrawBalance moves the
  whole allowance; a second one within 24 h is rejected). After an unknown outcome the
  executor may rebuild such a transaction without waiting for the first to expire.
* **additive** — each copy adds its amount again: ``freeze``, ``unfreeze``, ``delegate``,
  ``undelegate``. After an unknown outcome the executor may only re-send the *same signed
  bytes* (same txid); a replacement may be built only once the first is proven expired
  (solid block time past its expiration and txid absent).

Whatever the class, the planner never plans an operation while one with the same intent key is
in flight.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from tron_staking.domain.enums import StakingOperationType


class IdempotencyClass(enum.StrEnum):
    REPLAYABLE = "replayable"
    ADDITIVE = "additive"


CLASSES: Mapping[StakingOperationType, IdempotencyClass] = MappingProxyType(
    {
        StakingOperationType.FREEZE: IdempotencyClass.ADDITIVE,
        StakingOperationType.UNFREEZE: IdempotencyClass.ADDITIVE,
        StakingOperationType.DELEGATE: IdempotencyClass.ADDITIVE,
        StakingOperationType.UNDELEGATE: IdempotencyClass.ADDITIVE,
        StakingOperationType.VOTE: IdempotencyClass.REPLAYABLE,
        StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE: IdempotencyClass.REPLAYABLE,
        StakingOperationType.CLAIM_REWARDS: IdempotencyClass.REPLAYABLE,
    }
)


def classify(kind: StakingOperationType) -> IdempotencyClass:
    return CLASSES[kind]


def is_additive(kind: StakingOperationType) -> bool:
    return CLASSES[kind] is IdempotencyClass.ADDITIVE
