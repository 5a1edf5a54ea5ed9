"""The vocabulary: stored values and the TRON contract each operation kind sends."""

from __future__ import annotations

from tron_staking.domain import idempotency
from tron_staking.domain.enums import (
    ConditionType,
    OperationState,
    StakingOperationType,
    StakingResourceType,
    StakingStatusType,
)


def test_values_are_the_contract() -> None:
    assert [s.value for s in StakingStatusType] == [
        "pending",
        "frozen",
        "voting",
        "delegated",
        "unfreezing",
        "claimable",
        "withdrawn",
    ]
    assert [s.value for s in OperationState] == [
        "recorded",
        "broadcast",
        "included",
        "solidified",
        "rejected",
        "expired",
    ]
    assert [c.value for c in ConditionType] == ["Ready", "Progressing", "Drifted", "Stalled"]
    assert StakingResourceType.ENERGY.code == 1
    assert StakingResourceType.BANDWIDTH.code == 0


def test_operation_kinds_map_to_tron_contracts() -> None:
    expected = {
        "freeze": ("FreezeBalanceV2Contract", 54),
        "unfreeze": ("UnfreezeBalanceV2Contract", 55),
        "vote": ("VoteWitnessContract", 4),
        "delegate": ("DelegateResourceContract", 57),
        "undelegate": ("UnDelegateResourceContract", 58),
        "withdraw_expire_unfreeze": ("WithdrawExpireUnfreezeContract", 56),
        "claim_rewards": ("WithdrawBalanceContract", 13),
    }
    for kind in StakingOperationType:
        assert (kind.contract_type, kind.contract_type_number) == expected[kind.value]


def test_state_properties() -> None:
    assert {s for s in StakingStatusType if s.holds_stake} == {
        StakingStatusType.FROZEN,
        StakingStatusType.VOTING,
        StakingStatusType.DELEGATED,
    }
    assert [s for s in StakingStatusType if s.terminal] == [StakingStatusType.WITHDRAWN]
    assert {s for s in OperationState if s.final} == {
        OperationState.SOLIDIFIED,
        OperationState.REJECTED,
        OperationState.EXPIRED,
    }
    assert {s for s in OperationState if s.landed} == {
        OperationState.INCLUDED,
        OperationState.SOLIDIFIED,
    }


def test_idempotency_classes() -> None:
    additive = {k for k in StakingOperationType if idempotency.is_additive(k)}
    assert additive == {
        StakingOperationType.FREEZE,
        StakingOperationType.UNFREEZE,
        StakingOperationType.DELEGATE,
        StakingOperationType.UNDELEGATE,
    }
    assert set(idempotency.CLASSES) == set(StakingOperationType)
    assert (
        idempotency.classify(StakingOperationType.VOTE) is idempotency.IdempotencyClass.REPLAYABLE
    )
