"""Reward claims on the devnet: auto-claim takes the owner's voting rewards once per 24 h of
chain time and only above the minimum; a one-shot claim request (``POST /claim-rewards``)
is claimed once and then marked fulfilled. Claiming never changes a position's Ready."""

from __future__ import annotations

import dataclasses

import pytest

from tests.integration.controller import harness
from tests.integration.controller.harness import ControllerRig
from tron_staking.controller import ledger
from tron_staking.controller.reconciler import Outcome, Reconciler
from tron_staking.domain import claim_requests
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.spec import PositionSpec, VoteWeight

pytestmark = pytest.mark.anyio

SUN = 1_000_000
DAY_S = 86_400
SOLID_LAG_BLOCKS = 19
CLAIM = "WithdrawBalanceContract"


async def _settle(rig: ControllerRig, reconciler: Reconciler, owner: Address, blocks: int) -> None:
    """Reconcile ``owner`` twice per block for ``blocks`` blocks."""
    for _ in range(blocks):
        for _ in range(2):
            result = await reconciler.reconcile(owner)
            assert result.outcome is not Outcome.ERROR, result.message
        await rig.devnet.mine(1)


async def _accrue(rig: ControllerRig) -> None:
    """A maintenance counts the votes, blocks of the next cycle pay them, and the maintenance
    after it makes the cycle's reward claimable."""
    await rig.devnet.advance_time(7 * 3600)
    await rig.devnet.mine(30)
    await rig.devnet.advance_time(7 * 3600)
    await rig.devnet.mine(2)


async def _claims(rig: ControllerRig, owner: Address, since: int) -> int:
    return (await rig.types_on_chain(owner, since))[CLAIM]


async def _voting_position(
    rig: ControllerRig, account_index: int, position_id: str, *, auto_claim: bool
) -> tuple[Address, Reconciler]:
    account = rig.devnet.accounts[account_index]
    owner = harness.owner_address(account)
    await rig.import_key(account)
    await rig.devnet.mine(1)
    witness = Address(rig.devnet.witnesses[0].address)
    await rig.declare(
        PositionSpec(
            owner=owner,
            resource=StakingResourceType.ENERGY,
            amount_sun=500_000 * SUN,
            votes=(VoteWeight(witness, 100),),
            auto_claim=auto_claim,
        ),
        position_id,
    )
    reconciler = rig.reconciler()
    await _settle(rig, reconciler, owner, SOLID_LAG_BLOCKS + 3)
    assert harness.is_ready(await rig.position(position_id))
    return owner, reconciler


async def test_auto_claim_once_per_day_and_only_above_the_minimum(rig: ControllerRig) -> None:
    owner, _ = await _voting_position(rig, 3, "pos_auto", auto_claim=True)
    start = await rig.head_number()
    await _accrue(rig)
    reward = (await rig.chain.observe(owner, [])).reward_sun
    assert reward > 2, "the devnet paid no voting reward"

    # Below the minimum: nothing is claimed, Ready stays True.
    rig.policy = dataclasses.replace(rig.policy, min_claim_sun=reward * 1000)
    await _settle(rig, rig.reconciler(), owner, 3)
    assert await _claims(rig, owner, start) == 0
    assert harness.is_ready(await rig.position("pos_auto"))

    # Above it: claimed once, and not again within 24 h of chain time.
    rig.policy = dataclasses.replace(rig.policy, min_claim_sun=1)
    reconciler = rig.reconciler()
    await _settle(rig, reconciler, owner, 4)
    assert await _claims(rig, owner, start) == 1
    await _accrue(rig)
    await _settle(rig, reconciler, owner, 4)
    assert (await rig.chain.observe(owner, [])).reward_sun > 0
    assert await _claims(rig, owner, start) == 1
    assert harness.is_ready(await rig.position("pos_auto"))

    # A day of chain time after the claim: the next one.
    await rig.devnet.advance_time(DAY_S)
    await _settle(rig, reconciler, owner, 4)
    assert await _claims(rig, owner, start) == 2
    assert harness.is_ready(await rig.position("pos_auto"))


async def test_a_claim_request_is_claimed_once_then_fulfilled(rig: ControllerRig) -> None:
    owner, reconciler = await _voting_position(rig, 4, "pos_manual", auto_claim=False)
    start = await rig.head_number()
    await _accrue(rig)
    assert (await rig.chain.observe(owner, [])).reward_sun > 0
    rig.policy = dataclasses.replace(rig.policy, min_claim_sun=1)
    reconciler = rig.reconciler()

    # Without auto_claim and without a request, nothing is claimed.
    await _settle(rig, reconciler, owner, 3)
    assert await _claims(rig, owner, start) == 0

    # The request the API stores (routes/operations.py) is claimed once.
    requested_at = rig.clock.now()
    await rig.store.rewards.insert(
        {
            "id": claim_requests.claim_request_id(owner),
            "kind": "claim_request",
            "owner": owner,
            "requested_at": requested_at,
            "created_at": requested_at,
        }
    )
    await _settle(rig, reconciler, owner, 4)
    assert await _claims(rig, owner, start) == 1
    request = await rig.store.rewards.get(claim_requests.claim_request_id(owner))
    assert request["fulfilled_by"] is not None
    assert not await ledger.SeedLedger(None, None, rig.store.rewards).claim_requested(owner)

    # More rewards and a day later: a fulfilled request claims nothing more.
    await rig.devnet.advance_time(DAY_S)
    await _accrue(rig)
    await _settle(rig, reconciler, owner, 4)
    assert (await rig.chain.observe(owner, [])).reward_sun > 0
    assert await _claims(rig, owner, start) == 1
