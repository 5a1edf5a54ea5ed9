"""Bandwidth and energy arithmetic: usage decay, window sizes, limits and the bandwidth charge.

A port of java-tron's ``ResourceProcessor``, ``BandwidthProcessor`` and the parts of
``EnergyProcessor`` that staking touches (reference §5, §9). Times here are slot numbers
(``slot = ms // 3000``); usage decays linearly over a 28,800-slot window. Java's long and
double arithmetic is reproduced: ``_jdiv`` truncates toward zero, ``_jround`` is
``Math.round``, and limits are computed in doubles and truncated.

Called by the actuators (delegation checks, usage transfer on undelegation), by the broadcast
pipeline (``consume_bandwidth``) and by the account queries (``decayed_for_query``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tron_devnet import crypto, params
from tron_devnet.state import Account, Store
from tron_devnet.types import ResourceCode

WINDOW = params.WINDOW_SLOTS
WINDOW_V2 = params.WINDOW_SLOTS * params.WINDOW_SIZE_PRECISION
PRECISION = params.USAGE_PRECISION


class ResourceInsufficientError(Exception):
    """``AccountResourceInsufficientException``: answered as BANDWITH_ERROR."""


class TooBigTransactionError(Exception):
    """``TooBigTransactionException``: the message is reported verbatim."""


class BandwidthValidateError(Exception):
    """A ``ContractValidateException`` raised by the bandwidth stage (owner missing)."""


def slot_of(time_ms: int) -> int:
    return time_ms // params.BLOCK_INTERVAL_MS


def _jdiv(numerator: int, denominator: int) -> int:
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


def _divide_ceil(numerator: int, denominator: int) -> int:
    remainder = numerator - _jdiv(numerator, denominator) * denominator
    return _jdiv(numerator, denominator) + (1 if remainder > 0 else 0)


def _jround(value: float) -> int:
    return math.floor(value + 0.5)


def _decayed_average(average: int, window: int, last_time: int, now: int) -> int:
    if last_time != now:
        if last_time + window > now:
            decay = (window - (now - last_time)) / window
            return _jround(average * decay)
        return 0
    return average


def increase_fixed(last_usage: int, usage: int, last_time: int, now: int) -> int:
    """``ResourceProcessor.increase`` with the fixed 24-hour window (free and public net)."""
    average_last = _divide_ceil(last_usage * PRECISION, WINDOW)
    average_new = _divide_ceil(usage * PRECISION, WINDOW)
    average_last = _decayed_average(average_last, WINDOW, last_time, now)
    return (average_last + average_new) * WINDOW // PRECISION


# ---- per-account windows (AccountCapsule.getWindowSize / getWindowSizeV2) ----


def _window_fields(account: Account, resource: int) -> tuple[int, bool]:
    if resource == ResourceCode.BANDWIDTH:
        return account.net_window_size, account.net_window_optimized
    return account.energy_window_size, account.energy_window_optimized


def window_size(account: Account, resource: int) -> int:
    size, optimized = _window_fields(account, resource)
    if size == 0:
        return WINDOW
    if optimized:
        return (
            WINDOW if size < params.WINDOW_SIZE_PRECISION else size // params.WINDOW_SIZE_PRECISION
        )
    return size


def window_size_v2(account: Account, resource: int) -> int:
    size, optimized = _window_fields(account, resource)
    if size == 0:
        return WINDOW_V2
    return size if optimized else size * params.WINDOW_SIZE_PRECISION


def _set_window(account: Account, resource: int, size: int, optimized: bool | None) -> None:
    if resource == ResourceCode.BANDWIDTH:
        account.net_window_size = size
        if optimized:
            account.net_window_optimized = True
    else:
        account.energy_window_size = size
        if optimized:
            account.energy_window_optimized = True


def increase(
    cfg: Mapping[str, int],
    account: Account,
    resource: int,
    last_usage: int,
    usage: int,
    last_time: int,
    now: int,
) -> int:
    """``ResourceProcessor.increase(account, …)``: new usage; updates the account's window.

    ``account`` must be writable (a copy owned by the caller).
    """
    old_window = window_size(account, resource)
    average_last = _divide_ceil(last_usage * PRECISION, old_window)
    average_new = _divide_ceil(usage * PRECISION, WINDOW)
    average_last = _decayed_average(average_last, old_window, last_time, now)
    new_usage = (average_last * old_window + average_new * WINDOW) // PRECISION
    remain_usage = average_last * old_window // PRECISION
    if params.support_cancel_all_unfreeze(cfg):
        if remain_usage == 0:
            _set_window(account, resource, WINDOW_V2, optimized=True)
            return new_usage
        remain_window = window_size_v2(account, resource) - (now - last_time) * (
            params.WINDOW_SIZE_PRECISION
        )
        new_window = _divide_ceil(remain_usage * remain_window + usage * WINDOW_V2, new_usage)
        _set_window(account, resource, min(new_window, WINDOW_V2), optimized=True)
        return new_usage
    if params.support_unfreeze_delay(cfg):
        if remain_usage == 0:
            _set_window(account, resource, WINDOW, optimized=None)
            return new_usage
        remain_window = old_window - (now - last_time)
        new_window = _jdiv(remain_usage * remain_window + usage * WINDOW, new_usage)
        _set_window(account, resource, new_window, optimized=None)
    return new_usage


def recovery(account: Account, resource: int, last_usage: int, last_time: int, now: int) -> int:
    """Usage decayed to ``now`` with the account's window, without touching the account."""
    window = window_size(account, resource)
    average_last = _divide_ceil(last_usage * PRECISION, window)
    average_last = _decayed_average(average_last, window, last_time, now)
    return average_last * window // PRECISION


def update_net_usage(cfg: Mapping[str, int], account: Account, now: int) -> None:
    """``BandwidthProcessor.updateUsageForDelegated``: decay staked net usage to ``now``."""
    account.net_usage = increase(
        cfg, account, ResourceCode.BANDWIDTH, account.net_usage, 0, account.latest_consume_time, now
    )


def update_energy_usage(cfg: Mapping[str, int], account: Account, now: int) -> None:
    """``EnergyProcessor.updateUsage``: decay energy usage to ``now``."""
    account.energy_usage = increase(
        cfg,
        account,
        ResourceCode.ENERGY,
        account.energy_usage,
        0,
        account.latest_consume_time_for_energy,
        now,
    )


def decayed_for_query(cfg: Mapping[str, int], account: Account, now: int) -> Account:
    """A copy with every usage decayed to ``now``, as ``wallet/getaccount`` prints it."""
    view = account.clone()
    update_net_usage(cfg, view, now)
    view.free_net_usage = increase_fixed(view.free_net_usage, 0, view.latest_consume_free_time, now)
    update_energy_usage(cfg, view, now)
    return view


def un_delegate_increase(
    cfg: Mapping[str, int],
    owner: Account,
    receiver: Account,
    transfer_usage: int,
    resource: int,
    now: int,
) -> None:
    """``ResourceProcessor.unDelegateIncrease``: move usage back to the owner, merging windows."""
    if resource == ResourceCode.BANDWIDTH:
        last_time, owner_usage = owner.latest_consume_time, owner.net_usage
    else:
        last_time, owner_usage = owner.latest_consume_time_for_energy, owner.energy_usage
    owner_usage = increase(cfg, owner, resource, owner_usage, 0, last_time, now)
    new_usage = owner_usage + transfer_usage
    v2 = params.support_cancel_all_unfreeze(cfg)
    if new_usage == 0:
        if v2:
            _set_window(owner, resource, WINDOW_V2, optimized=True)
        else:
            _set_window(owner, resource, WINDOW, optimized=None)
    elif v2:
        owner_window = max(window_size_v2(owner, resource), 0)
        receiver_window = max(window_size_v2(receiver, resource), 0)
        new_window = _divide_ceil(
            owner_usage * owner_window + transfer_usage * receiver_window, new_usage
        )
        _set_window(owner, resource, min(new_window, WINDOW_V2), optimized=True)
    else:
        owner_window = max(window_size(owner, resource), 0)
        receiver_window = max(window_size(receiver, resource), 0)
        new_window = _jdiv(owner_usage * owner_window + transfer_usage * receiver_window, new_usage)
        _set_window(owner, resource, new_window, optimized=None)
    if resource == ResourceCode.BANDWIDTH:
        owner.net_usage = new_usage
        owner.latest_consume_time = now
    else:
        owner.energy_usage = new_usage
        owner.latest_consume_time_for_energy = now


# ---- limits ----


def _share(stake_sun: int, total_limit: int, total_weight: int) -> int:
    if total_weight == 0:
        return 0
    return int((stake_sun / params.TRX_PRECISION) * (total_limit / total_weight))


def net_stake(account: Account) -> int:
    """``getAllFrozenBalanceForBandwidth`` (Stake 2.0 part): own + received bandwidth stake."""
    return account.frozen_bandwidth + account.acquired_bandwidth


def energy_stake(account: Account) -> int:
    return account.frozen_energy + account.acquired_energy


def net_limit(cfg: Mapping[str, int], store: Store, account: Account) -> int:
    return _share(net_stake(account), cfg["getTotalNetLimit"], store.dyn("total_net_weight"))


def energy_limit(cfg: Mapping[str, int], store: Store, account: Account) -> int:
    return _share(
        energy_stake(account),
        cfg["getTotalEnergyCurrentLimit"],
        store.dyn("total_energy_weight"),
    )


def usage_in_sun(usage: int, total_weight: int, total_limit: int) -> int:
    """``(long)(usage × 1e6 × ((double) totalWeight / totalLimit))``."""
    return int(usage * params.TRX_PRECISION * (total_weight / total_limit))


# ---- the bandwidth stage of the broadcast pipeline ----


@dataclass(slots=True)
class NetBill:
    net_usage: int = 0
    net_fee: int = 0


def consume_bandwidth(
    cfg: Mapping[str, int],
    store: Store,
    owner: bytes,
    net_bytes: int,
    creates_account: bool,
    create_account_size: int,
    now_slot: int,
    head_time_ms: int,
    txid_hex: str,
) -> NetBill:
    """``BandwidthProcessor.consume`` for one contract; writes the owner into ``store``.

    Raises ``BandwidthValidateError`` (owner missing), ``TooBigTransactionError`` (an
    account-creating transaction above ``getMaxCreateAccountTxSize``) or
    ``ResourceInsufficientError`` (nothing left to pay with).
    """
    account = store.account_for_write(owner)
    if account is None:
        raise BandwidthValidateError(f"account [{crypto.address_to_base58(owner)}] does not exist")
    if creates_account:
        max_size = cfg["getMaxCreateAccountTxSize"]
        if create_account_size > max_size:
            raise TooBigTransactionError(
                f"Too big new account transaction, TxId {txid_hex}, the size is "
                f"{create_account_size} bytes, maxTxSize {max_size}"
            )
        cost = net_bytes * cfg["getCreateNewAccountBandwidthRate"]
        if _use_account_net(cfg, store, account, cost, now_slot, head_time_ms):
            return NetBill(net_usage=cost)
        fee = cfg["getCreateAccountFee"]
        if account.balance < fee:
            raise ResourceInsufficientError
        account.balance -= fee
        account.latest_operation_time = head_time_ms
        return NetBill(net_fee=fee)
    if _use_account_net(cfg, store, account, net_bytes, now_slot, head_time_ms):
        return NetBill(net_usage=net_bytes)
    if _use_free_net(cfg, store, account, net_bytes, now_slot, head_time_ms):
        return NetBill(net_usage=net_bytes)
    fee = cfg["getTransactionFee"] * net_bytes
    if account.balance < fee:
        raise ResourceInsufficientError
    account.balance -= fee
    account.latest_operation_time = head_time_ms
    return NetBill(net_fee=fee)


def _use_account_net(
    cfg: Mapping[str, int],
    store: Store,
    account: Account,
    cost: int,
    now: int,
    head_time_ms: int,
) -> bool:
    limit = net_limit(cfg, store, account)
    last_time = account.latest_consume_time
    current = recovery(account, ResourceCode.BANDWIDTH, account.net_usage, last_time, now)
    if cost > limit - current:
        return False
    account.net_usage = increase(
        cfg, account, ResourceCode.BANDWIDTH, account.net_usage, cost, last_time, now
    )
    account.latest_consume_time = now
    account.latest_operation_time = head_time_ms
    return True


def _use_free_net(
    cfg: Mapping[str, int],
    store: Store,
    account: Account,
    cost: int,
    now: int,
    head_time_ms: int,
) -> bool:
    free_usage = increase_fixed(account.free_net_usage, 0, account.latest_consume_free_time, now)
    if cost > cfg["getFreeNetLimit"] - free_usage:
        return False
    public_usage = increase_fixed(
        store.dyn("public_net_usage"), 0, store.dyn("public_net_time"), now
    )
    if cost > params.PUBLIC_NET_LIMIT - public_usage:
        return False
    account.free_net_usage = increase_fixed(free_usage, cost, now, now)
    account.latest_consume_free_time = now
    account.latest_operation_time = head_time_ms
    store.set_dyn("public_net_usage", increase_fixed(public_usage, cost, now, now))
    store.set_dyn("public_net_time", now)
    return True
