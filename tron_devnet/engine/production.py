"""What producing a block does to the state besides its transactions.

``close_block`` is java-tron's block-apply tail for a devnet block: the scheduled witness of
the block's slot produces it, block rewards are paid (``rewards.pay_block_rewards``), witness
statistics move (``StatisticManager.applyBlock``) and every maintenance period the block's
timestamp crossed is processed (``MaintenanceManager.applyBlock``). Called by the chain with a
store whose top layer is the block's diff.
"""

from __future__ import annotations

from collections.abc import Mapping

from tron_devnet import params, rewards
from tron_devnet.state import Store


def absolute_slot(genesis_time_ms: int, timestamp_ms: int) -> int:
    return (timestamp_ms - genesis_time_ms) // params.BLOCK_INTERVAL_MS


def scheduled_witness(store: Store, genesis_time_ms: int, timestamp_ms: int) -> bytes:
    """The active witness whose turn the slot of ``timestamp_ms`` is."""
    active = rewards.active_witnesses(store)
    return active[absolute_slot(genesis_time_ms, timestamp_ms) % len(active)]


def close_block(
    cfg: Mapping[str, int],
    store: Store,
    genesis_time_ms: int,
    *,
    parent_ms: int,
    number: int,
    timestamp_ms: int,
) -> bytes:
    """Apply block ``number``'s production effects to ``store``; returns its producer."""
    producer = scheduled_witness(store, genesis_time_ms, timestamp_ms)
    rewards.pay_block_rewards(cfg, store, producer)
    _record_production(store, genesis_time_ms, producer, parent_ms, number, timestamp_ms)
    _maintain(cfg, store, number, timestamp_ms)
    return producer


def _record_production(
    store: Store, genesis_ms: int, producer: bytes, parent_ms: int, number: int, timestamp: int
) -> None:
    """``StatisticManager.applyBlock``: produced/missed counters of the witnesses."""
    slot = absolute_slot(genesis_ms, timestamp)
    witness = store.witness_for_write(producer)
    if witness is not None:
        witness.total_produced += 1
        witness.latest_block_num = number
        witness.latest_slot_num = slot
    first_missed = absolute_slot(genesis_ms, parent_ms) + 1
    if number == 1 or slot <= first_missed:
        return
    active = rewards.active_witnesses(store)
    size = len(active)

    def below(limit: int, index: int) -> int:  # slots s < limit with s % size == index
        return max(0, (limit - index + size - 1) // size)

    for index, address in enumerate(active):
        missed = below(slot, index) - below(first_missed, index)
        if missed:
            missing = store.witness_for_write(address)
            if missing is not None:
                missing.total_missed += missed


def _maintain(cfg: Mapping[str, int], store: Store, number: int, timestamp: int) -> None:
    """``MaintenanceManager.applyBlock``: run every maintenance period the block crossed."""
    next_time = store.dyn("next_maintenance_time")
    if next_time > timestamp:
        return
    interval = cfg["getMaintenanceTimeInterval"]
    if number == 1:  # java-tron only schedules the first maintenance at block 1
        next_time += ((timestamp - next_time) // interval + 1) * interval
    else:
        while next_time <= timestamp:
            rewards.do_maintenance(cfg, store)
            next_time += interval
    store.set_dyn("next_maintenance_time", next_time)
