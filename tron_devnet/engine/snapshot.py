"""JSON-safe images of the chain's parts for ``--state-file`` (``Chain.to_snapshot``).

Every ``*_to_snapshot`` has a ``*_from_snapshot`` that rebuilds an equal value; bytes are hex
strings. The state tables have their own encoding in ``state``. Used by ``engine.chain``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

from tron_devnet.actuators import Receipt
from tron_devnet.engine.ledger import TxRecord
from tron_devnet.genesis import Genesis, GenesisAccount, GenesisWitness
from tron_devnet.types import (
    CONTRACT_TYPES,
    Block,
    Contract,
    ContractValue,
    RawData,
    Transaction,
    Vote,
)


def _encode_value(value: ContractValue) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        if isinstance(item, bytes):
            item = item.hex()
        elif spec.name == "votes":
            item = [[v.vote_address.hex(), v.vote_count] for v in item]
        out[spec.name] = item
    return out


def _decode_value(contract_type: int, raw: dict[str, Any]) -> ContractValue:
    cls = CONTRACT_TYPES[contract_type][1]
    values: dict[str, Any] = {}
    for spec in fields(cls):
        item = raw[spec.name]
        if spec.name == "votes":
            item = tuple(Vote(bytes.fromhex(a), int(c)) for a, c in item)
        elif spec.name.endswith("address"):
            item = bytes.fromhex(item)
        values[spec.name] = item
    result: ContractValue = cls(**values)
    return result


def transaction_to_snapshot(tx: Transaction) -> dict[str, Any]:
    """A transaction as JSON-safe data (``transaction_from_snapshot`` reverses it)."""
    raw = tx.raw
    return {
        "raw_bytes": tx.raw_bytes.hex(),
        "txid": tx.txid.hex(),
        "signatures": [sig.hex() for sig in tx.signatures],
        "signed_size": tx.signed_size,
        "raw": {
            "ref_block_bytes": raw.ref_block_bytes.hex(),
            "ref_block_num": raw.ref_block_num,
            "ref_block_hash": raw.ref_block_hash.hex(),
            "expiration": raw.expiration,
            "data": raw.data.hex(),
            "timestamp": raw.timestamp,
            "fee_limit": raw.fee_limit,
            "contracts": [
                {
                    "type": c.type,
                    "type_url": c.type_url,
                    "permission_id": c.permission_id,
                    "provider": c.provider.hex(),
                    "contract_name": c.contract_name.hex(),
                    "value": None if c.value is None else _encode_value(c.value),
                }
                for c in raw.contracts
            ],
        },
    }


def transaction_from_snapshot(data: dict[str, Any]) -> Transaction:
    raw = data["raw"]
    contracts = tuple(
        Contract(
            type=c["type"],
            value=None if c["value"] is None else _decode_value(c["type"], c["value"]),
            type_url=c["type_url"],
            permission_id=c["permission_id"],
            provider=bytes.fromhex(c["provider"]),
            contract_name=bytes.fromhex(c["contract_name"]),
        )
        for c in raw["contracts"]
    )
    return Transaction(
        raw=RawData(
            ref_block_bytes=bytes.fromhex(raw["ref_block_bytes"]),
            ref_block_num=raw["ref_block_num"],
            ref_block_hash=bytes.fromhex(raw["ref_block_hash"]),
            expiration=raw["expiration"],
            data=bytes.fromhex(raw["data"]),
            contracts=contracts,
            timestamp=raw["timestamp"],
            fee_limit=raw["fee_limit"],
        ),
        raw_bytes=bytes.fromhex(data["raw_bytes"]),
        txid=bytes.fromhex(data["txid"]),
        signatures=tuple(bytes.fromhex(sig) for sig in data["signatures"]),
        signed_size=data["signed_size"],
    )


def block_to_snapshot(block: Block) -> dict[str, Any]:
    return {
        "number": block.number,
        "block_id": block.block_id.hex(),
        "parent_id": block.parent_id.hex(),
        "timestamp": block.timestamp,
        "witness": block.witness_address.hex(),
        "tx_trie_root": block.tx_trie_root.hex(),
        "witness_signature": block.witness_signature.hex(),
        "transactions": [transaction_to_snapshot(tx) for tx in block.transactions],
    }


def block_from_snapshot(raw: dict[str, Any]) -> Block:
    return Block(
        number=raw["number"],
        block_id=bytes.fromhex(raw["block_id"]),
        parent_id=bytes.fromhex(raw["parent_id"]),
        timestamp=raw["timestamp"],
        witness_address=bytes.fromhex(raw["witness"]),
        transactions=tuple(transaction_from_snapshot(tx) for tx in raw["transactions"]),
        tx_trie_root=bytes.fromhex(raw["tx_trie_root"]),
        witness_signature=bytes.fromhex(raw["witness_signature"]),
    )


def receipt_to_snapshot(receipt: Receipt) -> dict[str, Any]:
    out = {spec.name: getattr(receipt, spec.name) for spec in fields(receipt)}
    if receipt.cancel_unfreeze is not None:
        out["cancel_unfreeze"] = list(receipt.cancel_unfreeze)
    return out


def receipt_from_snapshot(raw: dict[str, Any]) -> Receipt:
    values = dict(raw)
    if values.get("cancel_unfreeze") is not None:
        values["cancel_unfreeze"] = tuple(values["cancel_unfreeze"])
    return Receipt(**values)


def genesis_to_snapshot(genesis: Genesis) -> dict[str, Any]:
    def key(value: bytes | None) -> str | None:
        return None if value is None else value.hex()

    return {
        "accounts": [
            [a.address.hex(), a.balance_sun, key(a.private_key)] for a in genesis.accounts
        ],
        "witnesses": [
            [w.address.hex(), w.url, w.vote_count, w.brokerage, key(w.private_key)]
            for w in genesis.witnesses
        ],
        "chain_parameters": dict(genesis.chain_parameters),
        "genesis_time_ms": genesis.genesis_time_ms,
    }


def genesis_from_snapshot(raw: dict[str, Any]) -> Genesis:
    def key(value: str | None) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    return Genesis(
        accounts=[GenesisAccount(bytes.fromhex(a), int(b), key(k)) for a, b, k in raw["accounts"]],
        witnesses=[
            GenesisWitness(bytes.fromhex(a), u, int(v), int(br), key(k))
            for a, u, v, br, k in raw["witnesses"]
        ],
        chain_parameters=dict(raw["chain_parameters"]),
        genesis_time_ms=int(raw["genesis_time_ms"]),
    )


def records_to_snapshot(records: Iterable[TxRecord]) -> list[dict[str, Any]]:
    """Accepted transactions: receipts and blocks; pending ones with their whole body."""
    out = []
    for record in records:
        pending = record.block_num is None
        out.append(
            {
                "txid": record.tx.txid.hex(),
                "receipt": receipt_to_snapshot(record.receipt),
                "block": record.block_num,
                "block_time_ms": record.block_time_ms,
                "tx": transaction_to_snapshot(record.tx) if pending else None,
            }
        )
    return out


def records_from_snapshot(
    rows: list[dict[str, Any]], packed: Mapping[bytes, Transaction]
) -> list[TxRecord]:
    """The records of ``records_to_snapshot``; packed bodies come from the blocks."""
    records = []
    for raw in rows:
        block_num = raw["block"]
        if block_num is None:
            tx = transaction_from_snapshot(raw["tx"])
        else:
            tx = packed[bytes.fromhex(raw["txid"])]
        receipt = receipt_from_snapshot(raw["receipt"])
        records.append(TxRecord(tx, receipt, block_num, raw["block_time_ms"]))
    return records


def credits_to_snapshot(
    by_block: dict[int, list[tuple[bytes, int]]], pending: list[tuple[bytes, int]]
) -> list[list[Any]]:
    rows = [[n, a.hex(), amount] for n, credits in by_block.items() for a, amount in credits]
    return rows + [[None, a.hex(), amount] for a, amount in pending]


def credits_from_snapshot(
    rows: list[list[Any]],
) -> tuple[dict[int, list[tuple[bytes, int]]], list[tuple[bytes, int]]]:
    by_block: dict[int, list[tuple[bytes, int]]] = {}
    pending: list[tuple[bytes, int]] = []
    for number, address, amount in rows:
        credit = (bytes.fromhex(address), int(amount))
        if number is None:
            pending.append(credit)
        else:
            by_block.setdefault(int(number), []).append(credit)
    return by_block, pending
