"""A small pure model of one TRON account under java-tron's Stake 2.0 rules (reference §3, §9).

It validates and executes FreezeBalanceV2, UnfreezeBalanceV2 (with the sweep and the vote
rescaling), DelegateResource / UnDelegateResource (with locks and lazy unlock), VoteWitness,
WithdrawExpireUnfreeze and WithdrawBalance, charges bandwidth (free 600 bytes a day, then a
burn of 1000 sun per byte), mines blocks on a clock that advances, and produces the
``AccountSnapshot`` the planner reads. Transactions are validated when broadcast (against the
state with the pending ones applied) and executed when a block is mined; one that became
invalid in between is dropped and never appears (it will expire).

It exists to test the planner against the chain's rules; it is not the devnet.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Mapping

from tron_staking.domain import votes
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType, StakingResourceType
from tron_staking.domain.ids import TxId
from tron_staking.domain.operation import JsonValue
from tron_staking.domain.snapshot import AccountSnapshot, DelegationOut, UnfreezingEntry
from tron_staking.domain.votes import WitnessVote

Kind = StakingOperationType
Res = StakingResourceType

SUN = 1_000_000
DAY_MS = 86_400_000
UNFREEZE_DELAY_MS = 14 * DAY_MS
BLOCK_MS = 3000
FREE_NET_LIMIT = 600
FEE_PER_BYTE = 1000
MAX_LOCK_BLOCKS = 864_000
DEFAULT_LOCK_BLOCKS = 86_400
REWARD_SUN_PER_VOTE_PER_BLOCK = 10

# Reference §9.1 sizes (the planner adds a margin on top of these).
_BYTES = {
    Kind.FREEZE: 254,
    Kind.UNFREEZE: 256,
    Kind.WITHDRAW_EXPIRE_UNFREEZE: 253,
    Kind.DELEGATE: 279,
    Kind.UNDELEGATE: 281,
    Kind.CLAIM_REWARDS: 246,
}


class Rejected(Exception):  # noqa: N818 - the chain's word
    """The chain refused a transaction; the message is java-tron's."""


def tx_bytes(kind: Kind, params: Mapping[str, JsonValue]) -> int:
    if kind is Kind.VOTE:
        entries = params.get("votes")
        count = len(entries) if isinstance(entries, list) else 1
        return 271 + 29 * (count - 1)
    size = _BYTES[kind]
    if kind is Kind.FREEZE and params.get("resource") == "BANDWIDTH":
        size -= 2
    if kind is Kind.DELEGATE and params.get("lock") is True:
        size += 6
    return size


@dataclasses.dataclass
class Record:
    """One delegation record owner→receiver (unlocked or locked) for one resource."""

    amount: int = 0
    expire_ms: int = 0


@dataclasses.dataclass
class Account:
    exists: bool = True
    balance: int = 0
    frozen: dict[Res, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(Res, 0))
    unfrozen: list[tuple[Res, int, int]] = dataclasses.field(default_factory=list)
    votes: list[WitnessVote] = dataclasses.field(default_factory=list)
    allowance: int = 0
    latest_withdraw_ms: int = 0
    free_used: int = 0
    free_day: int = 0


@dataclasses.dataclass
class Tx:
    txid: TxId
    kind: Kind
    params: dict[str, JsonValue]
    expiration_ms: int


@dataclasses.dataclass
class Inclusion:
    block: int
    block_time_ms: int
    fee_sun: int


@dataclasses.dataclass
class Chain:
    owner: Address
    witnesses: frozenset[Address]
    accounts: dict[Address, Account]
    records: dict[tuple[Address, Res, bool], Record] = dataclasses.field(default_factory=dict)
    head_block: int = 100
    head_time_ms: int = 1_800_000_000_000
    solid_lag: int = 2
    pending: list[Tx] = dataclasses.field(default_factory=list)
    included: dict[TxId, Inclusion] = dataclasses.field(default_factory=dict)
    dropped: list[tuple[Tx, str]] = dataclasses.field(default_factory=list)
    block_times: dict[int, int] = dataclasses.field(default_factory=dict)
    _counter: int = 0

    # -- queries ---------------------------------------------------------------------------

    @property
    def account(self) -> Account:
        return self.accounts[self.owner]

    @property
    def solid_block(self) -> int:
        return max(self.head_block - self.solid_lag, 0)

    def block_time(self, number: int) -> int:
        return self.block_times.get(number, self.head_time_ms)

    def delegated_out(self, res: Res) -> int:
        return sum(r.amount for (_, rr, _), r in self.records.items() if rr is res)

    def tron_power_sun(self) -> int:
        account = self.account
        return sum(account.frozen.values()) + sum(r.amount for r in self.records.values())

    def staked(self, res: Res) -> int:
        return self.account.frozen[res] + self.delegated_out(res)

    def snapshot(self) -> AccountSnapshot:
        account = self.account
        now = self.head_time_ms
        self._refresh_free(account, now)
        delegations = tuple(
            DelegationOut(
                receiver=receiver,
                resource=res,
                locked=locked,
                amount_sun=record.amount,
                lock_expire_time_ms=record.expire_ms if locked else None,
            )
            for (receiver, res, locked), record in sorted(self.records.items())
            if record.amount > 0
        )
        receivers = {
            address: acc.exists for address, acc in self.accounts.items() if address != self.owner
        }
        return AccountSnapshot(
            owner=self.owner,
            exists=account.exists,
            head_block_number=self.head_block,
            head_block_time_ms=now,
            solid_block_number=self.solid_block,
            solid_block_time_ms=self.block_time(self.solid_block),
            balance_sun=account.balance,
            frozen_sun=dict(account.frozen),
            unfreezing=tuple(
                UnfreezingEntry(resource=res, amount_sun=amount, expire_time_ms=expire)
                for res, amount, expire in account.unfrozen
            ),
            delegations=delegations,
            votes=tuple(account.votes),
            tron_power_limit=self.tron_power_sun() // SUN,
            tron_power_used=votes.total(account.votes),
            allowance_sun=account.allowance,
            reward_sun=account.allowance,
            latest_withdraw_time_ms=account.latest_withdraw_ms or None,
            available_unfreeze_count=32 - sum(1 for _, _, e in account.unfrozen if e > now),
            free_bandwidth_available_bytes=max(FREE_NET_LIMIT - account.free_used, 0),
            staked_bandwidth_available_bytes=0,
            can_delegate_max_sun={res: account.frozen[res] for res in Res},
            receivers_activated=receivers,
            witnesses=self.witnesses,
        )

    # -- transactions ----------------------------------------------------------------------

    def new_txid(self) -> TxId:
        self._counter += 1
        return TxId(hashlib.sha256(f"tx{self._counter}".encode()).hexdigest())

    def broadcast(self, tx: Tx) -> None:
        """Validate ``tx`` against the state with the pending transactions applied; raise
        Rejected like the node would, else queue it for the next block."""
        if tx.expiration_ms <= self.head_time_ms:
            raise Rejected("Transaction expired")
        trial = copy.deepcopy(self)
        for earlier in self.pending:
            try:
                trial._execute(earlier, self.head_time_ms)
            except Rejected:
                continue
        trial._execute(tx, self.head_time_ms)
        self.pending.append(tx)

    def mine(self, *, advance_ms: int = BLOCK_MS) -> None:
        """Mine the next block ``advance_ms`` later: pending transactions execute in order
        with ``now`` = the parent block's time; invalid ones are dropped."""
        now = self.head_time_ms
        self.head_block += 1
        self.head_time_ms += advance_ms
        self.block_times[self.head_block] = self.head_time_ms
        for tx in self.pending:
            if tx.expiration_ms <= now:
                self.dropped.append((tx, "expired"))
                continue
            try:
                fee = self._execute(tx, now)
            except Rejected as exc:
                self.dropped.append((tx, str(exc)))
                continue
            self.included[tx.txid] = Inclusion(self.head_block, self.head_time_ms, fee)
        self.pending = []
        account = self.account
        account.allowance += REWARD_SUN_PER_VOTE_PER_BLOCK * votes.total(account.votes)

    def _refresh_free(self, account: Account, now: int) -> None:
        day = now // DAY_MS
        if day != account.free_day:
            account.free_day = day
            account.free_used = 0

    def _charge_bandwidth(self, size: int, now: int) -> int:
        account = self.account
        self._refresh_free(account, now)
        if FREE_NET_LIMIT - account.free_used >= size:
            account.free_used += size
            return 0
        fee = size * FEE_PER_BYTE
        if account.balance < fee:
            raise Rejected("Account resource insufficient error.")
        account.balance -= fee
        return fee

    def _execute(self, tx: Tx, now: int) -> int:
        account = self.account
        if not account.exists:
            raise Rejected(f"account [{self.owner}] does not exist")
        fee = self._charge_bandwidth(tx_bytes(tx.kind, tx.params), now)
        handler = {
            Kind.FREEZE: self._freeze,
            Kind.UNFREEZE: self._unfreeze,
            Kind.DELEGATE: self._delegate,
            Kind.UNDELEGATE: self._undelegate,
            Kind.VOTE: self._vote,
            Kind.WITHDRAW_EXPIRE_UNFREEZE: self._withdraw_expire,
            Kind.CLAIM_REWARDS: self._withdraw_balance,
        }[tx.kind]
        handler(tx.params, now)
        return fee

    # -- actuators (reference §3) ------------------------------------------------------------

    def _freeze(self, p: Mapping[str, JsonValue], now: int) -> None:
        account, amount, res = self.account, _int(p, "frozen_balance"), Res(str(p["resource"]))
        if amount <= 0:
            raise Rejected("frozenBalance must be positive")
        if amount < SUN:
            raise Rejected("frozenBalance must be greater than or equal to 1 TRX")
        if amount > account.balance:
            raise Rejected("frozenBalance must be less than or equal to accountBalance")
        account.balance -= amount
        account.frozen[res] += amount

    def _unfreeze(self, p: Mapping[str, JsonValue], now: int) -> None:
        account, amount, res = self.account, _int(p, "unfreeze_balance"), Res(str(p["resource"]))
        if account.frozen[res] <= 0:
            raise Rejected(f"no frozenBalance({res})")
        if amount <= 0 or amount > account.frozen[res]:
            raise Rejected(f"Invalid unfreeze_balance, [{amount}] is error")
        if sum(1 for _, _, expire in account.unfrozen if expire > now) >= 32:
            raise Rejected("Invalid unfreeze operation, unfreezing times is over limit")
        self._sweep(now)
        account.unfrozen.append((res, amount, now + UNFREEZE_DELAY_MS))
        account.frozen[res] -= amount
        account.votes = list(votes.predict_unfreeze_rescale(account.votes, self.tron_power_sun()))

    def _sweep(self, now: int) -> int:
        account = self.account
        matured = sum(a for _, a, expire in account.unfrozen if expire <= now)
        account.unfrozen = [e for e in account.unfrozen if e[2] > now]
        account.balance += matured
        return matured

    def _withdraw_expire(self, p: Mapping[str, JsonValue], now: int) -> None:
        if self._sweep(now) <= 0:
            raise Rejected("no unFreeze balance to withdraw ")

    def _unlock(self, receiver: Address, res: Res, now: int) -> None:
        locked = self.records.get((receiver, res, True))
        if locked is not None and locked.amount > 0 and locked.expire_ms < now:
            unlocked = self.records.setdefault((receiver, res, False), Record())
            unlocked.amount += locked.amount
            del self.records[(receiver, res, True)]

    def _delegate(self, p: Mapping[str, JsonValue], now: int) -> None:
        account, amount, res = self.account, _int(p, "balance"), Res(str(p["resource"]))
        receiver = Address(str(p["receiver_address"]))
        if amount < SUN:
            raise Rejected("delegateBalance must be greater than or equal to 1 TRX")
        if amount > account.frozen[res]:
            raise Rejected(
                f"delegateBalance must be less than or equal to available Freeze{res}V2 balance"
            )
        if receiver == self.owner:
            raise Rejected("receiverAddress must not be the same as ownerAddress")
        target = self.accounts.get(receiver)
        if target is None or not target.exists:
            raise Rejected(f"Account[{receiver}] not exists")
        lock = p.get("lock") is True
        period = DEFAULT_LOCK_BLOCKS
        if lock:
            raw_period = p.get("lock_period")
            period = (
                raw_period if isinstance(raw_period, int) and raw_period else DEFAULT_LOCK_BLOCKS
            )
            if period < 0 or period > MAX_LOCK_BLOCKS:
                raise Rejected("The lock period of delegate resource cannot be less than 0")
            existing = self.records.get((receiver, res, True))
            if existing is not None and existing.amount > 0:
                remain = existing.expire_ms - now
                if period * BLOCK_MS < remain:
                    raise Rejected(
                        "The lock period for this time cannot be less than the remaining time"
                    )
        self._unlock(receiver, res, now)
        record = self.records.setdefault((receiver, res, lock), Record())
        record.amount += amount
        if lock:
            record.expire_ms = now + period * BLOCK_MS
        account.frozen[res] -= amount

    def _undelegate(self, p: Mapping[str, JsonValue], now: int) -> None:
        account, amount, res = self.account, _int(p, "balance"), Res(str(p["resource"]))
        receiver = Address(str(p["receiver_address"]))
        unlocked = self.records.get((receiver, res, False))
        locked = self.records.get((receiver, res, True))
        if (unlocked is None or unlocked.amount == 0) and (locked is None or locked.amount == 0):
            raise Rejected("delegated Resource does not exist")
        if amount <= 0:
            raise Rejected("unDelegateBalance must be more than 0 TRX")
        available = (unlocked.amount if unlocked else 0) + (
            locked.amount if locked and locked.expire_ms < now else 0
        )
        if amount > available:
            raise Rejected(
                f"insufficient delegateFrozenBalance({res}), request={amount}, "
                f"unlock_balance={available}"
            )
        self._unlock(receiver, res, now)
        record = self.records[(receiver, res, False)]
        record.amount -= amount
        if record.amount == 0:
            del self.records[(receiver, res, False)]
        account.frozen[res] += amount

    def _vote(self, p: Mapping[str, JsonValue], now: int) -> None:
        entries = p.get("votes")
        if not isinstance(entries, list) or not entries:
            raise Rejected("VoteNumber must more than 0")
        if len(entries) > 30:
            raise Rejected("VoteNumber more than maxVoteNumber 30")
        new_votes: list[WitnessVote] = []
        for entry in entries:
            assert isinstance(entry, Mapping)
            witness, count = Address(str(entry["vote_address"])), entry["vote_count"]
            assert isinstance(count, int)
            if count <= 0:
                raise Rejected("vote count must be greater than 0")
            if witness not in self.witnesses:
                raise Rejected(f"Witness[{witness}] not exists")
            new_votes.append(WitnessVote(witness=witness, count=count))
        total = votes.total(new_votes) * SUN
        if total > self.tron_power_sun():
            raise Rejected(
                f"The total number of votes[{total}] is greater than the "
                f"tronPower[{self.tron_power_sun()}]"
            )
        self.account.votes = new_votes

    def _withdraw_balance(self, p: Mapping[str, JsonValue], now: int) -> None:
        account = self.account
        if now - account.latest_withdraw_ms < DAY_MS:
            raise Rejected(
                f"The last withdraw time is {account.latest_withdraw_ms}, less than 24 hours"
            )
        if account.allowance <= 0:
            raise Rejected("witnessAccount does not have any reward")
        account.balance += account.allowance
        account.allowance = 0
        account.latest_withdraw_ms = now

    # -- out-of-band changes (drift) ---------------------------------------------------------

    def oob_unfreeze(self, res: Res, amount: int) -> bool:
        try:
            before = copy.deepcopy(self)
            self._unfreeze({"unfreeze_balance": amount, "resource": res.value}, self.head_time_ms)
        except Rejected:
            self.__dict__.update(before.__dict__)
            return False
        return True

    def oob_vote(self, new_votes: list[WitnessVote]) -> bool:
        try:
            self._vote(
                {"votes": [{"vote_address": v.witness, "vote_count": v.count} for v in new_votes]},
                self.head_time_ms,
            )
        except Rejected:
            return False
        return True

    def oob_undelegate(self, receiver: Address, res: Res) -> bool:
        record = self.records.get((receiver, res, False))
        if record is None or record.amount == 0:
            return False
        self._undelegate(
            {"receiver_address": receiver, "balance": record.amount, "resource": res.value},
            self.head_time_ms,
        )
        return True


def _int(params: Mapping[str, JsonValue], name: str) -> int:
    value = params.get(name)
    assert isinstance(value, int)
    return value
