"""The signer's port: the one Protocol through which the chain adapter and the executor sign.

:class:`~tron_staking.signer.keystore.KeystoreSigner` implements it over the encrypted
``signing_keys`` collection; tests may substitute any object with these two methods.
"""

from __future__ import annotations

from typing import Protocol

from tron_staking.domain.addresses import Address
from tron_staking.domain.ids import TxId


class Signer(Protocol):
    """Signs transaction ids with the private key of an owner address."""

    async def sign(self, owner: Address, txid: TxId) -> str:
        """The signature of ``txid`` (64 hex digits) by ``owner``'s key, as 130 hex digits.

        The 65 bytes are a recoverable secp256k1 signature ``r || s || v`` over the 32-byte
        txid itself (no further hashing), ``v`` the recovery id 0 or 1 — the form java-tron
        checks and tronpy produces. Raises :class:`~tron_staking.errors.SigningKeyMissingError`
        when ``owner`` has no key (a condition for the position, not a crash) and
        :class:`~tron_staking.errors.SigningKeyUnreadableError` when the stored key cannot be
        decrypted (wrong KEK, tampering).
        """
        ...

    async def has_key(self, owner: Address) -> bool:
        """True when a key for ``owner`` is stored (it is not decrypted to answer)."""
        ...
