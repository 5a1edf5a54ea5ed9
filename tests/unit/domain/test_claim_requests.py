"""The claim request's stored id (the API writes it and the controller's ledger reads it)."""

from __future__ import annotations

from tron_staking.domain import claim_requests

OWNER = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"


def test_the_id_is_the_prefix_and_the_owner() -> None:
    assert claim_requests.claim_request_id(OWNER) == "claimreq_" + OWNER
