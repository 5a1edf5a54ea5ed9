"""Identifiers: prefixed random ids for positions and operations, and transaction ids.

``new_position_id`` / ``new_operation_id`` draw 128+ bits from :mod:`secrets`, so ids are
unguessable and can be created by any replica without coordination. ``parse_…`` validate ids
that come from outside (URL paths, storage) and raise
:class:`~tron_staking.errors.ValidationError`.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import NewType

from tron_staking.errors import ValidationError

PositionId = NewType("PositionId", str)
OperationId = NewType("OperationId", str)
TxId = NewType("TxId", str)
"""A transaction id: 64 lowercase hex characters (sha256 of the raw transaction)."""

POSITION_PREFIX = "pos_"
OPERATION_PREFIX = "op_"
_ALPHABET = string.digits + string.ascii_letters
_RANDOM_CHARS = 22  # 22 base-62 characters carry 130 bits
_ID_BODY = re.compile(r"[0-9A-Za-z]{22}")
_TXID = re.compile(r"[0-9a-f]{64}")


def _random_body() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))


def new_position_id() -> PositionId:
    return PositionId(POSITION_PREFIX + _random_body())


def new_operation_id() -> OperationId:
    return OperationId(OPERATION_PREFIX + _random_body())


def _parse_prefixed(text: object, prefix: str, field: str) -> str:
    if (
        not isinstance(text, str)
        or not text.startswith(prefix)
        or not _ID_BODY.fullmatch(text[len(prefix) :])
    ):
        raise ValidationError(
            f"not a valid id: expected {prefix}<22 letters or digits>", field=field
        )
    return text


def parse_position_id(text: object, *, field: str = "id") -> PositionId:
    """The position id ``text``; ValidationError if it is not one."""
    return PositionId(_parse_prefixed(text, POSITION_PREFIX, field))


def parse_operation_id(text: object, *, field: str = "id") -> OperationId:
    """The operation id ``text``; ValidationError if it is not one."""
    return OperationId(_parse_prefixed(text, OPERATION_PREFIX, field))


def parse_txid(text: object, *, field: str = "txid") -> TxId:
    """The txid ``text`` in lowercase; ValidationError unless it is 64 hex characters."""
    if not isinstance(text, str) or not _TXID.fullmatch(text.lower()):
        raise ValidationError("not a transaction id: expected 64 hex characters", field=field)
    return TxId(text.lower())
