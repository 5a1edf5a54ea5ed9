"""java-tron's processing of one staking transaction on a ``State`` (reference §2, §3, §9).

``process`` charges bandwidth, then validates and executes the contract, in java-tron's order
and with its messages; it raises ``Rejected`` (code and message as the node answers) and
leaves the state untouched on any failure, like the node's revoking session. Contract
parameters are TRON's (base58 addresses, sun), as the planner's actions carry them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping

from tests.unit.controller.model import state as st
from tests.unit.controller.model.state import Account, Record, Res, State, Unfreezing
from tron_staking.domain.addresses import Address

Params = Mapping[str, object]


class Contract(enum.StrEnum):
    """The system contracts of the model; the values of the first seven are the service's
    operation kinds."""

    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    VOTE = "vote"
    DELEGATE = "delegate"
    UNDELEGATE = "undelegate"
    WITHDRAW_EXPIRE_UNFREEZE = "withdraw_expire_unfreeze"
    CLAIM_REWARDS = "claim_rewards"
    CANCEL_ALL_UNFREEZE = "cancel_all_unfreeze"


class Rejected(Exception):  # noqa: N818 - the chain's word
    """The node refused a transaction: ``code`` (``Return.response_code``) and ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def invalid(text: str) -> Rejected:
    return Rejected("CONTRACT_VALIDATE_ERROR", f"Contract validate error : {text}")


_BYTES = {
    Contract.FREEZE: 254,
    Contract.UNFREEZE: 256,
    Contract.WITHDRAW_EXPIRE_UNFREEZE: 253,
    Contract.CANCEL_ALL_UNFREEZE: 250,
    Contract.DELEGATE: 279,
    Contract.UNDELEGATE: 281,
    Contract.CLAIM_REWARDS: 246,
}


def net_bytes(contract: Contract, params: Params) -> int:
    """Bandwidth bytes charged (reference §9.1 sizes)."""
    if contract is Contract.VOTE:
        entries = params.get("votes")
        count = len(entries) if isinstance(entries, list) else 1
        return 271 + 115 * (count - 1) // 4
    size = _BYTES[contract]
    if contract is Contract.FREEZE and params.get("resource") == Res.BANDWIDTH.value:
        size -= 2
    if contract is Contract.DELEGATE and params.get("lock") is True:
        size += 6
    return size


@dataclasses.dataclass(frozen=True)
class Receipt:
    """What ``gettransactioninfobyid`` reports beyond the block: fee burned, bytes used."""

    fee_sun: int
    net_usage_bytes: int


def process(state: State, contract: Contract, params: Params, now_ms: int) -> Receipt:
    """Charge bandwidth, validate and execute on ``state`` (mutated only on success)."""
    trial = state.copy()
    owner = _address(params, "owner_address")
    account = trial.accounts.get(owner)
    if account is None or not account.exists:
        raise invalid(f"account [{owner}] does not exist")
    receipt = _charge(trial, account, net_bytes(contract, params), now_ms)
    _ACTUATORS[contract](trial, owner, params, now_ms)
    state.__dict__.update(trial.__dict__)
    return receipt


def _charge(state: State, account: Account, size: int, now_ms: int) -> Receipt:
    """BandwidthProcessor: staked bandwidth, else free bandwidth, else burn (§9.2)."""
    now_slot = st.slot(now_ms)
    staked_used = st.decayed(account.net_usage_bytes, account.net_slot, now_slot)
    if state.net_limit_bytes(account) - staked_used >= size:
        account.net_usage_bytes = st.increased(
            account.net_usage_bytes, account.net_slot, now_slot, size
        )
        account.net_slot = now_slot
        return Receipt(fee_sun=0, net_usage_bytes=size)
    free_used = st.decayed(account.free_usage_bytes, account.free_slot, now_slot)
    if st.FREE_NET_LIMIT_BYTES - free_used >= size:
        account.free_usage_bytes = st.increased(
            account.free_usage_bytes, account.free_slot, now_slot, size
        )
        account.free_slot = now_slot
        return Receipt(fee_sun=0, net_usage_bytes=size)
    fee = size * st.FEE_SUN_PER_BYTE
    if account.balance_sun < fee:
        raise Rejected("BANDWITH_ERROR", "Account resource insufficient error.")
    account.balance_sun -= fee
    return Receipt(fee_sun=fee, net_usage_bytes=0)


# -- actuators (reference §3) ------------------------------------------------------------------


def _freeze(state: State, owner: Address, p: Params, now_ms: int) -> None:
    account = state.accounts[owner]
    amount, resource = _int(p, "frozen_balance"), _resource(p)
    if amount <= 0:
        raise invalid("frozenBalance must be positive")
    if amount < st.SUN:
        raise invalid("frozenBalance must be greater than or equal to 1 TRX")
    if amount > account.balance_sun:
        raise invalid("frozenBalance must be less than or equal to accountBalance")
    account.balance_sun -= amount
    account.frozen_sun[resource] += amount


def _unfreeze(state: State, owner: Address, p: Params, now_ms: int) -> None:
    account = state.accounts[owner]
    amount, resource = _int(p, "unfreeze_balance"), _resource(p)
    if account.frozen_sun[resource] <= 0:
        label = "BANDWIDTH" if resource is Res.BANDWIDTH else "Energy"
        raise invalid(f"no frozenBalance({label})")
    if amount <= 0 or amount > account.frozen_sun[resource]:
        raise invalid(f"Invalid unfreeze_balance, [{amount}] is error")
    if account.unfreezing_pending(now_ms) >= st.MAX_UNFREEZING:
        raise invalid("Invalid unfreeze operation, unfreezing times is over limit")
    _settle_reward(state, owner)
    _sweep(account, now_ms)
    account.unfrozen.append(Unfreezing(resource, amount, now_ms + st.UNFREEZE_DELAY_MS))
    account.frozen_sun[resource] -= amount
    account.votes = st.rescaled_votes(account.votes, account.tron_power_sun())


def _sweep(account: Account, now_ms: int) -> int:
    matured = sum(e.amount_sun for e in account.unfrozen if e.expire_ms <= now_ms)
    account.unfrozen = [e for e in account.unfrozen if e.expire_ms > now_ms]
    account.balance_sun += matured
    return matured


def _withdraw_expire(state: State, owner: Address, p: Params, now_ms: int) -> None:
    account = state.accounts[owner]
    if sum(e.amount_sun for e in account.unfrozen if e.expire_ms <= now_ms) <= 0:
        raise invalid("no unFreeze balance to withdraw ")
    _sweep(account, now_ms)


def _cancel_all(state: State, owner: Address, p: Params, now_ms: int) -> None:
    account = state.accounts[owner]
    if not account.unfrozen:
        raise invalid("No unfreezeV2 list to cancel")
    for entry in account.unfrozen:
        if entry.expire_ms > now_ms:
            account.frozen_sun[entry.resource] += entry.amount_sun
        else:
            account.balance_sun += entry.amount_sun
    account.unfrozen = []


def _unlock_expired(state: State, key_unlocked: st.RecordKey, now_ms: int) -> None:
    """Lazy unlock: a locked record whose lock ended moves into the unlocked one."""
    owner, receiver, resource, _ = key_unlocked
    locked_key = (owner, receiver, resource, True)
    locked = state.records.get(locked_key)
    if locked is not None and locked.amount_sun > 0 and locked.expire_ms < now_ms:
        unlocked = state.records.setdefault(key_unlocked, Record())
        unlocked.amount_sun += locked.amount_sun
        del state.records[locked_key]


def _delegate(state: State, owner: Address, p: Params, now_ms: int) -> None:
    account = state.accounts[owner]
    amount, resource = _int(p, "balance"), _resource(p)
    receiver = _address(p, "receiver_address")
    if amount < st.SUN:
        raise invalid("delegateBalance must be greater than or equal to 1 TRX")
    if amount > state.delegatable_sun(account, resource, now_ms):
        label = "FreezeBandwidthV2" if resource is Res.BANDWIDTH else "FreezeEnergyV2"
        raise invalid(f"delegateBalance must be less than or equal to available {label} balance")
    if receiver == owner:
        raise invalid("receiverAddress must not be the same as ownerAddress")
    target = state.accounts.get(receiver)
    if target is None or not target.exists:
        raise invalid(f"Account[{st.hex_address(receiver)}] not exists")
    lock = p.get("lock") is True
    period = _lock_period(state, owner, receiver, resource, p, now_ms) if lock else 0
    if target.is_contract:
        raise invalid("Do not allow delegate resources to contract addresses")
    _unlock_expired(state, (owner, receiver, resource, False), now_ms)
    record = state.records.setdefault((owner, receiver, resource, lock), Record())
    record.amount_sun += amount
    if lock:
        record.expire_ms = now_ms + period * st.BLOCK_MS
    target.acquired_sun[resource] += amount
    account.delegated_sun[resource] += amount
    account.frozen_sun[resource] -= amount


def _lock_period(
    state: State, owner: Address, receiver: Address, resource: Res, p: Params, now_ms: int
) -> int:
    raw = p.get("lock_period")
    period = raw if isinstance(raw, int) and raw != 0 else st.DEFAULT_LOCK_BLOCKS
    if period < 0 or period > st.MAX_LOCK_BLOCKS:
        raise invalid(
            "The lock period of delegate resource cannot be less than 0 and cannot exceed "
            f"{st.MAX_LOCK_BLOCKS}!"
        )
    existing = state.records.get((owner, receiver, resource, True))
    if existing is not None and existing.amount_sun > 0:
        remain = existing.expire_ms - now_ms
        if period * st.BLOCK_MS < remain:
            name = resource.value
            raise invalid(
                f"The lock period for {name} this time cannot be less than the remaining "
                f"time[{remain}ms] of the last lock period for {name}!"
            )
    return period


def _undelegate(state: State, owner: Address, p: Params, now_ms: int) -> None:
    account = state.accounts[owner]
    amount, resource = _int(p, "balance"), _resource(p)
    receiver = _address(p, "receiver_address")
    if receiver == owner:
        raise invalid("receiverAddress must not be the same as ownerAddress")
    unlocked = state.records.get((owner, receiver, resource, False))
    locked = state.records.get((owner, receiver, resource, True))
    if unlocked is None and locked is None:
        raise invalid("delegated Resource does not exist")
    if amount <= 0:
        raise invalid("unDelegateBalance must be more than 0 TRX")
    available = (unlocked.amount_sun if unlocked else 0) + (
        locked.amount_sun if locked and locked.expire_ms < now_ms else 0
    )
    if amount > available:
        label = (
            "delegatedFrozenBalance(BANDWIDTH)"
            if resource is Res.BANDWIDTH
            else "delegateFrozenBalance(Energy)"
        )
        raise invalid(f"insufficient {label}, request={amount}, unlock_balance={available}")
    target = state.accounts.get(receiver)
    if target is not None:
        target.acquired_sun[resource] = max(0, target.acquired_sun[resource] - amount)
    key = (owner, receiver, resource, False)
    _unlock_expired(state, key, now_ms)
    record = state.records[key]
    record.amount_sun -= amount
    if record.amount_sun == 0:
        del state.records[key]
    account.delegated_sun[resource] -= amount
    account.frozen_sun[resource] += amount


def _vote(state: State, owner: Address, p: Params, now_ms: int) -> None:
    entries = p.get("votes")
    if not isinstance(entries, list) or not entries:
        raise invalid("VoteNumber must more than 0")
    if len(entries) > st.MAX_VOTES:
        raise invalid(f"VoteNumber more than maxVoteNumber {st.MAX_VOTES}")
    new_votes: list[tuple[Address, int]] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise invalid("Invalid vote address!")
        witness, count = _address(entry, "vote_address"), _int(entry, "vote_count")
        if count <= 0:
            raise invalid("vote count must be greater than 0")
        if witness not in state.witnesses:
            known = state.accounts.get(witness)
            if known is None or not known.exists:
                raise invalid(f"Account[{st.hex_address(witness)}] not exists")
            raise invalid(f"Witness[{st.hex_address(witness)}] not exists")
        new_votes.append((witness, count))
    account = state.accounts[owner]
    total_sun = sum(count for _, count in new_votes) * st.SUN
    if total_sun > account.tron_power_sun():
        raise invalid(
            f"The total number of votes[{total_sun}] is greater than the "
            f"tronPower[{account.tron_power_sun()}]"
        )
    _settle_reward(state, owner)
    account.votes = new_votes


def _claim(state: State, owner: Address, p: Params, now_ms: int) -> None:
    account = state.accounts[owner]
    if now_ms - account.latest_withdraw_ms < st.DAY_MS:
        raise invalid(f"The last withdraw time is {account.latest_withdraw_ms}, less than 24 hours")
    if account.allowance_sun <= 0 and state.unsettled_reward_sun.get(owner, 0) <= 0:
        raise invalid("witnessAccount does not have any reward")
    _settle_reward(state, owner)
    account.balance_sun += account.allowance_sun
    account.allowance_sun = 0
    account.latest_withdraw_ms = now_ms


def _settle_reward(state: State, owner: Address) -> None:
    """``withdrawReward``: rewards of closed cycles move into ``allowance``."""
    state.accounts[owner].allowance_sun += state.unsettled_reward_sun.pop(owner, 0)


_ACTUATORS: dict[Contract, Callable[[State, Address, Params, int], None]] = {
    Contract.FREEZE: _freeze,
    Contract.UNFREEZE: _unfreeze,
    Contract.VOTE: _vote,
    Contract.DELEGATE: _delegate,
    Contract.UNDELEGATE: _undelegate,
    Contract.WITHDRAW_EXPIRE_UNFREEZE: _withdraw_expire,
    Contract.CLAIM_REWARDS: _claim,
    Contract.CANCEL_ALL_UNFREEZE: _cancel_all,
}


def _int(params: Params, name: str) -> int:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected("OTHER_ERROR", f"Error: {name} is not an integer")
    return value


def _address(params: Params, name: str) -> Address:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise invalid("Invalid address")
    return Address(value)


def _resource(params: Params) -> Res:
    value = params.get("resource", Res.BANDWIDTH.value)
    if value not in (Res.BANDWIDTH.value, Res.ENERGY.value):
        raise invalid("ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]")
    return Res(str(value))
