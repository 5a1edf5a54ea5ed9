"""Fixtures of the engine tests: a chain from a fixed genesis and a transaction harness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tron_devnet import codec, crypto, genesis, params
from tron_devnet.actuators import Actuators
from tron_devnet.engine.chain import Chain, ContractValidateError
from tron_devnet.types import (
    BroadcastResult,
    Contract,
    ContractValue,
    RawData,
    ResponseCode,
    Transaction,
)

GENESIS_TIME_MS = 1_699_999_998_000  # a multiple of the 3-second slot
TRX = params.TRX_PRECISION
DAY_S = 86_400
BAD_ADDRESS = b"\x41" + b"\x01" * 19  # 20 bytes: not a valid address


class Harness:
    """Builds, signs and broadcasts transactions against a ``Chain`` with the genesis keys."""

    def __init__(self, chain: Chain, gen: genesis.Genesis) -> None:
        self.chain = chain
        self.genesis = gen
        self.keys: dict[bytes, bytes] = {}
        for account in gen.accounts:
            if account.private_key is not None:
                self.keys[account.address] = account.private_key
        for witness in gen.witnesses:
            if witness.private_key is not None:
                self.keys[witness.address] = witness.private_key
        self.users = [a.address for a in gen.accounts if a.address not in self.witnesses]
        self._nonce = 0

    @property
    def witnesses(self) -> list[bytes]:
        return [w.address for w in self.genesis.witnesses]

    def new_key(self) -> tuple[bytes, bytes]:
        """A fresh (address, key) pair that is not on chain."""
        self._nonce += 1
        key = crypto.derive_private_key("engine-tests", self._nonce, "fresh")
        address = crypto.private_key_to_address(key)
        self.keys[address] = key
        return address, key

    def build(
        self,
        value: ContractValue | None,
        *,
        key: bytes | None = None,
        keys: list[bytes] | None = None,
        expiration: int | None = None,
        ref_block_num: int | None = None,
        ref_hash: bytes | None = None,
        data: bytes = b"",
        permission_id: int = 0,
        extra_contracts: int = 0,
        signatures: list[bytes] | None = None,
    ) -> Transaction:
        head = self.chain.head
        ref = self.chain.block_by_num(head.number if ref_block_num is None else ref_block_num)
        ref_bytes = (head.number if ref_block_num is None else ref_block_num) & 0xFFFF
        self._nonce += 1
        contracts: tuple[Contract, ...] = ()
        if value is not None:
            contract = codec.new_contract(value, permission_id=permission_id)
            contracts = (contract,) * (1 + extra_contracts)
        raw = RawData(
            ref_block_bytes=ref_bytes.to_bytes(2, "big"),
            ref_block_hash=ref_hash
            if ref_hash is not None
            else (ref.block_id[8:16] if ref is not None else bytes(8)),
            expiration=expiration if expiration is not None else head.timestamp + 60_000,
            data=data,
            contracts=contracts,
            timestamp=head.timestamp + self._nonce,  # distinct txids for identical contracts
        )
        unsigned = codec.make_transaction(raw)
        if signatures is None:
            if keys is None:
                owner = getattr(value, "owner_address", b"")
                keys = [key if key is not None else self.keys[owner]]
            signatures = [crypto.sign(unsigned.txid, k) for k in keys]
        return codec.with_signatures(unsigned, signatures)

    def send(self, value: ContractValue | None, **kwargs: Any) -> BroadcastResult:
        return self.chain.broadcast(self.build(value, **kwargs))

    def ok(self, value: ContractValue, **kwargs: Any) -> Transaction:
        tx = self.build(value, **kwargs)
        result = self.chain.broadcast(tx)
        assert result.ok, result
        return tx

    def fail(self, value: ContractValue | None, code: ResponseCode, **kwargs: Any) -> str:
        result = self.send(value, **kwargs)
        assert result.code == code, result
        return result.message

    def invalid(self, value: ContractValue, **kwargs: Any) -> str:
        """The actuator message of a broadcast refused with CONTRACT_VALIDATE_ERROR."""
        message = self.fail(value, ResponseCode.CONTRACT_VALIDATE_ERROR, **kwargs)
        prefix = "Contract validate error : "
        assert message.startswith(prefix), message
        return message[len(prefix) :]

    def build_error(self, value: ContractValue) -> str:
        """The message of ``validate_for_build`` (the node-side builders' validation)."""
        with pytest.raises(ContractValidateError) as caught:
            self.chain.validate_for_build(value)
        return caught.value.message

    def info(self, tx: Transaction) -> dict[str, Any]:
        return self.chain.transaction_info_json(tx.txid)

    def account(self, address: bytes) -> dict[str, Any]:
        return self.chain.account_json(address)

    def balance(self, address: bytes) -> int:
        return int(self.account(address).get("balance", 0))


def make_chain(
    *,
    solid_lag: int = 19,
    accounts: int = 6,
    actuators: Actuators | None = None,
    **chain_parameters: int,
) -> tuple[Chain, genesis.Genesis]:
    gen = genesis.default_genesis(accounts=accounts, seed="engine", genesis_time_ms=GENESIS_TIME_MS)
    gen.chain_parameters = params.chain_parameters(chain_parameters)
    return Chain(gen, solid_lag=solid_lag, actuators=actuators), gen


@pytest.fixture
def harness() -> Harness:
    chain, gen = make_chain()
    chain.mine(1)
    return Harness(chain, gen)


@pytest.fixture
def make_harness() -> Callable[..., Harness]:
    def factory(**kwargs: Any) -> Harness:
        chain, gen = make_chain(**kwargs)
        chain.mine(1)
        return Harness(chain, gen)

    return factory
