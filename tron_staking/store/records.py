"""The shapes the store owns: ``Raw…`` TypedDicts exactly as stored, and frozen records.

Leases and idempotency keys are defined here because only the store gives them meaning; the
stored shape of a signing key belongs to the signer (``signer.ports.RawSigningKey``), and
positions and operations are plain mappings at this layer (their shapes belong to the domain).
``from_storage`` / ``for_storage`` convert between the two forms. Every datetime is an aware
UTC datetime (the client is built with ``tz_aware=True``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, TypedDict

Document = dict[str, Any]
"""A stored document with MongoDB's ``_id`` removed."""


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of a listing; pass ``next_cursor`` back to get the next one (None = last)."""

    items: tuple[Document, ...]
    next_cursor: str | None


class RawLease(TypedDict):
    owner: str
    holder: str | None
    token: int
    acquired_at: dt.datetime
    renewed_at: dt.datetime
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Lease:
    """The right of ``holder`` to reconcile ``owner`` until ``expires_at``.

    ``token`` is the fencing token: it grows with every new acquisition of the owner. Writes
    given the lease are refused once a newer token exists or the lease expired
    (:mod:`~tron_staking.store.fencing`), and store the token in ``fencing_token``.
    """

    owner: str
    holder: str
    token: int
    expires_at: dt.datetime

    @classmethod
    def from_storage(cls, raw: RawLease) -> Lease:
        if raw["holder"] is None:
            raise ValueError(f"lease of {raw['owner']} is not held")
        return cls(
            owner=raw["owner"],
            holder=raw["holder"],
            token=raw["token"],
            expires_at=raw["expires_at"],
        )


class RawStoredResponse(TypedDict):
    status_code: int
    headers: dict[str, str]
    body: str


class RawIdempotencyKey(TypedDict):
    key: str
    subject: str
    request_hash: str
    response: RawStoredResponse
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class StoredResponse:
    """The first response sent for an idempotency key; replays send exactly this."""

    status_code: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_storage(cls, raw: RawStoredResponse) -> StoredResponse:
        return cls(
            status_code=raw["status_code"],
            body=raw["body"],
            headers=tuple(sorted(raw["headers"].items())),
        )

    def for_storage(self) -> RawStoredResponse:
        return {"status_code": self.status_code, "headers": dict(self.headers), "body": self.body}
