"""Every java-tron broadcast answer becomes the outcome the executor acts on."""

from __future__ import annotations

import pytest

from tron_staking.chain import outcomes
from tron_staking.domain.ids import TxId

TXID = TxId("0e74c7d5e48e09f2e05c856e6b2973b39e37547976c03de5ce9d46368fc417ef")
# TW-538 verbatim: "Contract validate error : assetBalance must greater than 0."
TW538_MESSAGE = (
    "436f6e74726163742076616c6964617465206572726f72203a20617373657442616c616e6365206d7573742067"
    "726561746572207468616e20302e"
)


def test_success() -> None:
    assert outcomes.classify_broadcast(TXID, {"result": True, "txid": TXID}) == outcomes.Accepted(
        TXID
    )


def test_hex_message_is_decoded() -> None:
    answer = {"code": "CONTRACT_VALIDATE_ERROR", "txid": TXID, "message": TW538_MESSAGE}
    assert outcomes.classify_broadcast(TXID, answer) == outcomes.Rejected(
        TXID,
        "CONTRACT_VALIDATE_ERROR",
        "Contract validate error : assetBalance must greater than 0.",
    )


def test_plain_message_is_kept() -> None:
    text = "Validate signature error: java.lang.IllegalArgumentException: Invalid point compression"
    answer = {"code": "SIGERROR", "message": text, "txid": TXID}
    assert outcomes.classify_broadcast(TXID, answer) == outcomes.Rejected(TXID, "SIGERROR", text)


def test_duplicate_means_go_and_look() -> None:
    answer = {"code": "DUP_TRANSACTION_ERROR", "message": b"Dup transaction.".hex()}
    assert outcomes.classify_broadcast(TXID, answer) == outcomes.Duplicate(TXID, "Dup transaction.")


@pytest.mark.parametrize(
    "code",
    [
        "SIGERROR",
        "CONTRACT_VALIDATE_ERROR",
        "CONTRACT_EXE_ERROR",
        "BANDWITH_ERROR",
        "TAPOS_ERROR",
        "TOO_BIG_TRANSACTION_ERROR",
        "TRANSACTION_EXPIRATION_ERROR",
    ],
)
def test_refusals_are_rejections(code: str) -> None:
    outcome = outcomes.classify_broadcast(TXID, {"code": code, "message": "x"})
    assert isinstance(outcome, outcomes.Rejected)
    assert outcome.code == code


@pytest.mark.parametrize(
    "code",
    ["SERVER_BUSY", "NO_CONNECTION", "BLOCK_UNSOLIDIFIED"],
)
def test_busy_node_is_transient_and_clear(code: str) -> None:
    outcome = outcomes.classify_broadcast(TXID, {"code": code, "message": "Server busy."})
    assert isinstance(outcome, outcomes.Transient)
    assert not outcome.ambiguous
    assert outcome.retry_after_s > 0


@pytest.mark.parametrize(
    "answer",
    [
        {"code": "OTHER_ERROR", "message": "Error: relay failed"},
        # java-tron pushes the transaction into its pool, then reports that no peer took it.
        {"code": "NOT_ENOUGH_EFFECTIVE_CONNECTION", "message": "P2P broadcast failed."},
        {"code": "SOMETHING_NEW", "message": "?"},
        {"txid": TXID},
        {"result": False},
    ],
)
def test_unclear_answers_are_ambiguous(answer: dict[str, object]) -> None:
    outcome = outcomes.classify_broadcast(TXID, answer)
    assert isinstance(outcome, outcomes.Transient)
    assert outcome.ambiguous


def test_unparseable_request_is_rejected() -> None:
    outcome = outcomes.classify_broadcast(TXID, {"Error": "class org.tron.json.JSONException"})
    assert isinstance(outcome, outcomes.Rejected)
    assert outcome.code == "INVALID_REQUEST"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (None, ""),
        ("", ""),
        ("5472616e73616374696f6e2065787069726564", "Transaction expired"),
        ("Transaction expired", "Transaction expired"),
        ("abc", "abc"),
        ("ff", "ff"),
    ],
)
def test_decode_message(raw: object, text: str) -> None:
    assert outcomes.decode_message(raw) == text
