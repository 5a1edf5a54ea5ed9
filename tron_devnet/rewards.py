"""Voting rewards, witness ranking and maintenance (reference §8).

A port of java-tron's ``MortgageService`` (new reward algorithm: per-witness ``Vi``
accumulators), ``DelegationStore`` keys, ``MaintenanceManager.doMaintenance`` and the
witness ordering of ``WitnessStore``. Everything works on a ``state.Store`` so it runs inside
the same layers as transactions: ``withdraw_reward`` inside actuators, ``pay_block_rewards``
and ``do_maintenance`` inside block production, ``query_reward`` for ``wallet/getReward``.

DelegationStore keys in the ``deleg`` table:
  ("reward", cycle, witness)        pool of the cycle for voters (after brokerage), sun
  ("vi", cycle, witness)            Vi accumulator (sun × 10^18 per vote)
  ("begin", account) / ("end", account)   settlement cycle bounds (defaults 0 / -1)
  ("account_vote", cycle, account)  the account's votes at its last settlement
  ("brokerage", cycle, witness)     brokerage % snapshot (-1 = current setting; default 20)
  ("witness_vote", cycle, witness)  vote count snapshot
"""

from __future__ import annotations

from collections.abc import Mapping

from tron_devnet import params
from tron_devnet.state import Store, Votes, Witness

REMARK = -1


def current_cycle(store: Store) -> int:
    return store.dyn("cycle")


def brokerage(store: Store, cycle: int, witness: bytes) -> int:
    value: int = store.deleg(("brokerage", cycle, witness), params.DEFAULT_BROKERAGE)
    return value


def _vi(store: Store, cycle: int, witness: bytes) -> int:
    value: int = store.deleg(("vi", cycle, witness), 0)
    return value


def _adjust_allowance(store: Store, address: bytes, amount: int) -> None:
    if amount <= 0:
        return
    account = store.account_for_write(address)
    if account is not None:
        account.allowance += amount


def _pay(store: Store, witness: bytes, value: int) -> None:
    """``MortgageService.payReward``: brokerage to the witness now, the rest to the pool."""
    cycle = current_cycle(store)
    rate = brokerage(store, cycle, witness) / 100
    brokerage_amount = int(rate * value)
    key = ("reward", cycle, witness)
    store.put("deleg", key, store.deleg(key, 0) + value - brokerage_amount)
    _adjust_allowance(store, witness, brokerage_amount)


def sorted_witnesses(witnesses: list[Witness]) -> list[Witness]:
    """``WitnessStore.sortWitnesses`` (sort optimisation on): votes desc, then hex desc."""
    return sorted(witnesses, key=lambda w: (w.vote_count, w.address.hex()), reverse=True)


def all_witnesses(store: Store) -> list[Witness]:
    return [witness for _, witness in store.items("witnesses")]


def active_witnesses(store: Store) -> tuple[bytes, ...]:
    active: tuple[bytes, ...] = store.deleg(("active",), ())
    return active


def rank_active(store: Store) -> tuple[bytes, ...]:
    """``DposService.updateWitness``: the top 27 witnesses by votes become the active SRs."""
    ranked = sorted_witnesses(all_witnesses(store))[: params.MAX_ACTIVE_WITNESSES]
    active = tuple(witness.address for witness in ranked)
    store.put("deleg", ("active",), active)
    return active


def pay_block_rewards(cfg: Mapping[str, int], store: Store, producer: bytes) -> None:
    """``Manager.payReward``: the producer's block pay, then the standby pay of the top 127."""
    if not params.allow_change_delegation(cfg):
        _adjust_allowance(store, producer, cfg["getWitnessPayPerBlock"])
        return
    _pay(store, producer, cfg["getWitnessPayPerBlock"])
    standby = sorted_witnesses(all_witnesses(store))[: params.WITNESS_STANDBY_LENGTH]
    standby = [witness for witness in standby if witness.vote_count >= 1]
    vote_sum = sum(witness.vote_count for witness in standby)
    if vote_sum < 1:
        return
    each_vote_pay = cfg["getWitness127PayPerBlock"] / vote_sum
    for witness in standby:
        _pay(store, witness.address, int(witness.vote_count * each_vote_pay))


def _compute_reward(store: Store, begin: int, end: int, votes: Votes) -> int:
    """``MortgageService.computeReward`` for cycles ``[begin, end)`` (new algorithm)."""
    if begin >= end:
        return 0
    reward = 0
    for witness, count in votes:
        delta = _vi(store, end - 1, witness) - _vi(store, begin - 1, witness)
        if delta <= 0:
            continue
        reward += delta * count // params.VI_DECIMAL
    return reward


def withdraw_reward(cfg: Mapping[str, int], store: Store, address: bytes) -> None:
    """``MortgageService.withdrawReward``: settle unpaid cycles into ``allowance``."""
    if not params.allow_change_delegation(cfg):
        return
    account = store.account(address)
    begin: int = store.deleg(("begin", address), 0)
    end: int = store.deleg(("end", address), REMARK)
    cycle = current_cycle(store)
    if begin > cycle or account is None:
        return
    if begin == cycle and store.get("deleg", ("account_vote", begin, address)) is not None:
        return
    if begin + 1 == end and begin < cycle:
        snapshot: Votes | None = store.get("deleg", ("account_vote", begin, address))
        if snapshot is not None:
            _adjust_allowance(store, address, _compute_reward(store, begin, end, snapshot))
        begin += 1
    end = cycle
    if not account.votes:
        store.put("deleg", ("begin", address), end + 1)
        return
    if begin < end:
        _adjust_allowance(store, address, _compute_reward(store, begin, end, account.votes))
    store.put("deleg", ("begin", address), end)
    store.put("deleg", ("end", address), end + 1)
    store.put("deleg", ("account_vote", end, address), account.votes)


def query_reward(cfg: Mapping[str, int], store: Store, address: bytes) -> int:
    """``MortgageService.queryReward``: ``allowance`` plus what is not settled yet."""
    if not params.allow_change_delegation(cfg):
        return 0
    account = store.account(address)
    if account is None:
        return 0
    begin: int = store.deleg(("begin", address), 0)
    end: int = store.deleg(("end", address), REMARK)
    cycle = current_cycle(store)
    if begin > cycle:
        return account.allowance
    reward = 0
    if begin + 1 == end and begin < cycle:
        snapshot: Votes | None = store.get("deleg", ("account_vote", begin, address))
        if snapshot is not None:
            reward = _compute_reward(store, begin, end, snapshot)
        begin += 1
    end = cycle
    if not account.votes:
        return reward + account.allowance
    if begin < end:
        reward += _compute_reward(store, begin, end, account.votes)
    return reward + account.allowance


def _accumulate_vi(store: Store, cycle: int, witness: bytes, vote_count: int) -> None:
    previous = _vi(store, cycle - 1, witness)
    reward: int = store.deleg(("reward", cycle, witness), 0)
    if reward == 0 or vote_count == 0:
        if previous != 0:
            store.put("deleg", ("vi", cycle, witness), previous)
    else:
        delta = reward * params.VI_DECIMAL // vote_count
        store.put("deleg", ("vi", cycle, witness), previous + delta)


def _count_votes(store: Store) -> dict[bytes, int]:
    """``MaintenanceManager.countVote``: vote deltas per witness; empties the VotesStore."""
    deltas: dict[bytes, int] = {}
    for address, record in list(store.items("votes")):
        for witness, count in record.old_votes:
            deltas[witness] = deltas.get(witness, 0) - count
        for witness, count in record.new_votes:
            deltas[witness] = deltas.get(witness, 0) + count
        store.delete("votes", address)
    return deltas


def do_maintenance(cfg: Mapping[str, int], store: Store) -> None:
    """``MaintenanceManager.doMaintenance``: close the cycle, tally votes, re-rank, cycle + 1."""
    cycle = current_cycle(store)
    for witness in all_witnesses(store):
        _accumulate_vi(store, cycle, witness.address, witness.vote_count)
    deltas = _count_votes(store)
    if deltas:
        before = set(active_witnesses(store))
        for address, delta in deltas.items():
            tallied = store.witness_for_write(address)
            if tallied is None or store.account(address) is None:
                continue
            tallied.vote_count += delta
        after = rank_active(store)
        if before != set(after):
            for address in before:
                demoted = store.witness_for_write(address)
                if demoted is not None:
                    demoted.is_jobs = False
            for address in after:
                promoted = store.witness_for_write(address)
                if promoted is not None:
                    promoted.is_jobs = True
    if params.allow_change_delegation(cfg):
        next_cycle = cycle + 1
        store.set_dyn("cycle", next_cycle)
        for witness in all_witnesses(store):
            address = witness.address
            store.put("deleg", ("brokerage", next_cycle, address), brokerage(store, -1, address))
            store.put("deleg", ("witness_vote", next_cycle, address), witness.vote_count)
