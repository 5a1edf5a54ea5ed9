"""What a broadcast came to, and how java-tron's answers are read (pure; no I/O).

``wallet/broadcasttransaction`` answers ``{"result": true, "txid"}`` or ``{"code", "message",
"txid"}`` with the message hex-encoded when ``visible`` is false (reference §6.13). tronpy
turns a duplicate into an ``UnknownError`` and drops the code of most failures; here every
answer becomes one :data:`BroadcastOutcome`:

=================================  ===========  ==============================================
answer                             outcome      why
=================================  ===========  ==============================================
``result: true``                   Accepted     in the node's pending pool
DUP_TRANSACTION_ERROR              Duplicate    the txid is already known: go and look
SIGERROR, CONTRACT_VALIDATE_ERROR, Rejected     the node refused these bytes; definitive only
CONTRACT_EXE_ERROR, BANDWITH_ERROR,             for a first broadcast with nothing ambiguous
TAPOS_ERROR, TOO_BIG_TRANSACTION_…,             before it (the executor decides)
TRANSACTION_EXPIRATION_ERROR
SERVER_BUSY, NO_CONNECTION,        Transient    refused before processing: send again later
BLOCK_UNSOLIDIFIED                 (clear)
OTHER_ERROR,                       Transient    java-tron answers OTHER_ERROR, and
NOT_ENOUGH_EFFECTIVE_CONNECTION,   (ambiguous)  NOT_ENOUGH_EFFECTIVE_CONNECTION ("P2P broadcast
unknown codes, unreadable                       failed."), also when the transaction was pushed
answers, timeouts, dropped                      and only the relay to peers failed: it may be
connections, 5xx                                in the pool
429, 503, no connection            Transient    not processed; ``retry_after_s`` honoured
                                   (clear)
=================================  ===========  ==============================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final, TypeAlias

from tron_staking.domain.ids import TxId

REJECTING_CODES: Final = frozenset(
    {
        "SIGERROR",
        "CONTRACT_VALIDATE_ERROR",
        "CONTRACT_EXE_ERROR",
        "BANDWITH_ERROR",
        "TAPOS_ERROR",
        "TOO_BIG_TRANSACTION_ERROR",
        "TRANSACTION_EXPIRATION_ERROR",
    }
)
BUSY_CODES: Final = frozenset({"SERVER_BUSY", "NO_CONNECTION", "BLOCK_UNSOLIDIFIED"})
DUPLICATE_CODE: Final = "DUP_TRANSACTION_ERROR"
BUSY_RETRY_AFTER_S: Final = 3.0
"""A busy node is asked again after one block."""


@dataclasses.dataclass(frozen=True)
class Accepted:
    """The node took the transaction into its pending pool (not yet proof of inclusion)."""

    txid: TxId


@dataclasses.dataclass(frozen=True)
class Duplicate:
    """The node already knows this txid: look up its receipt instead of sending again."""

    txid: TxId
    message: str


@dataclasses.dataclass(frozen=True)
class Rejected:
    """The node refused the bytes with java-tron's ``code`` and decoded ``message``."""

    txid: TxId
    code: str
    message: str


@dataclasses.dataclass(frozen=True)
class Transient:
    """No decision: send the same bytes again after ``retry_after_s``. ``ambiguous`` is True
    when the node may have taken the transaction (an answer was lost or said OTHER_ERROR)."""

    txid: TxId
    reason: str
    retry_after_s: float
    ambiguous: bool


BroadcastOutcome: TypeAlias = Accepted | Duplicate | Rejected | Transient


def classify_broadcast(txid: TxId, payload: Mapping[str, object]) -> BroadcastOutcome:
    """The outcome of ``wallet/broadcasttransaction``'s 200 answer ``payload``."""
    if payload.get("result") is True:
        return Accepted(txid)
    if "Error" in payload:
        # The node could not parse the request (java-tron's ``Util.printErrorMsg``).
        return Rejected(txid, "INVALID_REQUEST", str(payload["Error"]))
    code = payload.get("code")
    message = decode_message(payload.get("message"))
    if not isinstance(code, str):
        return Transient(txid, f"unreadable answer {dict(payload)!r}", BUSY_RETRY_AFTER_S, True)
    if code == DUPLICATE_CODE:
        return Duplicate(txid, message)
    if code in REJECTING_CODES:
        return Rejected(txid, code, message)
    if code in BUSY_CODES:
        return Transient(txid, f"{code}: {message}", BUSY_RETRY_AFTER_S, False)
    return Transient(txid, f"{code}: {message}", BUSY_RETRY_AFTER_S, True)


def decode_message(value: object) -> str:
    """A java-tron ``message``: hex of UTF-8 text when ``visible`` was false, else the text
    itself; anything that is not valid hex of UTF-8 is returned as it is."""
    if value is None:
        return ""
    text = str(value)
    if len(text) % 2 == 0 and text:
        try:
            return bytes.fromhex(text).decode("utf-8")
        except ValueError:
            return text
    return text
