"""A model TRON full node over the Stake 2.0 rules of ``model``, for the planner's tests.

``Chain`` keeps a pending pool validated against the pending state (every accepted
transaction already applied, reference §2), packs it into blocks in order with ``now`` = the
parent block's time (a transaction that became invalid is silently left out and, never
packed, expires), pays voting rewards at every maintenance (every 6 h), keeps the state of
recent blocks so it can answer as a lagging node or as ``walletsolidity`` (solid block = head
− 19), and answers ``gettransactioninfobyid`` (``receipt``). Transactions made outside the
service (freeze, delegate, vote, cancel-all of the same owner) go through the same pool.

It imports nothing from the code under test except the plain data types it builds
(``AccountSnapshot``, addresses, resources); the rules are written from
``reference/tron-stake2.md``, not from the planner.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection, Mapping

from tests.unit.controller.model import actuators
from tests.unit.controller.model import state as st
from tests.unit.controller.model.actuators import Contract, Rejected
from tests.unit.controller.model.state import Account, Res, State
from tron_staking.domain.addresses import Address
from tron_staking.domain.ids import TxId
from tron_staking.domain.snapshot import AccountSnapshot, DelegationOut, UnfreezingEntry
from tron_staking.domain.votes import WitnessVote

__all__ = ["Account", "Chain", "Contract", "Inclusion", "Rejected", "Tx"]

SOLID_LAG_BLOCKS = 19
MAX_EXPIRATION_MS = 86_400_000
HISTORY_BLOCKS = 64
START_TIME_MS = 1_800_000_000_000
_DELEGATE_TX_ESTIMATE_BYTES = 285


@dataclasses.dataclass(frozen=True)
class Tx:
    txid: TxId
    contract: Contract
    params: Mapping[str, object]
    expiration_ms: int
    outside: bool = False
    """Made by the owner outside the service (unmanaged)."""


@dataclasses.dataclass(frozen=True)
class Inclusion:
    tx: Tx
    block: int
    block_time_ms: int
    fee_sun: int
    rescaled_votes: bool
    """An unfreeze that shrank the account's votes (reference §3.2 step 5)."""


class Chain:
    """One model node. ``head_block``/``head_time_ms`` name the newest block; the state of
    every block since ``HISTORY_BLOCKS`` ago is kept."""

    def __init__(
        self,
        state: State,
        *,
        head_block: int = 1000,
        head_time_ms: int = START_TIME_MS,
        solid_lag: int = SOLID_LAG_BLOCKS,
    ) -> None:
        self.head_block = head_block
        self.head_time_ms = head_time_ms
        self.solid_lag = solid_lag
        self.state = state
        self.pool: list[Tx] = []
        self.pending_state = state.copy()
        self.history: dict[int, tuple[int, State]] = {}
        self.included: dict[TxId, Inclusion] = {}
        self.known: set[TxId] = set()
        """Transaction ids in the pool or in a block (a re-send answers DUP)."""
        self.next_maintenance_ms = (head_time_ms // st.MAINTENANCE_MS + 1) * st.MAINTENANCE_MS
        self._counter = 0
        for number in range(head_block - HISTORY_BLOCKS + 1, head_block + 1):
            time_ms = head_time_ms - (head_block - number) * st.BLOCK_MS
            self.history[number] = (time_ms, state.copy())

    # -- blocks -------------------------------------------------------------------------------

    @property
    def solid_block(self) -> int:
        return self.head_block - self.solid_lag

    @property
    def solid_time_ms(self) -> int:
        return self.block_time_ms(self.solid_block)

    def block_time_ms(self, number: int) -> int:
        return self.history[number][0]

    def new_txid(self, seed: str = "") -> TxId:
        self._counter += 1
        return TxId(hashlib.sha256(f"{seed}/{self._counter}".encode()).hexdigest())

    def broadcast(self, tx: Tx) -> None:
        """``wallet/broadcasttransaction``: raise ``Rejected`` as the node answers, else
        accept ``tx`` into the pending pool (applied to the pending state)."""
        if tx.expiration_ms < self.head_time_ms + st.BLOCK_MS:
            raise Rejected("TRANSACTION_EXPIRATION_ERROR", "Transaction expired")
        if tx.expiration_ms > self.head_time_ms + MAX_EXPIRATION_MS:
            raise Rejected("TRANSACTION_EXPIRATION_ERROR", "Transaction expired")
        if tx.txid in self.known:
            raise Rejected("DUP_TRANSACTION_ERROR", "Dup transaction.")
        actuators.process(self.pending_state, tx.contract, tx.params, self.head_time_ms)
        self.pool.append(tx)
        self.known.add(tx.txid)

    def drop(self, txid: TxId) -> None:
        """The node lost ``txid`` from its pool (it will never be packed, and expires)."""
        self.pool = [tx for tx in self.pool if tx.txid != txid]
        self.known.discard(txid)
        self._revalidate_pool()

    def mine(self, *, hold: Collection[TxId] = (), advance_ms: int = st.BLOCK_MS) -> None:
        """Produce the next block ``advance_ms`` after the head: pool transactions not in
        ``hold`` execute in order at the parent's time; invalid or expired ones are left out
        (an invalid one is removed from the pool, a held one stays pending)."""
        parent_time = self.head_time_ms
        number, block_time = self.head_block + 1, parent_time + advance_ms
        remaining: list[Tx] = []
        for tx in self.pool:
            if tx.expiration_ms < block_time:
                self.known.discard(tx.txid)
                continue
            if tx.txid in hold:
                remaining.append(tx)
                continue
            votes_before = self._votes_of(tx)
            try:
                receipt = actuators.process(self.state, tx.contract, tx.params, parent_time)
            except Rejected:
                self.known.discard(tx.txid)
                continue
            rescaled = tx.contract is Contract.UNFREEZE and self._votes_of(tx) != votes_before
            self.included[tx.txid] = Inclusion(tx, number, block_time, receipt.fee_sun, rescaled)
        self.head_block, self.head_time_ms = number, block_time
        self._maintenance(block_time)
        self.history[number] = (block_time, self.state.copy())
        self.history.pop(number - HISTORY_BLOCKS, None)
        self.pool = remaining
        self._revalidate_pool()

    def _votes_of(self, tx: Tx) -> list[tuple[Address, int]]:
        account = self.state.accounts.get(Address(str(tx.params.get("owner_address"))))
        return list(account.votes) if account else []

    def _revalidate_pool(self) -> None:
        self.pending_state = self.state.copy()
        kept: list[Tx] = []
        for tx in self.pool:
            try:
                actuators.process(self.pending_state, tx.contract, tx.params, self.head_time_ms)
            except Rejected:
                self.known.discard(tx.txid)
                continue
            kept.append(tx)
        self.pool = kept

    def _maintenance(self, block_time_ms: int) -> None:
        """Rewards of the cycles that closed: the votes in force during a cycle earn; new
        votes take force at the maintenance after they were cast (reference §8)."""
        while block_time_ms >= self.next_maintenance_ms:
            for address, account in self.state.accounts.items():
                in_force = self.state.votes_in_force.get(address, 0)
                if in_force:
                    self.state.unsettled_reward_sun[address] = (
                        self.state.unsettled_reward_sun.get(address, 0)
                        + in_force * st.REWARD_SUN_PER_VOTE_PER_CYCLE
                    )
                self.state.votes_in_force[address] = account.total_votes()
            self.next_maintenance_ms += st.MAINTENANCE_MS

    def receipt(self, txid: TxId) -> Inclusion | None:
        """``gettransactioninfobyid`` on an up-to-date node: the inclusion, or None."""
        return self.included.get(txid)

    # -- observations ---------------------------------------------------------------------------

    def snapshot(
        self, owner: Address, *, lag_blocks: int = 0, empty: bool = False
    ) -> AccountSnapshot:
        """The owner's account as a node ``lag_blocks`` behind the head answers it; ``empty``:
        ``getaccount`` answered ``{}`` (a read fault)."""
        return self.snapshot_at(owner, self.head_block - lag_blocks, empty=empty)

    def solid_snapshot(self, owner: Address) -> AccountSnapshot:
        """What ``walletsolidity`` answers: the state of the solid block."""
        return self.snapshot_at(owner, self.solid_block, solid_view=True)

    def snapshot_at(
        self, owner: Address, number: int, *, empty: bool = False, solid_view: bool = False
    ) -> AccountSnapshot:
        time_ms, state = self.history[number]
        solid = number if solid_view else number - self.solid_lag
        solid_time = self.block_time_ms(solid)
        account = state.accounts.get(owner)
        if empty or account is None or not account.exists:
            return AccountSnapshot(
                owner=owner,
                exists=False,
                head_block_number=number,
                head_block_time_ms=time_ms,
                solid_block_number=solid,
                solid_block_time_ms=solid_time,
            )
        return _account_snapshot(state, owner, account, number, time_ms, solid, solid_time)

    def outside(self, contract: Contract, owner: Address, **params: object) -> bool:
        """The owner sends ``contract`` with another wallet; True if the node accepted it."""
        tx = Tx(
            txid=self.new_txid("outside"),
            contract=contract,
            params={"owner_address": owner, **params},
            expiration_ms=self.head_time_ms + 60_000,
            outside=True,
        )
        try:
            self.broadcast(tx)
        except Rejected:
            return False
        return True


def _account_snapshot(
    state: State,
    owner: Address,
    account: Account,
    number: int,
    time_ms: int,
    solid: int,
    solid_time: int,
) -> AccountSnapshot:
    now_slot = st.slot(time_ms)
    records = state.records_from(owner)
    delegations = tuple(
        DelegationOut(
            receiver=receiver,
            resource=resource,
            locked=locked,
            amount_sun=record.amount_sun,
            lock_expire_time_ms=record.expire_ms if locked else None,
        )
        for (_, receiver, resource, locked), record in sorted(records.items())
        if record.amount_sun > 0
    )
    receivers = {
        address: other.exists for address, other in state.accounts.items() if address != owner
    }
    reward = account.allowance_sun + state.unsettled_reward_sun.get(owner, 0)
    staked_used = st.decayed(account.net_usage_bytes, account.net_slot, now_slot)
    free_used = st.decayed(account.free_usage_bytes, account.free_slot, now_slot)
    return AccountSnapshot(
        owner=owner,
        exists=True,
        head_block_number=number,
        head_block_time_ms=time_ms,
        solid_block_number=solid,
        solid_block_time_ms=solid_time,
        balance_sun=account.balance_sun,
        frozen_sun=dict(account.frozen_sun),
        unfreezing=tuple(
            UnfreezingEntry(
                resource=e.resource, amount_sun=e.amount_sun, expire_time_ms=e.expire_ms
            )
            for e in account.unfrozen
        ),
        delegations=delegations,
        acquired_sun=dict(account.acquired_sun),
        votes=tuple(WitnessVote(witness=w, count=c) for w, c in account.votes),
        tron_power_limit=account.tron_power_sun() // st.SUN,
        tron_power_used=account.total_votes(),
        allowance_sun=account.allowance_sun,
        reward_sun=reward,
        latest_withdraw_time_ms=account.latest_withdraw_ms or None,
        available_unfreeze_count=st.MAX_UNFREEZING - account.unfreezing_pending(time_ms),
        free_bandwidth_available_bytes=max(st.FREE_NET_LIMIT_BYTES - free_used, 0),
        staked_bandwidth_available_bytes=max(state.net_limit_bytes(account) - staked_used, 0),
        can_delegate_max_sun={res: _can_delegate(state, account, res, time_ms) for res in Res},
        receivers_activated=receivers,
        witnesses=state.witnesses,
    )


def _can_delegate(state: State, account: Account, resource: Res, now_ms: int) -> int:
    """``getcandelegatedmaxsize``: for bandwidth, less an estimate of the delegate's own
    size; below 1 TRX it answers ``{}`` (0)."""
    available = state.delegatable_sun(account, resource, now_ms)
    if resource is Res.BANDWIDTH:
        estimate = _DELEGATE_TX_ESTIMATE_BYTES * st.SUN * state.total_net_weight_trx()
        available -= estimate // st.TOTAL_NET_LIMIT_BYTES
    return available if available >= st.SUN else 0
