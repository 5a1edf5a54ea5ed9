"""The staking life both client tests run, and the exact state the devnet must show after
each step.

A client test (tronpy in test_tronpy_life.py, TronWeb 6 in tronweb/life.mjs) performs the
steps below with the client's own builders, mines one block after each step and records a
``Step``: the receipts of its transactions and a snapshot of the chain read back through the
client (owner and receiver accounts, the owner→receiver delegation records, the owner's
reward). ``check_life`` replays the plan on a small ledger of expected values and requires
every snapshot to equal it exactly — balances, frozenV2, votes, delegations, unfreezing
entries (with their expiry times) — and every receipt to carry the exact amounts. The claimed
reward is computed here from the reference's reward rules and chain facts read from the node
(chain parameters, witness votes, brokerage, the producers of the rewarded cycle's blocks).

The amounts are chosen so that every vote rescale is exact in binary floating point (the
node rescales with doubles): votes 3000/1000 against tron power 3200 and then 3100.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import base58

Post = Callable[[str, Any], Awaitable[Any]]

TRX = 1_000_000
DAY_MS = 86_400_000
UNFREEZE_DELAY_MS = 14 * DAY_MS
BLOCK_MS = 3_000
MAINTENANCE_S = 6 * 3_600
TIME_TRAVEL_S = 14 * 86_400

OWNER_START_SUN = 1_000_000 * TRX
CREATE_ACCOUNT_FEE_SUN = 1_100_000  # 1 TRX by the actuator + 0.1 TRX burned for bandwidth
TRANSFER_SUN = 100 * TRX
FREEZE_BANDWIDTH_SUN = 2_000 * TRX
FREEZE_ENERGY_SUN = 2_000 * TRX
VOTES = (3_000, 1_000)  # for the first and the second witness
DELEGATE_BANDWIDTH_SUN = 500 * TRX  # unlocked
DELEGATE_ENERGY_SUN = 1_000 * TRX  # locked
LOCK_PERIOD_BLOCKS = 100
UNDELEGATE_BANDWIDTH_SUN = 200 * TRX
UNFREEZE_ENERGY_SUN = 800 * TRX  # tron power 4000 → 3200: votes 2400/800
UNFREEZE_BANDWIDTH_SUN = 100 * TRX  # tron power 3200 → 3100: votes 2325/775
UNFREEZE_AGAIN_ENERGY_SUN = 500 * TRX  # after cancel-all: tron power 3500 still covers votes

STEP_NAMES = (
    "transfer",
    "freeze",
    "vote",
    "delegate",
    "undelegate",
    "unfreeze",
    "cancel_all_unfreeze",
    "unfreeze_again",
    "time_travel",
    "withdraw_expire",
    "maintenance",
    "claim_rewards",
)
# The contract type of each transaction of a step, in the order the step sends them.
STEP_CONTRACTS: dict[str, tuple[str, ...]] = {
    "transfer": ("TransferContract",),
    "freeze": ("FreezeBalanceV2Contract", "FreezeBalanceV2Contract"),
    "vote": ("VoteWitnessContract",),
    "delegate": ("DelegateResourceContract", "DelegateResourceContract"),
    "undelegate": ("UnDelegateResourceContract",),
    "unfreeze": ("UnfreezeBalanceV2Contract", "UnfreezeBalanceV2Contract"),
    "cancel_all_unfreeze": ("CancelAllUnfreezeV2Contract",),
    "unfreeze_again": ("UnfreezeBalanceV2Contract",),
    "time_travel": (),
    "withdraw_expire": ("WithdrawExpireUnfreezeContract",),
    "maintenance": (),
    "claim_rewards": ("WithdrawBalanceContract",),
}
EVERY_CONTRACT_TYPE = frozenset(name for names in STEP_CONTRACTS.values() for name in names)


@dataclass
class Step:
    """What a client did in one step and what it read back after mining one block."""

    name: str
    txids: list[str]
    infos: list[dict[str, Any]]
    owner: dict[str, Any]
    receiver: dict[str, Any]
    delegation: dict[str, Any]
    reward_sun: int
    head_number: int
    head_time_ms: int


@dataclass(frozen=True)
class RewardFacts:
    """Chain facts that decide the voters' reward of one maintenance cycle, read from the node
    (chain parameters, witnesses, brokerage and the producers of the cycle's blocks)."""

    block_pay_sun: int  # getWitnessPayPerBlock, to the producer
    standby_pay_sun: int  # getWitness127PayPerBlock, over the top 127 by votes
    vote_counts: dict[str, int]  # witness (hex) -> votes in force during the cycle
    brokerage_pct: dict[str, int]  # witness (hex) -> brokerage of the cycle
    producers: list[str]  # producer (hex) of each block of the cycle


VI_DECIMAL = 10**18
STANDBY_WITNESSES = 127


def expected_reward(facts: RewardFacts, votes: Mapping[str, int]) -> int:
    """A voter's reward for one cycle, from the reference (§8): every block pays the producer
    and, split by votes, the top 127 witnesses; each payment keeps the witness's brokerage
    ``(long)(pct/100 × pay)`` and pools the rest; at maintenance the pool becomes
    ``Vi = pool × 10^18 / votes`` (integer) and a voter gets ``Vi × its votes / 10^18``."""
    standby = sorted(facts.vote_counts.values(), reverse=True)[:STANDBY_WITNESSES]
    vote_sum = sum(count for count in standby if count > 0)
    each_vote_pay = facts.standby_pay_sun / vote_sum
    reward = 0
    for witness, my_votes in votes.items():
        keep = facts.brokerage_pct[witness] / 100
        pays = [int(facts.vote_counts[witness] * each_vote_pay)] * len(facts.producers)
        pays += [facts.block_pay_sun for producer in facts.producers if producer == witness]
        pool = sum(pay - int(keep * pay) for pay in pays)
        vi = pool * VI_DECIMAL // facts.vote_counts[witness]
        reward += vi * my_votes // VI_DECIMAL
    return reward


@dataclass
class Ledger:
    """The expected state of the owner, the receiver and the owner→receiver delegation."""

    owner_balance: int = OWNER_START_SUN
    receiver_balance: int = 0
    frozen: dict[str, int] = field(default_factory=lambda: {"BANDWIDTH": 0, "ENERGY": 0})
    delegated: dict[str, int] = field(default_factory=lambda: {"BANDWIDTH": 0, "ENERGY": 0})
    votes: dict[str, int] = field(default_factory=dict)
    # (resource, amount, expire_time_ms); expire time filled from the including block
    unfreezing: list[tuple[str, int, int]] = field(default_factory=list)
    unlocked: dict[str, int] = field(default_factory=lambda: {"BANDWIDTH": 0, "ENERGY": 0})
    locked: dict[str, int] = field(default_factory=lambda: {"BANDWIDTH": 0, "ENERGY": 0})
    locked_energy_expire_ms: int = 0


def hex_address(text: str) -> str:
    """An address as lowercase hex (``41…``), from base58check or hex."""
    if text.startswith("T"):
        return base58.b58decode_check(text).hex()
    return text.lower()


def observed_ledger(step: Step) -> Ledger:
    """The snapshot of ``step`` in the shape of ``Ledger`` (addresses as hex)."""
    owner, receiver = step.owner, step.receiver
    owner_resource = owner.get("account_resource", {})
    frozen = {"BANDWIDTH": 0, "ENERGY": 0}
    for entry in owner.get("frozenV2", []):
        kind = entry.get("type", "BANDWIDTH")
        frozen[kind] = frozen.get(kind, 0) + int(entry.get("amount", 0))
    frozen = {kind: amount for kind, amount in frozen.items() if kind != "TRON_POWER" or amount}
    unlocked = {"BANDWIDTH": 0, "ENERGY": 0}
    locked = {"BANDWIDTH": 0, "ENERGY": 0}
    locked_expire = 0
    for record in step.delegation.get("delegatedResource", []):
        is_locked = bool(
            record.get("expire_time_for_bandwidth") or record.get("expire_time_for_energy")
        )
        target = locked if is_locked else unlocked
        target["BANDWIDTH"] += int(record.get("frozen_balance_for_bandwidth", 0))
        target["ENERGY"] += int(record.get("frozen_balance_for_energy", 0))
        if is_locked:
            locked_expire = int(record.get("expire_time_for_energy", 0))
    return Ledger(
        owner_balance=int(owner.get("balance", 0)),
        receiver_balance=int(receiver.get("balance", 0)),
        frozen=frozen,
        delegated={
            "BANDWIDTH": int(owner.get("delegated_frozenV2_balance_for_bandwidth", 0)),
            "ENERGY": int(owner_resource.get("delegated_frozenV2_balance_for_energy", 0)),
        },
        votes={
            hex_address(vote["vote_address"]): int(vote["vote_count"])
            for vote in owner.get("votes", [])
        },
        unfreezing=[
            (
                entry.get("type", "BANDWIDTH"),
                int(entry["unfreeze_amount"]),
                int(entry["unfreeze_expire_time"]),
            )
            for entry in owner.get("unfrozenV2", [])
        ],
        unlocked=unlocked,
        locked=locked,
        locked_energy_expire_ms=locked_expire,
    )


def _receiver_acquired(step: Step) -> dict[str, int]:
    resource = step.receiver.get("account_resource", {})
    return {
        "BANDWIDTH": int(step.receiver.get("acquired_delegated_frozenV2_balance_for_bandwidth", 0)),
        "ENERGY": int(resource.get("acquired_delegated_frozenV2_balance_for_energy", 0)),
    }


def _fee(info: Mapping[str, Any]) -> int:
    return int(info.get("fee", 0))


def _rescaled(votes: dict[str, int], tron_power_trx: int) -> dict[str, int]:
    """java-tron's vote rescale: ``(long)(count / total × TP_sun / 1e6)`` per vote."""
    total = sum(votes.values())
    if tron_power_trx >= total:
        return dict(votes)
    scaled = {
        address: int(count / total * (tron_power_trx * TRX) / TRX)
        for address, count in votes.items()
    }
    return {address: count for address, count in scaled.items() if count > 0}


def _tron_power_trx(ledger: Ledger) -> int:
    return (sum(ledger.frozen.values()) + sum(ledger.delegated.values())) // TRX


class LifeCheck:
    """Replays the plan step by step against what a client recorded."""

    def __init__(self, witnesses: Sequence[str], reward_facts: RewardFacts) -> None:
        self.witnesses = [hex_address(address) for address in witnesses]
        self.reward_facts = reward_facts
        self.ledger = Ledger()
        self.reward_before_claim = 0
        # "now" of a transaction in a block is its parent's timestamp: the head before it.
        self.parent_time_ms = 0

    def check(self, steps: Sequence[Step]) -> None:
        """Raise AssertionError at the first step whose snapshot or receipts differ."""
        assert [step.name for step in steps] == list(STEP_NAMES)
        for step in steps:
            assert len(step.infos) == len(STEP_CONTRACTS[step.name]), step.name
            for txid, info in zip(step.txids, step.infos, strict=True):
                assert info.get("id") == txid, (step.name, info)
                assert int(info["blockNumber"]) > 0, (step.name, info)
            getattr(self, f"_{step.name}")(step)
            assert observed_ledger(step) == self.ledger, step.name
            self.parent_time_ms = step.head_time_ms

    def _no_fees(self, step: Step) -> None:
        """Staked bandwidth pays every staking transaction: no TRX is burned."""
        for info in step.infos:
            assert _fee(info) == 0, (step.name, info)

    def _transfer(self, step: Step) -> None:
        (info,) = step.infos
        assert _fee(info) == CREATE_ACCOUNT_FEE_SUN, info
        self.ledger.owner_balance -= TRANSFER_SUN + CREATE_ACCOUNT_FEE_SUN
        self.ledger.receiver_balance += TRANSFER_SUN

    def _freeze(self, step: Step) -> None:
        self._no_fees(step)
        self.ledger.owner_balance -= FREEZE_BANDWIDTH_SUN + FREEZE_ENERGY_SUN
        self.ledger.frozen = {"BANDWIDTH": FREEZE_BANDWIDTH_SUN, "ENERGY": FREEZE_ENERGY_SUN}

    def _vote(self, step: Step) -> None:
        self._no_fees(step)
        self.ledger.votes = dict(zip(self.witnesses, VOTES, strict=True))

    def _delegate(self, step: Step) -> None:
        self._no_fees(step)
        ledger = self.ledger
        ledger.frozen["BANDWIDTH"] -= DELEGATE_BANDWIDTH_SUN
        ledger.frozen["ENERGY"] -= DELEGATE_ENERGY_SUN
        ledger.delegated = {"BANDWIDTH": DELEGATE_BANDWIDTH_SUN, "ENERGY": DELEGATE_ENERGY_SUN}
        ledger.unlocked["BANDWIDTH"] = DELEGATE_BANDWIDTH_SUN
        ledger.locked["ENERGY"] = DELEGATE_ENERGY_SUN
        ledger.locked_energy_expire_ms = self.parent_time_ms + LOCK_PERIOD_BLOCKS * BLOCK_MS
        assert _receiver_acquired(step) == ledger.delegated

    def _undelegate(self, step: Step) -> None:
        self._no_fees(step)
        ledger = self.ledger
        ledger.frozen["BANDWIDTH"] += UNDELEGATE_BANDWIDTH_SUN
        ledger.delegated["BANDWIDTH"] -= UNDELEGATE_BANDWIDTH_SUN
        ledger.unlocked["BANDWIDTH"] -= UNDELEGATE_BANDWIDTH_SUN
        assert _receiver_acquired(step) == ledger.delegated

    def _unfreeze(self, step: Step) -> None:
        self._no_fees(step)
        ledger = self.ledger
        expire_ms = self.parent_time_ms + UNFREEZE_DELAY_MS
        for resource, amount in (
            ("ENERGY", UNFREEZE_ENERGY_SUN),
            ("BANDWIDTH", UNFREEZE_BANDWIDTH_SUN),
        ):
            ledger.frozen[resource] -= amount
            ledger.unfreezing.append((resource, amount, expire_ms))
            ledger.votes = _rescaled(ledger.votes, _tron_power_trx(ledger))
        assert list(ledger.votes.values()) == [2_325, 775]

    def _cancel_all_unfreeze(self, step: Step) -> None:
        self._no_fees(step)
        (info,) = step.infos
        # java-tron prints all three keys, zeros included, in HashMap order.
        assert info["cancel_unfreezeV2_amount"] == [
            {"key": "ENERGY", "value": UNFREEZE_ENERGY_SUN},
            {"key": "TRON_POWER", "value": 0},
            {"key": "BANDWIDTH", "value": UNFREEZE_BANDWIDTH_SUN},
        ], info
        assert "withdraw_expire_amount" not in info, info
        for resource, amount, _ in self.ledger.unfreezing:
            self.ledger.frozen[resource] += amount
        self.ledger.unfreezing = []

    def _unfreeze_again(self, step: Step) -> None:
        self._no_fees(step)
        ledger = self.ledger
        ledger.frozen["ENERGY"] -= UNFREEZE_AGAIN_ENERGY_SUN
        expire_ms = self.parent_time_ms + UNFREEZE_DELAY_MS
        ledger.unfreezing = [("ENERGY", UNFREEZE_AGAIN_ENERGY_SUN, expire_ms)]
        # tron power 3500 TRX still covers the 3100 votes: no rescale
        assert ledger.votes == _rescaled(ledger.votes, _tron_power_trx(ledger))

    def _time_travel(self, step: Step) -> None:
        # The unfreeze has matured on chain time; nothing was withdrawn yet.
        ((_, _, expire_ms),) = self.ledger.unfreezing
        assert step.head_time_ms >= expire_ms, (step.head_time_ms, expire_ms)

    def _withdraw_expire(self, step: Step) -> None:
        self._no_fees(step)
        (info,) = step.infos
        assert int(info["withdraw_expire_amount"]) == UNFREEZE_AGAIN_ENERGY_SUN, info
        self.ledger.owner_balance += UNFREEZE_AGAIN_ENERGY_SUN
        self.ledger.unfreezing = []

    def _maintenance(self, step: Step) -> None:
        # The maintenance closed the one cycle with the votes in force (the blocks of the
        # withdraw_expire and maintenance steps): its reward is visible, not yet settled.
        expected = expected_reward(self.reward_facts, self.ledger.votes)
        assert expected > 0
        assert step.reward_sun == expected, (step.reward_sun, expected)
        assert "allowance" not in step.owner, step.owner
        self.reward_before_claim = expected

    def _claim_rewards(self, step: Step) -> None:
        self._no_fees(step)
        (info,) = step.infos
        assert int(info["withdraw_amount"]) == self.reward_before_claim, info
        assert step.reward_sun == 0
        assert "allowance" not in step.owner, step.owner
        assert int(step.owner["latest_withdraw_time"]) == self.parent_time_ms
        self.ledger.owner_balance += self.reward_before_claim


def reward_cycle_blocks(steps: Sequence[Step]) -> range:
    """The blocks of the cycle whose reward the life claims: after the block that crossed the
    14 days (its maintenance opened the cycle) up to the block of the next maintenance."""
    by_name = {step.name: step for step in steps}
    return range(by_name["time_travel"].head_number + 1, by_name["maintenance"].head_number + 1)


async def reward_facts(post: Post, steps: Sequence[Step]) -> RewardFacts:
    """Read the chain facts of the rewarded cycle from the node (``post(path, body)``)."""
    parameters = {
        entry["key"]: int(entry.get("value", 0))
        for entry in (await post("wallet/getchainparameters", {}))["chainParameter"]
    }
    listed = (await post("wallet/listwitnesses", {}))["witnesses"]
    vote_counts = {hex_address(w["address"]): int(w.get("voteCount", 0)) for w in listed}
    brokerage = {
        address: int((await post("wallet/getBrokerage", {"address": address}))["brokerage"])
        for address in vote_counts
    }
    producers = []
    for number in reward_cycle_blocks(steps):
        block = await post("wallet/getblockbynum", {"num": number})
        producers.append(hex_address(block["block_header"]["raw_data"]["witness_address"]))
    return RewardFacts(
        block_pay_sun=parameters["getWitnessPayPerBlock"],
        standby_pay_sun=parameters["getWitness127PayPerBlock"],
        vote_counts=vote_counts,
        brokerage_pct=brokerage,
        producers=producers,
    )


def check_life(steps: Sequence[Step], witnesses: Sequence[str], facts: RewardFacts) -> None:
    """Check a recorded life against the plan (see the module docstring)."""
    LifeCheck(witnesses, facts).check(copy.deepcopy(list(steps)))
