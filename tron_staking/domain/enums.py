"""The vocabulary of the service: resources, operation kinds, position and operation states,
condition types.

Every other module speaks in these enums; their string values are what the API returns and
what MongoDB stores, so changing a value is a data migration. The names keep the seed
service's terms (``StakingResourceType``, ``StakingOperationType``, ``StakingStatusType``)
with this design's meanings.
"""

from __future__ import annotations

import enum


class StakingResourceType(enum.StrEnum):
    """What a stake buys: ENERGY or BANDWIDTH (TRON's ``ResourceCode`` 1 and 0).

    TRON_POWER (code 2) exists on chain only under the new resource model, which mainnet does
    not run; the service never freezes for it.
    """

    ENERGY = "ENERGY"
    BANDWIDTH = "BANDWIDTH"

    @property
    def code(self) -> int:
        """TRON's ``ResourceCode`` number (``getcandelegatedmaxsize`` takes it as ``type``)."""
        return 1 if self is StakingResourceType.ENERGY else 0


class StakingOperationType(enum.StrEnum):
    """One kind of on-chain operation, i.e. one TRON system contract.

    ============================  =================================  ====
    kind                          TRON contract                      type
    ============================  =================================  ====
    ``freeze``                    ``FreezeBalanceV2Contract``          54
    ``unfreeze``                  ``UnfreezeBalanceV2Contract``        55
    ``vote``                      ``VoteWitnessContract``               4
    ``delegate``                  ``DelegateResourceContract``         57
    ``undelegate``                ``UnDelegateResourceContract``       58
    ``withdraw_expire_unfreeze``  ``WithdrawExpireUnfreezeContract``   56
    ``claim_rewards``             ``WithdrawBalanceContract``          13
    ============================  =================================  ====
    """

    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    VOTE = "vote"
    DELEGATE = "delegate"
    UNDELEGATE = "undelegate"
    WITHDRAW_EXPIRE_UNFREEZE = "withdraw_expire_unfreeze"
    CLAIM_REWARDS = "claim_rewards"

    @property
    def contract_type(self) -> str:
        """The contract's name as TRON prints it in ``raw_data.contract[0].type``."""
        return _CONTRACTS[self][0]

    @property
    def contract_type_number(self) -> int:
        """The ``Transaction.Contract.ContractType`` number of Tron.proto."""
        return _CONTRACTS[self][1]


_CONTRACTS: dict[StakingOperationType, tuple[str, int]] = {
    StakingOperationType.FREEZE: ("FreezeBalanceV2Contract", 54),
    StakingOperationType.UNFREEZE: ("UnfreezeBalanceV2Contract", 55),
    StakingOperationType.VOTE: ("VoteWitnessContract", 4),
    StakingOperationType.DELEGATE: ("DelegateResourceContract", 57),
    StakingOperationType.UNDELEGATE: ("UnDelegateResourceContract", 58),
    StakingOperationType.WITHDRAW_EXPIRE_UNFREEZE: ("WithdrawExpireUnfreezeContract", 56),
    StakingOperationType.CLAIM_REWARDS: ("WithdrawBalanceContract", 13),
}


class StakingStatusType(enum.StrEnum):
    """The on-chain progress of one position: the states of the position machine.

    ``pending`` nothing frozen yet; ``frozen`` its amount is frozen; ``voting`` its tron power
    is cast; ``delegated`` its resource is delegated to the receiver; ``unfreezing`` unstake
    requested and UnfreezeBalanceV2 included; ``claimable`` the unfreeze matured;
    ``withdrawn`` the TRX went back to the balance (terminal).
    """

    PENDING = "pending"
    FROZEN = "frozen"
    VOTING = "voting"
    DELEGATED = "delegated"
    UNFREEZING = "unfreezing"
    CLAIMABLE = "claimable"
    WITHDRAWN = "withdrawn"

    @property
    def holds_stake(self) -> bool:
        """True while the position's amount is frozen (or delegated) on chain."""
        return self in _STAKED

    @property
    def terminal(self) -> bool:
        return self is StakingStatusType.WITHDRAWN


_STAKED = frozenset(
    {StakingStatusType.FROZEN, StakingStatusType.VOTING, StakingStatusType.DELEGATED}
)


class OperationState(enum.StrEnum):
    """The states of the operation machine (collection ``staking_operations``).

    There is no stored ``planned`` state: a planned effect is an ``Action`` inside a ``Plan``
    and lives only in memory. An operation comes into existence as ``recorded`` when the
    executor persists it, with its txid, before signing. ``recorded``, ``broadcast`` and
    ``included`` are in flight; ``solidified``, ``rejected`` and ``expired`` are final.
    """

    RECORDED = "recorded"
    BROADCAST = "broadcast"
    INCLUDED = "included"
    SOLIDIFIED = "solidified"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def final(self) -> bool:
        return self in _FINAL_OPERATION_STATES

    @property
    def landed(self) -> bool:
        """True once the transaction is in a block (its effect happened on chain)."""
        return self in (OperationState.INCLUDED, OperationState.SOLIDIFIED)


_FINAL_OPERATION_STATES = frozenset(
    {OperationState.SOLIDIFIED, OperationState.REJECTED, OperationState.EXPIRED}
)


class ConditionType(enum.StrEnum):
    """Kubernetes-style health aspects of a position (health is not a state)."""

    READY = "Ready"
    PROGRESSING = "Progressing"
    DRIFTED = "Drifted"
    STALLED = "Stalled"


class ConditionStatus(enum.StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"
