"""WithdrawBalance (claim voting rewards): an owner-level chore, once per 24 h of chain time.

Due when a position of the owner has ``auto_claim`` or a one-shot claim was requested, the
reward is at least ``policy.min_claim_sun`` and more than the claim's own fee. It names no
position and never changes a position's conditions: claiming is not part of any spec's
convergence, so ``Ready`` does not flap while a claim is in flight.
"""

from __future__ import annotations

from tron_staking.controller.planner import gate
from tron_staking.controller.planner.emit import emit
from tron_staking.controller.planner.model import intent_key
from tron_staking.controller.planner.work import Round
from tron_staking.domain import bandwidth
from tron_staking.domain.enums import StakingOperationType

Kind = StakingOperationType


def plan_claim(rnd: Round) -> None:
    auto = any(w.position.spec.auto_claim for w in rnd.works.values())
    if not auto and not rnd.claim_requested:
        return
    reward = rnd.ledger.reward_sun
    fee = rnd.ledger.fee_for(bandwidth.estimate_bytes(Kind.CLAIM_REWARDS))
    floor = max(rnd.policy.min_claim_sun, fee + 1)
    if reward < floor:
        rnd.wait(
            "RewardBelowMinimum",
            f"the reward of {reward} sun is below the minimum claim of {floor} sun "
            "(STAKING_MIN_CLAIM_SUN, and more than the claim's fee)",
        )
        return
    last = rnd.observed.latest_withdraw_time_ms
    due = (last or 0) + rnd.policy.claim_interval_ms
    if last is not None and rnd.now < due:
        rnd.wait("ClaimNotDue", "rewards can be claimed once per 24 h", until_ms=due)
        return
    key = intent_key(Kind.CLAIM_REWARDS, rnd.owner)
    held = gate.intent_in_flight(rnd, key)
    if held is not None:
        rnd.wait("OperationInFlight", f"claim: {held.txid} is {held.state.value}")
        return
    why = "claim requested" if rnd.claim_requested else "auto_claim"
    emit(
        rnd,
        Kind.CLAIM_REWARDS,
        key,
        {"owner_address": rnd.owner},
        [],
        f"claim {reward} sun of voting rewards ({why})",
        facts={"latest_withdraw_time_ms": last},
        amount_sun=reward,
    )
