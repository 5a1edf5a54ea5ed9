"""JSON rendering of the engine's answers with java-tron's ``visible`` rules.

The chain returns dicts already shaped like java-tron's ``JsonFormat`` output (key order,
omitted defaults, enum names) except that protobuf ``bytes`` fields are Python ``bytes``.
``render`` converts them: address fields (java-tron's ``AddressFieldNameMap``) to base58check
when ``visible`` else lowercase hex, text fields (``NameFieldNameMap``) to UTF-8 text when
``visible`` (hex when not valid text), every other byte string to hex.
Blocks and transactions are rendered by ``codec``; ``block_to_json`` is re-exported here.
"""

from __future__ import annotations

from typing import Any, Final

from tron_devnet import crypto
from tron_devnet.codec import block_to_json, transaction_to_json

__all__ = [
    "ADDRESS_FIELDS",
    "TEXT_FIELDS",
    "block_to_json",
    "render",
    "render_bytes",
    "transaction_to_json",
]

ADDRESS_FIELDS: Final = frozenset(
    {
        "address",
        "vote_address",
        "owner_address",
        "receiver_address",
        "to_address",
        "from",
        "to",
        "account",
        "fromAccounts",
        "toAccounts",
        "fromAddress",
        "toAddress",
        "approved_list",
        "contract_address",
        "witness_address",
        "account_address",
        "owner",  # devnet admin views (GET /devnet/transactions)
    }
)
TEXT_FIELDS: Final = frozenset(
    {"account_name", "message", "resMessage", "ContractName", "account_id", "permission_name"}
)


def render_bytes(data: bytes, key: str | None, *, visible: bool) -> str:
    """One bytes value under JSON key ``key``."""
    if visible and key is not None:
        if key in ADDRESS_FIELDS:
            if crypto.is_valid_address(data):
                return crypto.address_to_base58(data)
            return crypto.b58check_encode(data)
        if key in TEXT_FIELDS:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data.hex()
    return data.hex()


def render(obj: Any, *, visible: bool, key: str | None = None) -> Any:
    """A deep copy of ``obj`` with every ``bytes`` value rendered per the visible rules."""
    if isinstance(obj, bytes):
        return render_bytes(obj, key, visible=visible)
    if isinstance(obj, dict):
        return {k: render(v, visible=visible, key=k) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [render(v, visible=visible, key=key) for v in obj]
    return obj
