"""Chain parameters and protocol constants of the devnet.

``CHAIN_PARAMETER_KEYS`` is the exact order in which java-tron's ``wallet/getchainparameters``
prints its parameters; ``DEFAULT_CHAIN_PARAMETERS`` holds the mainnet values of the reference
(§4), which a genesis file may override. The remaining constants are fixed in java-tron's
source (``Parameter.ChainConstant``, ``Constant``, ``DynamicPropertiesStore``) rather than set
by proposals. Used by the genesis loader, the chain and the actuators.
"""

from __future__ import annotations

from collections.abc import Mapping

TRX_PRECISION = 1_000_000
BLOCK_INTERVAL_MS = 3_000
BLOCK_VERSION = 32  # BlockHeader.raw.version of the blocks the devnet produces
DAY_MS = 86_400_000
FROZEN_PERIOD_MS = DAY_MS
WITNESS_ALLOWANCE_FROZEN_TIME_MS = DAY_MS
UNFREEZE_MAX_TIMES = 32
DEFAULT_LOCK_PERIOD_BLOCKS = 3 * DAY_MS // BLOCK_INTERVAL_MS  # DELEGATE_PERIOD / interval
MAX_ACTIVE_WITNESSES = 27
WITNESS_STANDBY_LENGTH = 127
MAX_VOTE_NUMBER = 30
DEFAULT_BROKERAGE = 20
MAX_SIGNATURES = 5  # TotalSignNum
PUBLIC_NET_LIMIT = 14_400_000_000
TRANSACTION_MAX_BYTE_SIZE = 500 * 1024
MAX_RESULT_SIZE_IN_TX = 64
MAXIMUM_TIME_UNTIL_EXPIRATION_MS = DAY_MS
SIGNATURE_SIZE = 65
DELEGATE_COST_BASE_SIZE = 275
WINDOW_SLOTS = 28_800  # 24 h of 3-second slots
WINDOW_SIZE_PRECISION = 1_000
USAGE_PRECISION = 1_000_000
VI_DECIMAL = 10**18

# Default operations bitmap of a new account's active permission (reference §11.3).
ACTIVE_DEFAULT_OPERATIONS = bytes.fromhex("7fff1fc0033ec30f" + "00" * 24)

CHAIN_PARAMETER_KEYS: tuple[str, ...] = (
    "getMaintenanceTimeInterval",
    "getAccountUpgradeCost",
    "getCreateAccountFee",
    "getTransactionFee",
    "getAssetIssueFee",
    "getWitnessPayPerBlock",
    "getWitnessStandbyAllowance",
    "getCreateNewAccountFeeInSystemContract",
    "getCreateNewAccountBandwidthRate",
    "getAllowCreationOfContracts",
    "getRemoveThePowerOfTheGr",
    "getEnergyFee",
    "getExchangeCreateFee",
    "getMaxCpuTimeOfOneTx",
    "getAllowUpdateAccountName",
    "getAllowSameTokenName",
    "getAllowDelegateResource",
    "getTotalEnergyLimit",
    "getAllowTvmTransferTrc10",
    "getTotalEnergyCurrentLimit",
    "getAllowMultiSign",
    "getAllowAdaptiveEnergy",
    "getTotalEnergyTargetLimit",
    "getTotalEnergyAverageUsage",
    "getUpdateAccountPermissionFee",
    "getMultiSignFee",
    "getAllowAccountStateRoot",
    "getAllowProtoFilterNum",
    "getAllowTvmConstantinople",
    "getAllowTvmSolidity059",
    "getAllowTvmIstanbul",
    "getAllowShieldedTRC20Transaction",
    "getForbidTransferToContract",
    "getAdaptiveResourceLimitTargetRatio",
    "getAdaptiveResourceLimitMultiplier",
    "getChangeDelegation",
    "getWitness127PayPerBlock",
    "getAllowMarketTransaction",
    "getMarketSellFee",
    "getMarketCancelFee",
    "getAllowPBFT",
    "getAllowTransactionFeePool",
    "getMaxFeeLimit",
    "getAllowOptimizeBlackHole",
    "getAllowNewResourceModel",
    "getAllowTvmFreeze",
    "getAllowTvmVote",
    "getAllowTvmLondon",
    "getAllowTvmCompatibleEvm",
    "getAllowAccountAssetOptimization",
    "getFreeNetLimit",
    "getTotalNetLimit",
    "getAllowHigherLimitForMaxCpuTimeOfOneTx",
    "getAllowAssetOptimization",
    "getAllowNewReward",
    "getMemoFee",
    "getAllowDelegateOptimization",
    "getUnfreezeDelayDays",
    "getAllowOptimizedReturnValueOfChainId",
    "getAllowDynamicEnergy",
    "getDynamicEnergyThreshold",
    "getDynamicEnergyIncreaseFactor",
    "getDynamicEnergyMaxFactor",
    "getAllowTvmShangHai",
    "getAllowCancelAllUnfreezeV2",
    "getMaxDelegateLockPeriod",
    "getAllowOldRewardOpt",
    "getAllowEnergyAdjustment",
    "getMaxCreateAccountTxSize",
    "getAllowStrictMath",
    "getConsensusLogicOptimization",
    "getAllowTvmCancun",
    "getAllowTvmBlob",
)

DEFAULT_CHAIN_PARAMETERS: Mapping[str, int] = {
    "getMaintenanceTimeInterval": 21_600_000,
    "getAccountUpgradeCost": 9_999_000_000,
    "getCreateAccountFee": 100_000,
    "getTransactionFee": 1_000,
    "getAssetIssueFee": 1_024_000_000,
    "getWitnessPayPerBlock": 8_000_000,
    "getWitnessStandbyAllowance": 115_200_000_000,
    "getCreateNewAccountFeeInSystemContract": 1_000_000,
    "getCreateNewAccountBandwidthRate": 1,
    "getAllowCreationOfContracts": 1,
    "getRemoveThePowerOfTheGr": -1,
    "getEnergyFee": 100,
    "getExchangeCreateFee": 1_024_000_000,
    "getMaxCpuTimeOfOneTx": 80,
    "getAllowUpdateAccountName": 0,
    "getAllowSameTokenName": 1,
    "getAllowDelegateResource": 1,
    "getTotalEnergyLimit": 180_000_000_000,
    "getAllowTvmTransferTrc10": 1,
    "getTotalEnergyCurrentLimit": 180_000_000_000,
    "getAllowMultiSign": 1,
    "getAllowAdaptiveEnergy": 0,
    "getTotalEnergyTargetLimit": 6_250_000,
    "getTotalEnergyAverageUsage": 0,
    "getUpdateAccountPermissionFee": 100_000_000,
    "getMultiSignFee": 1_000_000,
    "getAllowAccountStateRoot": 0,
    "getAllowProtoFilterNum": 0,
    "getAllowTvmConstantinople": 1,
    "getAllowTvmSolidity059": 1,
    "getAllowTvmIstanbul": 1,
    "getAllowShieldedTRC20Transaction": 1,
    "getForbidTransferToContract": 0,
    "getAdaptiveResourceLimitTargetRatio": 10,
    "getAdaptiveResourceLimitMultiplier": 1_000,
    "getChangeDelegation": 1,
    "getWitness127PayPerBlock": 128_000_000,
    "getAllowMarketTransaction": 0,
    "getMarketSellFee": 0,
    "getMarketCancelFee": 0,
    "getAllowPBFT": 0,
    "getAllowTransactionFeePool": 0,
    "getMaxFeeLimit": 15_000_000_000,
    "getAllowOptimizeBlackHole": 1,
    "getAllowNewResourceModel": 0,
    "getAllowTvmFreeze": 0,
    "getAllowTvmVote": 1,
    "getAllowTvmLondon": 1,
    "getAllowTvmCompatibleEvm": 0,
    "getAllowAccountAssetOptimization": 0,
    "getFreeNetLimit": 600,
    "getTotalNetLimit": 43_200_000_000,
    "getAllowHigherLimitForMaxCpuTimeOfOneTx": 1,
    "getAllowAssetOptimization": 1,
    "getAllowNewReward": 1,
    "getMemoFee": 1_000_000,
    "getAllowDelegateOptimization": 1,
    "getUnfreezeDelayDays": 14,
    "getAllowOptimizedReturnValueOfChainId": 1,
    "getAllowDynamicEnergy": 1,
    "getDynamicEnergyThreshold": 5_000_000_000,
    "getDynamicEnergyIncreaseFactor": 2_000,
    "getDynamicEnergyMaxFactor": 34_000,
    "getAllowTvmShangHai": 1,
    "getAllowCancelAllUnfreezeV2": 1,
    "getMaxDelegateLockPeriod": 864_000,
    "getAllowOldRewardOpt": 1,
    "getAllowEnergyAdjustment": 1,
    "getMaxCreateAccountTxSize": 1_000,
    "getAllowStrictMath": 1,
    "getConsensusLogicOptimization": 1,
    "getAllowTvmCancun": 1,
    "getAllowTvmBlob": 1,
}


class UnknownParameterError(KeyError):
    """A chain parameter name that java-tron does not print."""


def chain_parameters(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """The mainnet defaults with ``overrides`` applied.

    Raises ``UnknownParameterError`` for a name outside ``CHAIN_PARAMETER_KEYS`` and
    ``TypeError`` for a value that is not an integer.
    """
    params = dict(DEFAULT_CHAIN_PARAMETERS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULT_CHAIN_PARAMETERS:
            raise UnknownParameterError(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"chain parameter {key} must be an integer, got {value!r}")
        params[key] = value
    return params


# ---- predicates of DynamicPropertiesStore, evaluated on a parameter dict ----


def support_unfreeze_delay(params: Mapping[str, int]) -> bool:
    return params["getUnfreezeDelayDays"] > 0


def support_cancel_all_unfreeze(params: Mapping[str, int]) -> bool:
    return params["getAllowCancelAllUnfreezeV2"] == 1 and support_unfreeze_delay(params)


def support_max_delegate_lock_period(params: Mapping[str, int]) -> bool:
    return params["getMaxDelegateLockPeriod"] > DEFAULT_LOCK_PERIOD_BLOCKS and (
        support_unfreeze_delay(params)
    )


def support_new_resource_model(params: Mapping[str, int]) -> bool:
    return params["getAllowNewResourceModel"] == 1


def support_delegate_resource(params: Mapping[str, int]) -> bool:
    return params["getAllowDelegateResource"] == 1


def allow_change_delegation(params: Mapping[str, int]) -> bool:
    return params["getChangeDelegation"] == 1
