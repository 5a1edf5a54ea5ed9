"""Transactions as the chain adapter builds, signs and re-sends them (pure; no I/O).

How a transaction is built (:meth:`TronChainClient.build`):

1. The node-side builder of the contract (``wallet/freezebalancev2``, …,
   ``wallet/cancelallunfreezev2`` — tronpy has no builder for that one) is asked with
   :func:`contract_value` (hex addresses, ``visible: false``). The node validates the
   contract against its pending state, so a transaction that cannot succeed is refused
   before anything is recorded, and answers the ``raw_data`` and its ``txID``.
2. :func:`anchor` checks that our own encoding of the node's ``raw_data`` gives the node's
   txid and that the node's contract is byte for byte the one asked for (a node never chooses
   what we sign), then replaces the expiration with ``head time + window`` — chain time, never
   the local clock, so a transaction stays valid when the chain clock runs ahead of ours — and
   the TaPoS reference (``ref_block_bytes``/``ref_block_hash``) with the given reference block
   (the head by default), and computes the final txid itself. The node's ``timestamp`` is kept:
   the node never validates it and it keeps two builds of equal contracts apart.

A referenced head block that a reorg replaces makes a re-send fail with ``TAPOS_ERROR``; that
is harmless (the operation then waits for the proof of expiry) and short-lived, since the
expiration window is short. A caller that prefers immunity to reorgs passes the solid block as
``reference``.

``UnsignedTransaction`` is what the executor records before signing; ``SignedTransaction`` is
what it broadcasts and re-sends byte for byte. Both rebuild from storage with
:meth:`UnsignedTransaction.restore`, which re-checks the txid.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from typing import Final, TypeAlias

from tronpy import exceptions as tronpy_errors
from tronpy import keys

from tron_staking.chain import txcodec
from tron_staking.domain import addresses
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType
from tron_staking.domain.ids import TxId
from tron_staking.domain.operation import JsonValue
from tron_staking.errors import ChainRejectedError, SigningKeyError, ValidationError

Json: TypeAlias = JsonValue
"""A JSON value as the node prints it (the domain's ``JsonValue``: no floats)."""

MIN_EXPIRATION_WINDOW_MS: Final = 3_000
"""java-tron refuses an expiration before the next slot (head + 3 s)."""
MAX_EXPIRATION_WINDOW_MS: Final = 86_400_000
"""java-tron refuses an expiration more than 24 h after the head."""


class TxKind(enum.StrEnum):
    """Every transaction the adapter builds. The values of the staking kinds are those of
    :class:`~tron_staking.domain.enums.StakingOperationType`; ``cancel_all_unfreeze`` and
    ``transfer`` (tests and funding) exist only here."""

    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    VOTE = "vote"
    DELEGATE = "delegate"
    UNDELEGATE = "undelegate"
    WITHDRAW_EXPIRE_UNFREEZE = "withdraw_expire_unfreeze"
    CLAIM_REWARDS = "claim_rewards"
    CANCEL_ALL_UNFREEZE = "cancel_all_unfreeze"
    TRANSFER = "transfer"

    @classmethod
    def of(cls, kind: StakingOperationType | TxKind) -> TxKind:
        return cls(kind.value)

    @property
    def contract_type(self) -> str:
        return _BUILDERS[self][1]

    @property
    def builder_path(self) -> str:
        return _BUILDERS[self][0]


_BUILDERS: Final[dict[TxKind, tuple[str, str]]] = {
    TxKind.FREEZE: ("wallet/freezebalancev2", "FreezeBalanceV2Contract"),
    TxKind.UNFREEZE: ("wallet/unfreezebalancev2", "UnfreezeBalanceV2Contract"),
    TxKind.VOTE: ("wallet/votewitnessaccount", "VoteWitnessContract"),
    TxKind.DELEGATE: ("wallet/delegateresource", "DelegateResourceContract"),
    TxKind.UNDELEGATE: ("wallet/undelegateresource", "UnDelegateResourceContract"),
    TxKind.WITHDRAW_EXPIRE_UNFREEZE: (
        "wallet/withdrawexpireunfreeze",
        "WithdrawExpireUnfreezeContract",
    ),
    TxKind.CLAIM_REWARDS: ("wallet/withdrawbalance", "WithdrawBalanceContract"),
    TxKind.CANCEL_ALL_UNFREEZE: ("wallet/cancelallunfreezev2", "CancelAllUnfreezeV2Contract"),
    TxKind.TRANSFER: ("wallet/createtransaction", "TransferContract"),
}


@dataclasses.dataclass(frozen=True)
class BlockRef:
    """A block as the adapter needs it: number, 64-hex id and timestamp (chain ms)."""

    number: int
    block_id: str
    timestamp_ms: int

    @property
    def ref_block_bytes(self) -> str:
        """TaPoS: bytes 6..7 of the id (the low 16 bits of the number), hex."""
        return self.block_id[12:16]

    @property
    def ref_block_hash(self) -> str:
        """TaPoS: bytes 8..15 of the id, hex."""
        return self.block_id[16:32]


@dataclasses.dataclass(frozen=True)
class UnsignedTransaction:
    """A built transaction: ``raw_data`` as the node's ``visible: false`` JSON, its protobuf
    bytes in hex and the txid (sha256 of those bytes), all computed by us."""

    owner: Address
    kind: TxKind
    txid: TxId
    raw_data: Mapping[str, Json]
    raw_data_hex: str
    expiration_ms: int

    @classmethod
    def restore(
        cls, *, owner: Address, kind: TxKind, txid: str, raw_data: Mapping[str, Json]
    ) -> UnsignedTransaction:
        """Rebuild a recorded transaction; ValueError unless ``raw_data`` still encodes to
        ``txid`` (a corrupted record is never signed or re-sent)."""
        raw = txcodec.encode_raw(raw_data)
        if txcodec.txid_of_bytes(raw) != txid:
            raise ValueError(f"recorded raw_data does not encode to txid {txid}")
        expiration = raw_data.get("expiration")
        if not isinstance(expiration, int):
            raise ValueError("recorded raw_data has no expiration")
        return cls(owner, kind, TxId(txid), dict(raw_data), raw.hex(), expiration)


@dataclasses.dataclass(frozen=True)
class SignedTransaction:
    """An ``UnsignedTransaction`` plus its signatures (65-byte hex each)."""

    unsigned: UnsignedTransaction
    signatures: tuple[str, ...]

    @property
    def txid(self) -> TxId:
        return self.unsigned.txid

    def to_json(self) -> dict[str, Json]:
        """The ``wallet/broadcasttransaction`` body (hex addresses, no ``visible``)."""
        return {
            "txID": self.unsigned.txid,
            "raw_data": dict(self.unsigned.raw_data),
            "raw_data_hex": self.unsigned.raw_data_hex,
            "signature": list(self.signatures),
        }


# -- building -----------------------------------------------------------------------------------


def contract_value(owner: Address, kind: TxKind, params: Mapping[str, Json]) -> dict[str, Json]:
    """The contract's ``parameter.value`` (hex addresses) for ``params``."""
    _, fields = txcodec.CONTRACTS[kind.contract_type]
    kinds = {key: field_kind for key, _, field_kind in fields}
    unknown = set(params) - set(kinds)
    if unknown:
        raise ValidationError(
            f"{kind} takes no parameter(s) {', '.join(sorted(unknown))}", field="params"
        )
    named_owner = params.get("owner_address", owner)
    if _parse(named_owner, "owner_address") != owner:
        raise ValidationError(f"params name owner {named_owner}, not {owner}", field="params")
    value: dict[str, Json] = {"owner_address": _hex_address(owner)}
    for key, raw in params.items():
        if key == "owner_address":
            continue
        if kinds[key] == "address":
            value[key] = _hex_address(_parse(raw, key))
        elif kinds[key] == "votes":
            value[key] = _votes(raw)
        else:
            value[key] = raw
    expected = _contract(kind, value)
    try:
        _contract_bytes(expected)
    except ValueError as exc:
        raise ValidationError(f"{kind}: {exc}", field="params") from exc
    return value


def _contract(kind: TxKind, value: Mapping[str, Json]) -> dict[str, Json]:
    return {
        "type": kind.contract_type,
        "parameter": {"type_url": txcodec.type_url(kind.contract_type), "value": value},
    }


def anchor(
    *,
    owner: Address,
    kind: TxKind,
    node_answer: Mapping[str, Json],
    requested: Mapping[str, Json],
    head: BlockRef,
    reference: BlockRef,
    window_ms: int,
) -> UnsignedTransaction:
    """Our transaction from the node builder's ``node_answer`` (see the module docstring).

    Raises ChainRejectedError (``CONTRACT_VALIDATE_ERROR``) when the node refused to build,
    and ValueError when the node's txid or contract disagree with our encoding — a node or
    codec fault that must stop the build, never be signed over.
    """
    if "Error" in node_answer:
        raise ChainRejectedError("CONTRACT_VALIDATE_ERROR", _error_text(node_answer["Error"]))
    raw_data = node_answer.get("raw_data")
    node_txid = node_answer.get("txID")
    if not isinstance(raw_data, Mapping) or not isinstance(node_txid, str):
        raise ValueError(f"the {kind} builder answered no raw_data/txID")
    node_raw = txcodec.encode_raw(raw_data)
    if txcodec.txid_of_bytes(node_raw) != node_txid.lower():
        raise ValueError(f"our encoding of the node's {kind} gives another txid than {node_txid}")
    node_hex = node_answer.get("raw_data_hex")
    if isinstance(node_hex, str) and node_hex.lower() != node_raw.hex():
        raise ValueError(f"our encoding of the node's {kind} differs from its raw_data_hex")
    contracts = raw_data.get("contract")
    expected = _contract(kind, requested)
    if not isinstance(contracts, list) or len(contracts) != 1:
        raise ValueError(f"the {kind} builder answered {contracts!r} as contracts")
    if _contract_bytes(contracts[0]) != _contract_bytes(expected):
        raise ValueError(f"the node built another {kind} contract than the one asked for")
    if not MIN_EXPIRATION_WINDOW_MS <= window_ms <= MAX_EXPIRATION_WINDOW_MS:
        raise ValueError(f"expiration window {window_ms} ms is outside TRON's limits")
    expiration_ms = head.timestamp_ms + window_ms
    ours: dict[str, Json] = {
        **raw_data,
        "ref_block_bytes": reference.ref_block_bytes,
        "ref_block_hash": reference.ref_block_hash,
        "expiration": expiration_ms,
    }
    encoded = txcodec.encode_raw(ours)
    return UnsignedTransaction(
        owner=owner,
        kind=kind,
        txid=TxId(txcodec.txid_of_bytes(encoded)),
        raw_data=ours,
        raw_data_hex=encoded.hex(),
        expiration_ms=expiration_ms,
    )


def attach_signature(unsigned: UnsignedTransaction, signature_hex: str) -> SignedTransaction:
    """``unsigned`` with ``signature_hex`` (65 bytes ``r||s||v``) after checking that it
    recovers to the owner over the txid.

    Raises SigningKeyError when the signature is malformed or made by another key: sending it
    would only earn a SIGERROR.
    """
    try:
        signature = keys.Signature.fromhex(signature_hex)
        signer = signature.recover_public_key_from_msg_hash(bytes.fromhex(unsigned.txid))
    except (ValueError, tronpy_errors.BadSignature) as exc:
        raise SigningKeyError(f"unusable signature for {unsigned.txid}: {exc}") from exc
    if signer.to_base58check_address() != unsigned.owner:
        raise SigningKeyError(f"the signature of {unsigned.txid} is not by {unsigned.owner}")
    return SignedTransaction(unsigned, (signature.hex(),))


# -- helpers ------------------------------------------------------------------------------------


def _contract_bytes(contract: Json) -> bytes:
    return txcodec.encode_raw({"contract": [contract]})


def _parse(value: object, field: str) -> Address:
    return addresses.parse_address(value, field=field)


def _hex_address(address: Address) -> str:
    return addresses.b58check_decode(address).hex()


def _votes(raw: object) -> list[Json]:
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise ValidationError("votes must be a list", field="votes")
    votes: list[Json] = []
    for entry in raw:
        if not isinstance(entry, Mapping) or set(entry) != {"vote_address", "vote_count"}:
            raise ValidationError(
                "each vote is {vote_address, vote_count}", field="votes.vote_address"
            )
        votes.append(
            {
                "vote_address": _hex_address(_parse(entry["vote_address"], "vote_address")),
                "vote_count": entry["vote_count"],
            }
        )
    return votes


def _error_text(value: object) -> str:
    """java-tron's ``class …Exception : message`` reduced to the message."""
    text = str(value)
    _, sep, message = text.partition(" : ")
    return message if sep else text
