"""System-contract actuators: ``validate`` and ``execute`` of every supported contract.

Ports of java-tron's ``…/actuator/*Actuator.java`` for the contracts of reference §3, with
their exact validation order and messages. ``validate`` raises ``ContractValidateError``
(the chain prefixes ``Contract validate error : `` at broadcast; node-side builders report it
as a ``ContractValidateException``); ``execute`` mutates the context's store (always the top
layer of a throw-away stack, so a failure anywhere is rolled back by the caller) and fills a
``Receipt``. Addresses in messages are lowercase hex with the 41 prefix, as java-tron prints
them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tron_devnet import crypto, params, protowire, resources, rewards
from tron_devnet.state import Account, Store, UnfreezeEntry, VotesRecord
from tron_devnet.types import (
    CancelAllUnfreezeV2Contract,
    ContractValue,
    DelegateResourceContract,
    FreezeBalanceV2Contract,
    ResourceCode,
    TransferContract,
    UnDelegateResourceContract,
    UnfreezeBalanceV2Contract,
    VoteWitnessContract,
    WithdrawBalanceContract,
    WithdrawExpireUnfreezeContract,
)

BANDWIDTH = ResourceCode.BANDWIDTH
ENERGY = ResourceCode.ENERGY
TRON_POWER = ResourceCode.TRON_POWER
CONTRACT_ACCOUNT_TYPE = 2


class ContractValidateError(Exception):
    """An actuator's ``validate`` refused the contract; ``message`` is java-tron's exact text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Context:
    """What an actuator sees: the state, the chain parameters and "now" (the head block)."""

    cfg: Mapping[str, int]
    store: Store
    now_ms: int
    now_slot: int
    guards: frozenset[bytes]  # genesis witnesses ("guard representatives")
    creating: bool = False  # validating for a node-side builder (``wallet/delegateresource``…)


@dataclass(slots=True)
class Receipt:
    """What a transaction paid and received (``TransactionInfo`` / ``ResourceReceipt``)."""

    fee: int = 0  # the actuator's own fee (account creation by TransferContract)
    net_usage: int = 0
    net_fee: int = 0
    multi_sign_fee: int = 0
    memo_fee: int = 0
    withdraw_amount: int = 0
    withdraw_expire_amount: int = 0
    cancel_unfreeze: tuple[int, int, int] | None = None  # re-frozen BANDWIDTH, ENERGY, TP

    @property
    def total_fee(self) -> int:
        return self.fee + self.net_fee + self.multi_sign_fee + self.memo_fee


def _hex(address: bytes) -> str:
    return address.hex()


def _not_exists(address: bytes) -> ContractValidateError:
    return ContractValidateError(f"Account[{_hex(address)}] not exists")


def _does_not_exist(address: bytes) -> ContractValidateError:
    return ContractValidateError(f"Account[{_hex(address)}] does not exist")


def _owner_account(ctx: Context, owner: bytes, missing: Callable[[bytes], Exception]) -> Account:
    if not crypto.is_valid_address(owner):
        raise ContractValidateError("Invalid address")
    account = ctx.store.account(owner)
    if account is None:
        raise missing(owner)
    return account


def _writable(ctx: Context, address: bytes) -> Account:
    account = ctx.store.account_for_write(address)
    if account is None:  # validated before execute; only a bug gets here
        raise RuntimeError(f"account {_hex(address)} vanished between validate and execute")
    return account


def _weight_key(resource: int) -> str:
    if resource == BANDWIDTH:
        return "total_net_weight"
    if resource == ENERGY:
        return "total_energy_weight"
    return "total_tron_power_weight"


def _add_frozen_with_weight(ctx: Context, account: Account, resource: int, amount: int) -> int:
    """Change ``frozenV2[resource]`` by ``amount``; return the total-weight delta (whole TRX)."""
    if resource == TRON_POWER:
        before = account.frozen_tron_power // params.TRX_PRECISION
        account.add_frozen(resource, amount)
        return account.frozen_tron_power // params.TRX_PRECISION - before
    before = account.frozen_with_delegated(resource) // params.TRX_PRECISION
    account.add_frozen(resource, amount)
    return account.frozen_with_delegated(resource) // params.TRX_PRECISION - before


def _withdraw_reward(ctx: Context, address: bytes) -> None:
    rewards.withdraw_reward(ctx.cfg, ctx.store, address)


# ---- TransferContract (ACT/Transfer) ----


def validate_transfer(ctx: Context, contract: TransferContract) -> None:
    owner, to = contract.owner_address, contract.to_address
    if not crypto.is_valid_address(owner):
        raise ContractValidateError("Invalid ownerAddress!")
    if not crypto.is_valid_address(to):
        raise ContractValidateError("Invalid toAddress!")
    if to == owner:
        raise ContractValidateError("Cannot transfer TRX to yourself.")
    account = ctx.store.account(owner)
    if account is None:
        raise ContractValidateError("Validate TransferContract error, no OwnerAccount.")
    if contract.amount <= 0:
        raise ContractValidateError("Amount must be greater than 0.")
    receiver = ctx.store.account(to)
    fee = ctx.cfg["getCreateNewAccountFeeInSystemContract"] if receiver is None else 0
    if (
        ctx.cfg["getForbidTransferToContract"] == 1
        and receiver is not None
        and receiver.type == CONTRACT_ACCOUNT_TYPE
    ):
        raise ContractValidateError("Cannot transfer TRX to a smartContract.")
    if account.balance < contract.amount + fee:
        raise ContractValidateError("Validate TransferContract error, balance is not sufficient.")


def execute_transfer(ctx: Context, contract: TransferContract, receipt: Receipt) -> None:
    fee = 0
    receiver = ctx.store.account_for_write(contract.to_address)
    if receiver is None:
        receiver = Account(address=contract.to_address, create_time=ctx.now_ms)
        ctx.store.put_account(receiver)
        fee = ctx.cfg["getCreateNewAccountFeeInSystemContract"]
    owner = _writable(ctx, contract.owner_address)
    owner.balance -= contract.amount + fee
    receiver.balance += contract.amount
    receipt.fee = fee


# ---- FreezeBalanceV2Contract (ACT/FreezeBalanceV2) ----


def validate_freeze_v2(ctx: Context, contract: FreezeBalanceV2Contract) -> None:
    if not params.support_unfreeze_delay(ctx.cfg):
        raise ContractValidateError(
            "Not support FreezeV2 transaction, need to be opened by the committee"
        )
    account = _owner_account(ctx, contract.owner_address, _not_exists)
    frozen = contract.frozen_balance
    if frozen <= 0:
        raise ContractValidateError("frozenBalance must be positive")
    if frozen < params.TRX_PRECISION:
        raise ContractValidateError("frozenBalance must be greater than or equal to 1 TRX")
    if frozen > account.balance:
        raise ContractValidateError("frozenBalance must be less than or equal to accountBalance")
    model_on = params.support_new_resource_model(ctx.cfg)
    if contract.resource in (BANDWIDTH, ENERGY):
        return
    if contract.resource == TRON_POWER and model_on:
        return
    if model_on:
        raise ContractValidateError(
            "ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY、TRON_POWER]"
        )
    raise ContractValidateError("ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]")


def execute_freeze_v2(ctx: Context, contract: FreezeBalanceV2Contract, receipt: Receipt) -> None:
    account = _writable(ctx, contract.owner_address)
    delta = _add_frozen_with_weight(ctx, account, contract.resource, contract.frozen_balance)
    ctx.store.add_dyn(_weight_key(contract.resource), delta)
    account.balance -= contract.frozen_balance


# ---- UnfreezeBalanceV2Contract (ACT/UnfreezeBalanceV2) ----


def validate_unfreeze_v2(ctx: Context, contract: UnfreezeBalanceV2Contract) -> None:
    if not params.support_unfreeze_delay(ctx.cfg):
        raise ContractValidateError(
            "Not support UnfreezeV2 transaction, need to be opened by the committee"
        )
    account = _owner_account(ctx, contract.owner_address, _does_not_exist)
    model_on = params.support_new_resource_model(ctx.cfg)
    resource = contract.resource
    if resource == BANDWIDTH:
        if account.frozen_bandwidth <= 0:
            raise ContractValidateError("no frozenBalance(BANDWIDTH)")
    elif resource == ENERGY:
        if account.frozen_energy <= 0:
            raise ContractValidateError("no frozenBalance(Energy)")
    elif resource == TRON_POWER and model_on:
        if account.frozen_tron_power <= 0:
            raise ContractValidateError("no frozenBalance(TronPower)")
    elif resource != TRON_POWER and model_on:
        raise ContractValidateError(
            "ResourceCode error.valid ResourceCode[BANDWIDTH、Energy、TRON_POWER]"
        )
    else:
        raise ContractValidateError("ResourceCode error.valid ResourceCode[BANDWIDTH、Energy]")
    amount = contract.unfreeze_balance
    if not 0 < amount <= account.frozen(resource):
        raise ContractValidateError(f"Invalid unfreeze_balance, [{amount}] is error")
    if account.unfreezing_count(ctx.now_ms) >= params.UNFREEZE_MAX_TIMES:
        raise ContractValidateError("Invalid unfreeze operation, unfreezing times is over limit")


def _sweep_expired(account: Account, now_ms: int) -> int:
    """Move every matured unfreeze into the balance; return the total moved."""
    swept = sum(e.amount for e in account.unfrozen if e.expire_time_ms <= now_ms)
    account.unfrozen = tuple(e for e in account.unfrozen if e.expire_time_ms > now_ms)
    account.balance += swept
    return swept


def _rescale_votes(ctx: Context, account: Account, resource: int) -> None:
    """Step 5 of UnfreezeBalanceV2: shrink the votes to the remaining tron power."""
    if not account.votes:
        return
    model_on = params.support_new_resource_model(ctx.cfg)
    if model_on and resource in (BANDWIDTH, ENERGY):
        return
    total = account.vote_total()
    tron_power = account.all_tron_power(model_on)
    if tron_power >= total * params.TRX_PRECISION or total == 0:
        return
    record = ctx.store.get("votes", account.address)
    old_votes = record.old_votes if record is not None else account.votes
    new_votes = []
    for witness, count in account.votes:
        scaled = int(count / total * tron_power / params.TRX_PRECISION)
        if scaled > 0:
            new_votes.append((witness, scaled))
    account.votes = tuple(new_votes)
    ctx.store.put("votes", account.address, VotesRecord(old_votes, account.votes))


def execute_unfreeze_v2(
    ctx: Context, contract: UnfreezeBalanceV2Contract, receipt: Receipt
) -> None:
    _withdraw_reward(ctx, contract.owner_address)
    account = _writable(ctx, contract.owner_address)
    receipt.withdraw_expire_amount = _sweep_expired(account, ctx.now_ms)
    expire = ctx.now_ms + ctx.cfg["getUnfreezeDelayDays"] * params.FROZEN_PERIOD_MS
    entry = UnfreezeEntry(contract.resource, contract.unfreeze_balance, expire)
    account.unfrozen = (*account.unfrozen, entry)
    delta = _add_frozen_with_weight(ctx, account, contract.resource, -contract.unfreeze_balance)
    ctx.store.add_dyn(_weight_key(contract.resource), delta)
    _rescale_votes(ctx, account, contract.resource)


# ---- WithdrawExpireUnfreezeContract (ACT/WithdrawExpireUnfreeze) ----


def validate_withdraw_expire_unfreeze(
    ctx: Context, contract: WithdrawExpireUnfreezeContract
) -> None:
    if not params.support_unfreeze_delay(ctx.cfg):
        raise ContractValidateError(
            "Not support WithdrawExpireUnfreeze transaction, need to be opened by the committee"
        )
    account = _owner_account(ctx, contract.owner_address, _not_exists)
    matured = sum(e.amount for e in account.unfrozen if e.expire_time_ms <= ctx.now_ms)
    if matured <= 0:
        raise ContractValidateError("no unFreeze balance to withdraw ")


def execute_withdraw_expire_unfreeze(
    ctx: Context, contract: WithdrawExpireUnfreezeContract, receipt: Receipt
) -> None:
    account = _writable(ctx, contract.owner_address)
    receipt.withdraw_expire_amount = _sweep_expired(account, ctx.now_ms)


# ---- CancelAllUnfreezeV2Contract (ACT/CancelAllUnfreezeV2) ----


def validate_cancel_all_unfreeze_v2(ctx: Context, contract: CancelAllUnfreezeV2Contract) -> None:
    if not params.support_cancel_all_unfreeze(ctx.cfg):
        raise ContractValidateError(
            "Not support CancelAllUnfreezeV2 transaction, need to be opened by the committee"
        )
    account = _owner_account(ctx, contract.owner_address, _not_exists)
    if not account.unfrozen:
        raise ContractValidateError("No unfreezeV2 list to cancel")


def execute_cancel_all_unfreeze_v2(
    ctx: Context, contract: CancelAllUnfreezeV2Contract, receipt: Receipt
) -> None:
    account = _writable(ctx, contract.owner_address)
    cancelled = [0, 0, 0]
    weight_deltas = [0, 0, 0]
    withdrawn = 0
    for entry in account.unfrozen:
        if entry.expire_time_ms > ctx.now_ms:
            resource = entry.resource
            if resource in (BANDWIDTH, ENERGY, TRON_POWER):
                weight_deltas[resource] += _add_frozen_with_weight(
                    ctx, account, resource, entry.amount
                )
                cancelled[resource] += entry.amount
        else:
            withdrawn += entry.amount
    account.unfrozen = ()
    for resource in (BANDWIDTH, ENERGY, TRON_POWER):
        ctx.store.add_dyn(_weight_key(resource), weight_deltas[resource])
    account.balance += withdrawn
    receipt.withdraw_expire_amount = withdrawn
    receipt.cancel_unfreeze = (cancelled[0], cancelled[1], cancelled[2])


# ---- DelegateResourceContract (ACT/DelegateResource) ----


def estimate_delegate_size(cfg: Mapping[str, int], frozen_bandwidth: int) -> int:
    """``TransactionUtil.estimateConsumeBandWidthSize``: bytes a DelegateResource tx may use."""
    max_lock = (
        cfg["getMaxDelegateLockPeriod"] if params.support_max_delegate_lock_period(cfg) else 0
    )
    big = _delegate_contract_size(frozen_bandwidth, lock=True, lock_period=max_lock)
    small = _delegate_contract_size(params.TRX_PRECISION, lock=False, lock_period=0)
    return params.DELEGATE_COST_BASE_SIZE + max(big - small, 0)


def _delegate_contract_size(balance: int, *, lock: bool, lock_period: int) -> int:
    """Serialized size of a ``DelegateResourceContract`` with only these fields set."""
    size = 0
    if balance:
        size += 1 + len(protowire.varint(balance))
    if lock:
        size += 2
    if lock_period:
        size += 1 + len(protowire.varint(lock_period))
    return size


def available_for_delegation(ctx: Context, account: Account, resource: int) -> int:
    """``frozenV2`` of ``resource`` minus the part backing current usage (reference §3.5)."""
    view = account.clone()
    if resource == BANDWIDTH:
        resources.update_net_usage(ctx.cfg, view, ctx.now_slot)
        usage = view.net_usage
        if ctx.creating:
            usage += estimate_delegate_size(ctx.cfg, view.frozen_bandwidth)
        usage_sun = resources.usage_in_sun(
            usage, ctx.store.dyn("total_net_weight"), ctx.cfg["getTotalNetLimit"]
        )
        return view.frozen_bandwidth - max(0, usage_sun - view.acquired_bandwidth)
    resources.update_energy_usage(ctx.cfg, view, ctx.now_slot)
    usage_sun = resources.usage_in_sun(
        view.energy_usage,
        ctx.store.dyn("total_energy_weight"),
        ctx.cfg["getTotalEnergyCurrentLimit"],
    )
    return view.frozen_energy - max(0, usage_sun - view.acquired_energy)


# How java-tron names the balance per resource in the delegate / undelegate messages.
_DELEGATE_FROZEN_NAMES: dict[int, str] = {BANDWIDTH: "FreezeBandwidthV2", ENERGY: "FreezeEnergyV2"}
_UNDELEGATE_FROZEN_NAMES: dict[int, str] = {
    BANDWIDTH: "delegatedFrozenBalance(BANDWIDTH)",
    ENERGY: "delegateFrozenBalance(Energy)",
}


def _lock_period(cfg: Mapping[str, int], contract: DelegateResourceContract) -> int:
    if params.support_max_delegate_lock_period(cfg):
        return contract.lock_period or params.DEFAULT_LOCK_PERIOD_BLOCKS
    return params.DEFAULT_LOCK_PERIOD_BLOCKS


def validate_delegate_resource(ctx: Context, contract: DelegateResourceContract) -> None:
    if not params.support_delegate_resource(ctx.cfg):
        raise ContractValidateError("No support for resource delegate")
    if not params.support_unfreeze_delay(ctx.cfg):
        raise ContractValidateError(
            "Not support Delegate resource transaction, need to be opened by the committee"
        )
    owner = contract.owner_address
    account = _owner_account(ctx, owner, _not_exists)
    if contract.balance < params.TRX_PRECISION:
        raise ContractValidateError("delegateBalance must be greater than or equal to 1 TRX")
    frozen_name = _DELEGATE_FROZEN_NAMES.get(contract.resource)
    if frozen_name is None:
        raise ContractValidateError("ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]")
    if available_for_delegation(ctx, account, contract.resource) < contract.balance:
        raise ContractValidateError(
            f"delegateBalance must be less than or equal to available {frozen_name} balance"
        )
    receiver = contract.receiver_address
    if not crypto.is_valid_address(receiver):
        raise ContractValidateError("Invalid receiverAddress")
    if receiver == owner:
        raise ContractValidateError("receiverAddress must not be the same as ownerAddress")
    receiver_account = ctx.store.account(receiver)
    if receiver_account is None:
        raise _not_exists(receiver)
    if contract.lock and params.support_max_delegate_lock_period(ctx.cfg):
        lock_period = _lock_period(ctx.cfg, contract)
        max_lock = ctx.cfg["getMaxDelegateLockPeriod"]
        if lock_period < 0 or lock_period > max_lock:
            raise ContractValidateError(
                "The lock period of delegate resource cannot be less than 0 and cannot exceed "
                f"{max_lock}!"
            )
        locked = ctx.store.delegated_resource(owner, receiver, True)
        if locked is not None:
            remain = locked.expire(contract.resource) - ctx.now_ms
            if lock_period * params.BLOCK_INTERVAL_MS < remain:
                name = ResourceCode(contract.resource).name
                raise ContractValidateError(
                    f"The lock period for {name} this time cannot be less than the remaining "
                    f"time[{remain}ms] of the last lock period for {name}!"
                )
    if receiver_account.type == CONTRACT_ACCOUNT_TYPE:
        raise ContractValidateError("Do not allow delegate resources to contract addresses")


def unlock_expired(store: Store, owner: bytes, receiver: bytes, now_ms: int) -> None:
    """``DelegatedResourceStore.unLockExpireResource``: expired locks become unlocked."""
    locked = store.delegated_resource(owner, receiver, True)
    if locked is None:
        return
    if locked.expire_energy >= now_ms and locked.expire_bandwidth >= now_ms:
        return
    locked = store.delegated_resource_for_write(owner, receiver, True)
    unlocked = store.delegated_resource_for_write(owner, receiver, False)
    if locked.expire_energy < now_ms:
        unlocked.add(ENERGY, locked.frozen_energy, 0)
        locked.frozen_energy = locked.expire_energy = 0
    if locked.expire_bandwidth < now_ms:
        unlocked.add(BANDWIDTH, locked.frozen_bandwidth, 0)
        locked.frozen_bandwidth = locked.expire_bandwidth = 0
    if locked.is_empty():
        store.delete("dr", (owner, receiver, True))


def _index_put(store: Store, table: str, address: bytes, other: bytes, timestamp: int) -> None:
    entries = dict(store.get(table, address) or {})
    entries[other] = timestamp
    store.put(table, address, entries)


def _index_remove(store: Store, table: str, address: bytes, other: bytes) -> None:
    entries = dict(store.get(table, address) or {})
    entries.pop(other, None)
    if entries:
        store.put(table, address, entries)
    else:
        store.delete(table, address)


def execute_delegate_resource(
    ctx: Context, contract: DelegateResourceContract, receipt: Receipt
) -> None:
    owner, receiver, amount = contract.owner_address, contract.receiver_address, contract.balance
    resource = contract.resource
    store = ctx.store
    unlock_expired(store, owner, receiver, ctx.now_ms)
    expire = 0
    if contract.lock:
        expire = ctx.now_ms + _lock_period(ctx.cfg, contract) * params.BLOCK_INTERVAL_MS
    store.delegated_resource_for_write(owner, receiver, contract.lock).add(resource, amount, expire)
    _index_put(store, "dr_to", owner, receiver, ctx.now_ms)
    _index_put(store, "dr_from", receiver, owner, ctx.now_ms)
    receiver_account = _writable(ctx, receiver)
    owner_account = _writable(ctx, owner)
    if resource == BANDWIDTH:
        receiver_account.acquired_bandwidth += amount
        owner_account.delegated_bandwidth += amount
        owner_account.frozen_bandwidth -= amount
    else:
        receiver_account.acquired_energy += amount
        owner_account.delegated_energy += amount
        owner_account.frozen_energy -= amount


# ---- UnDelegateResourceContract (ACT/UnDelegateResource) ----


def undelegatable(store: Store, owner: bytes, receiver: bytes, resource: int, now_ms: int) -> int:
    """Unlocked amount plus the locked amount whose lock has expired."""
    total = 0
    unlocked = store.delegated_resource(owner, receiver, False)
    if unlocked is not None:
        total += unlocked.frozen(resource)
    locked = store.delegated_resource(owner, receiver, True)
    if locked is not None and locked.expire(resource) < now_ms:
        total += locked.frozen(resource)
    return total


def validate_undelegate_resource(ctx: Context, contract: UnDelegateResourceContract) -> None:
    if not params.support_delegate_resource(ctx.cfg):
        raise ContractValidateError("No support for resource delegate")
    if not params.support_unfreeze_delay(ctx.cfg):
        raise ContractValidateError(
            "Not support unDelegate resource transaction, need to be opened by the committee"
        )
    owner, receiver = contract.owner_address, contract.receiver_address
    _owner_account(ctx, owner, _does_not_exist)
    if not crypto.is_valid_address(receiver):
        raise ContractValidateError("Invalid receiverAddress")
    if receiver == owner:
        raise ContractValidateError("receiverAddress must not be the same as ownerAddress")
    store = ctx.store
    if (
        store.delegated_resource(owner, receiver, False) is None
        and store.delegated_resource(owner, receiver, True) is None
    ):
        raise ContractValidateError("delegated Resource does not exist")
    amount = contract.balance
    if amount <= 0:
        raise ContractValidateError("unDelegateBalance must be more than 0 TRX")
    frozen_name = _UNDELEGATE_FROZEN_NAMES.get(contract.resource)
    if frozen_name is None:
        raise ContractValidateError("ResourceCode error.valid ResourceCode[BANDWIDTH、Energy]")
    available = undelegatable(store, owner, receiver, contract.resource, ctx.now_ms)
    if available < amount:
        raise ContractValidateError(
            f"insufficient {frozen_name}, request={amount}, unlock_balance={available}"
        )


def _release_receiver_usage(ctx: Context, receiver: Account, resource: int, amount: int) -> int:
    """Receiver side of UnDelegateResource: returns the usage handed back to the owner."""
    transfer = 0
    if resource == BANDWIDTH:
        resources.update_net_usage(ctx.cfg, receiver, ctx.now_slot)
        if receiver.acquired_bandwidth < amount:
            receiver.acquired_bandwidth = 0
        else:
            weight = ctx.store.dyn("total_net_weight")
            limit = ctx.cfg["getTotalNetLimit"]
            max_usage = _usage_cap(amount, limit, weight)
            stake = resources.net_stake(receiver)
            transfer = min(max_usage, int(receiver.net_usage * (amount / stake)))
            receiver.acquired_bandwidth -= amount
        receiver.net_usage -= transfer
        receiver.latest_consume_time = ctx.now_slot
    else:
        resources.update_energy_usage(ctx.cfg, receiver, ctx.now_slot)
        if receiver.acquired_energy < amount:
            receiver.acquired_energy = 0
        else:
            weight = ctx.store.dyn("total_energy_weight")
            limit = ctx.cfg["getTotalEnergyCurrentLimit"]
            max_usage = _usage_cap(amount, limit, weight)
            stake = resources.energy_stake(receiver)
            transfer = min(max_usage, int(receiver.energy_usage * (amount / stake)))
            receiver.acquired_energy -= amount
        receiver.energy_usage -= transfer
        receiver.latest_consume_time_for_energy = ctx.now_slot
    return transfer


def _usage_cap(amount: int, total_limit: int, total_weight: int) -> int:
    """``(long)((double) amount / 1e6 × ((double) totalLimit / totalWeight))``."""
    if total_weight == 0:
        return 2**63 - 1
    return int(amount / params.TRX_PRECISION * (total_limit / total_weight))


def execute_undelegate_resource(
    ctx: Context, contract: UnDelegateResourceContract, receipt: Receipt
) -> None:
    owner, receiver, amount = contract.owner_address, contract.receiver_address, contract.balance
    resource = contract.resource
    store = ctx.store
    receiver_account = store.account_for_write(receiver)
    transfer = 0
    if receiver_account is not None:
        transfer = _release_receiver_usage(ctx, receiver_account, resource, amount)
    unlock_expired(store, owner, receiver, ctx.now_ms)
    unlocked = store.delegated_resource_for_write(owner, receiver, False)
    unlocked.add(resource, -amount, 0)
    owner_account = _writable(ctx, owner)
    if resource == BANDWIDTH:
        owner_account.delegated_bandwidth -= amount
        owner_account.frozen_bandwidth += amount
    else:
        owner_account.delegated_energy -= amount
        owner_account.frozen_energy += amount
    if receiver_account is not None and transfer > 0:
        resources.un_delegate_increase(
            ctx.cfg, owner_account, receiver_account, transfer, resource, ctx.now_slot
        )
    if unlocked.is_empty():
        store.delete("dr", (owner, receiver, False))
        if store.delegated_resource(owner, receiver, True) is None:
            _index_remove(store, "dr_to", owner, receiver)
            _index_remove(store, "dr_from", receiver, owner)


# ---- VoteWitnessContract (ACT/VoteWitness) ----


def validate_vote_witness(ctx: Context, contract: VoteWitnessContract) -> None:
    owner = contract.owner_address
    if not crypto.is_valid_address(owner):
        raise ContractValidateError("Invalid address")
    if not contract.votes:
        raise ContractValidateError("VoteNumber must more than 0")
    if len(contract.votes) > params.MAX_VOTE_NUMBER:
        raise ContractValidateError(f"VoteNumber more than maxVoteNumber {params.MAX_VOTE_NUMBER}")
    total = 0
    for vote in contract.votes:
        candidate = vote.vote_address
        if not crypto.is_valid_address(candidate):
            raise ContractValidateError("Invalid vote address!")
        if vote.vote_count <= 0:
            raise ContractValidateError("vote count must be greater than 0")
        if ctx.store.account(candidate) is None:
            raise _not_exists(candidate)
        if ctx.store.witness(candidate) is None:
            raise ContractValidateError(f"Witness[{_hex(candidate)}] not exists")
        total += vote.vote_count
        if total > 2**63 - 1:
            raise ContractValidateError("overflow: checkedAdd")
    account = ctx.store.account(owner)
    if account is None:
        raise _not_exists(owner)
    tron_power = account.all_tron_power(params.support_new_resource_model(ctx.cfg))
    total_sun = total * params.TRX_PRECISION
    if total_sun > 2**63 - 1:
        raise ContractValidateError("overflow: checkedMultiply")
    if total_sun > tron_power:
        raise ContractValidateError(
            f"The total number of votes[{total_sun}] is greater than the tronPower[{tron_power}]"
        )


def execute_vote_witness(ctx: Context, contract: VoteWitnessContract, receipt: Receipt) -> None:
    owner = contract.owner_address
    _withdraw_reward(ctx, owner)
    account = _writable(ctx, owner)
    record = ctx.store.get("votes", owner)
    old_votes = record.old_votes if record is not None else account.votes
    account.votes = tuple((vote.vote_address, vote.vote_count) for vote in contract.votes)
    ctx.store.put("votes", owner, VotesRecord(old_votes, account.votes))


# ---- WithdrawBalanceContract (ACT/WithdrawBalance) ----


def validate_withdraw_balance(ctx: Context, contract: WithdrawBalanceContract) -> None:
    owner = contract.owner_address
    account = _owner_account(ctx, owner, _not_exists)
    if owner in ctx.guards:
        raise ContractValidateError(
            f"Account[{_hex(owner)}] is a guard representative and is not allowed to withdraw "
            "Balance"
        )
    latest = account.latest_withdraw_time
    if ctx.now_ms - latest < params.WITNESS_ALLOWANCE_FROZEN_TIME_MS:
        raise ContractValidateError(f"The last withdraw time is {latest}, less than 24 hours")
    if account.allowance <= 0 and rewards.query_reward(ctx.cfg, ctx.store, owner) <= 0:
        raise ContractValidateError("witnessAccount does not have any reward")


def execute_withdraw_balance(
    ctx: Context, contract: WithdrawBalanceContract, receipt: Receipt
) -> None:
    owner = contract.owner_address
    _withdraw_reward(ctx, owner)
    account = _writable(ctx, owner)
    receipt.withdraw_amount = account.allowance
    account.balance += account.allowance
    account.allowance = 0
    account.latest_withdraw_time = ctx.now_ms


# ---- dispatch ----

Validator = Callable[[Context, Any], None]
Executor = Callable[[Context, Any, Receipt], None]
Actuators = Mapping[type, tuple[Validator, Executor]]


def default_actuators() -> dict[type, tuple[Validator, Executor]]:
    """A new table of the supported contracts: value class -> (validate, execute).

    The chain is given one at construction (``Chain(..., actuators=...)``), so a test can run a
    chain with a replaced actuator without touching any shared state.
    """
    return {
        TransferContract: (validate_transfer, execute_transfer),
        FreezeBalanceV2Contract: (validate_freeze_v2, execute_freeze_v2),
        UnfreezeBalanceV2Contract: (validate_unfreeze_v2, execute_unfreeze_v2),
        WithdrawExpireUnfreezeContract: (
            validate_withdraw_expire_unfreeze,
            execute_withdraw_expire_unfreeze,
        ),
        CancelAllUnfreezeV2Contract: (
            validate_cancel_all_unfreeze_v2,
            execute_cancel_all_unfreeze_v2,
        ),
        DelegateResourceContract: (validate_delegate_resource, execute_delegate_resource),
        UnDelegateResourceContract: (validate_undelegate_resource, execute_undelegate_resource),
        VoteWitnessContract: (validate_vote_witness, execute_vote_witness),
        WithdrawBalanceContract: (validate_withdraw_balance, execute_withdraw_balance),
    }


def validate(table: Actuators, ctx: Context, value: ContractValue) -> None:
    """Run the contract's ``validate`` from ``table``; raises ``ContractValidateError``."""
    entry = table.get(type(value))
    if entry is None:
        raise ContractValidateError(f"contract type error, unsupported type [{type(value)}]")
    entry[0](ctx, value)


def execute(table: Actuators, ctx: Context, value: ContractValue, receipt: Receipt) -> None:
    """Run the contract's ``execute`` from ``table`` (after a successful ``validate``)."""
    table[type(value)][1](ctx, value, receipt)
