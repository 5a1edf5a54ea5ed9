"""Block headers: their protobuf, block ids, the transaction Merkle root and signed blocks.

``BlockHeader.raw`` fields written: timestamp=1, txTrieRoot=2, parentHash=3, number=7,
witness_address=9, version=10. A block id is the 8-byte big-endian number followed by bytes
8..32 of the sha256 of that raw header, as java-tron's ``BlockCapsule.getBlockId``. Called by
the chain when it produces (or replaces) a block.
"""

from __future__ import annotations

from typing import Final

from tron_devnet import crypto, params, protowire
from tron_devnet.types import Block, Transaction

ZERO_HASH: Final = bytes(32)


def header_raw_bytes(
    number: int, parent_id: bytes, timestamp: int, witness: bytes, tx_root: bytes
) -> bytes:
    """The protobuf of ``BlockHeader.raw`` (the bytes hashed into the block id)."""
    out = bytearray()
    protowire.put_varint(out, 1, timestamp)
    protowire.put_bytes(out, 2, tx_root)
    protowire.put_bytes(out, 3, parent_id)
    protowire.put_varint(out, 7, number)
    protowire.put_bytes(out, 9, witness)
    protowire.put_varint(out, 10, params.BLOCK_VERSION)
    return bytes(out)


def block_id_of(number: int, header_raw: bytes) -> bytes:
    return number.to_bytes(8, "big") + crypto.sha256(header_raw)[8:]


def tx_trie_root(txids: list[bytes]) -> bytes:
    """A Merkle root over the transaction ids (zero hash for an empty block)."""
    if not txids:
        return ZERO_HASH
    level = txids
    while len(level) > 1:
        paired = [crypto.sha256(level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def make_block(
    number: int,
    parent_id: bytes,
    timestamp: int,
    witness: bytes,
    txs: tuple[Transaction, ...],
    witness_key: bytes | None = None,
) -> Block:
    """A block over ``txs``, signed by ``witness_key`` when the witness's key is known."""
    root = tx_trie_root([tx.txid for tx in txs])
    raw = header_raw_bytes(number, parent_id, timestamp, witness, root)
    signature = crypto.sign(crypto.sha256(raw), witness_key) if witness_key else b""
    block_id = block_id_of(number, raw)
    return Block(number, block_id, parent_id, timestamp, witness, txs, root, signature)
