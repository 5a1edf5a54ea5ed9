"""The one-shot claim request of an owner (``POST /claim-rewards``), as stored.

The API stores at most one request per owner in ``staking_rewards`` under
:func:`claim_request_id` with ``kind`` :data:`KIND`; the controller's ledger reads it under
the same id to plan a claim and marks it fulfilled once a claim lands. This module is the one
place that spells the id.
"""

from __future__ import annotations

from typing import Final

PREFIX: Final = "claimreq_"
KIND: Final = "claim_request"
"""The ``kind`` of a claim request document (reward claims are ``claim_rewards``)."""


def claim_request_id(owner: str) -> str:
    """The id of ``owner``'s claim request document (``claimreq_<owner>``)."""
    return PREFIX + owner
