"""tronpy runs a whole staking life against a devnet started by the test (plan in life.py).

tronpy builds with the node's help (``getsignweight`` returns the txid) and stamps
``timestamp``/``expiration`` from the local clock. After the chain clock has been moved 14
days ahead the local clock would give expired transactions, so every builder gets its
expiration from the head block time through tronpy's own ``builder.expiration(ms)`` (which
adds to the local clock: the offset is head time + 60 s − local time). tronpy 0.6.2 has no
CancelAllUnfreezeV2 builder; that step uses tronpy's public ``AsyncTransactionBuilder`` with
the contract JSON, exactly as tronpy's own builders do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pytest
from tronpy import AsyncTron
from tronpy.async_tron import AsyncTransactionBuilder, current_timestamp
from tronpy.keys import PrivateKey

from tests.clients import life
from tests.support.devnet import Devnet, DevnetAccount

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

EXPIRATION_MS = 60_000


class TronpyLife:
    """Performs the plan's steps with tronpy and records what it reads back."""

    def __init__(self, devnet: Devnet, tron: AsyncTron, owner: DevnetAccount, receiver: str):
        self.devnet = devnet
        self.tron = tron
        self.owner = owner
        self.receiver = receiver
        self.steps: list[life.Step] = []

    async def head_time_ms(self) -> int:
        block = await self.tron.get_latest_block()
        return int(block["block_header"]["raw_data"]["timestamp"])

    async def send(self, builder: AsyncTransactionBuilder) -> str:
        """Expiration from the head block time, build, sign with the owner, broadcast."""
        offset_ms = await self.head_time_ms() + EXPIRATION_MS - current_timestamp()
        tx = await builder.expiration(offset_ms).build()
        tx.sign(self.owner.key)
        ret = await tx.broadcast()
        assert ret["result"] is True, ret
        txid: str = ret.txid
        return txid

    async def step(self, name: str, builders: Sequence[AsyncTransactionBuilder]) -> None:
        """Send the step's transactions in order, mine one block, record the snapshot."""
        txids = [await self.send(builder) for builder in builders]
        await self.devnet.mine(1)
        await self.record(name, txids)

    async def record(self, name: str, txids: list[str]) -> None:
        infos = [await self.tron.get_transaction_info(txid) for txid in txids]
        head = await self.tron.get_latest_block()
        reward = await self.tron.provider.make_request(
            "wallet/getReward", {"address": self.owner.address, "visible": True}
        )
        self.steps.append(
            life.Step(
                name=name,
                txids=txids,
                infos=infos,
                owner=await self.tron.get_account(self.owner.address),
                receiver=await self.tron.get_account(self.receiver),
                delegation=await self.tron.get_delegated_resource_v2(
                    self.owner.address, self.receiver
                ),
                reward_sun=int(reward.get("reward", 0)),
                head_number=int(head["block_header"]["raw_data"]["number"]),
                head_time_ms=int(head["block_header"]["raw_data"]["timestamp"]),
            )
        )

    async def advance(self, name: str, seconds: int) -> None:
        """Move the chain clock, mine one block, record the snapshot."""
        await self.devnet.advance_time(seconds)
        await self.devnet.mine(1)
        await self.record(name, [])


def _cancel_all_unfreeze(tron: AsyncTron, owner_hex: str) -> AsyncTransactionBuilder:
    contract = {
        "parameter": {
            "value": {"owner_address": owner_hex},
            "type_url": "type.googleapis.com/protocol.CancelAllUnfreezeV2Contract",
        },
        "type": "CancelAllUnfreezeV2Contract",
    }
    return AsyncTransactionBuilder(contract, client=tron)


async def _live(run: TronpyLife, witnesses: list[str]) -> None:
    trx = run.tron.trx
    owner, receiver = run.owner.address, run.receiver
    await run.step("transfer", [trx.transfer(owner, receiver, life.TRANSFER_SUN)])
    await run.step(
        "freeze",
        [
            trx.freeze_balance(owner, life.FREEZE_BANDWIDTH_SUN, "BANDWIDTH"),
            trx.freeze_balance(owner, life.FREEZE_ENERGY_SUN, "ENERGY"),
        ],
    )
    votes: list[tuple[str, int]] = list(zip(witnesses, life.VOTES, strict=True))
    await run.step("vote", [trx.vote_witness(owner, *votes)])
    await run.step(
        "delegate",
        [
            trx.delegate_resource(owner, receiver, life.DELEGATE_BANDWIDTH_SUN, "BANDWIDTH"),
            trx.delegate_resource(
                owner,
                receiver,
                life.DELEGATE_ENERGY_SUN,
                "ENERGY",
                lock=True,
                lock_period=life.LOCK_PERIOD_BLOCKS,
            ),
        ],
    )
    await run.step(
        "undelegate",
        [trx.undelegate_resource(owner, receiver, life.UNDELEGATE_BANDWIDTH_SUN, "BANDWIDTH")],
    )
    await run.step(
        "unfreeze",
        [
            trx.unfreeze_balance(owner, "ENERGY", unfreeze_balance=life.UNFREEZE_ENERGY_SUN),
            trx.unfreeze_balance(owner, "BANDWIDTH", unfreeze_balance=life.UNFREEZE_BANDWIDTH_SUN),
        ],
    )
    await run.step("cancel_all_unfreeze", [_cancel_all_unfreeze(run.tron, run.owner.hex_address)])
    await run.step(
        "unfreeze_again",
        [trx.unfreeze_balance(owner, "ENERGY", unfreeze_balance=life.UNFREEZE_AGAIN_ENERGY_SUN)],
    )
    await run.advance("time_travel", life.TIME_TRAVEL_S)
    await run.step("withdraw_expire", [trx.withdraw_stake_balance(owner)])
    await run.advance("maintenance", life.MAINTENANCE_S)
    await run.step("claim_rewards", [trx.withdraw_rewards(owner)])


async def test_tronpy_runs_a_whole_staking_life(devnet: Devnet) -> None:
    tron = devnet.client()
    try:
        listed: list[dict[str, Any]] = await tron.list_witnesses()
        witnesses = sorted(witness["address"] for witness in listed)[:2]
        receiver_key = PrivateKey(hashlib.sha256(b"tronpy life receiver").digest())
        receiver = receiver_key.public_key.to_base58check_address()
        run = TronpyLife(devnet, tron, devnet.accounts[0], receiver)
        await _live(run, witnesses)
        facts = await life.reward_facts(devnet.post, run.steps)
        life.check_life(run.steps, witnesses, facts)
        sent = [txid for step in run.steps for txid in step.txids]
        packed = (await devnet.get("devnet/transactions"))["transactions"]
        assert sorted(entry["txid"] for entry in packed) == sorted(sent)  # each exactly once
    finally:
        await devnet.aclose()
