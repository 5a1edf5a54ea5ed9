"""The signer's ports: :class:`Signer`, through which the chain adapter and the executor sign,
and :class:`KeyVault`, where the keystore keeps the keys it encrypted.

:class:`~tron_staking.signer.keystore.Keystore` implements :class:`Signer` over a
:class:`KeyVault` (in production the ``signing_keys`` collection); tests may substitute any
object with the same methods.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Protocol, TypedDict

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

    async def check_key(self, owner: Address) -> KeyCheck:
        """Whether ``owner``'s key is stored and usable: it is decrypted (and dropped) to
        answer, so a key sealed under another KEK or altered is reported before anything is
        built. The answer never contains key material."""
        ...


class KeyState(enum.StrEnum):
    USABLE = "usable"
    MISSING = "missing"
    UNUSABLE = "unusable"


@dataclasses.dataclass(frozen=True)
class KeyCheck:
    """What :meth:`Signer.check_key` found; ``message`` says why a key cannot sign (it names
    the address and KEK fingerprints only)."""

    state: KeyState
    message: str = ""

    @property
    def usable(self) -> bool:
        return self.state is KeyState.USABLE


class RawSigningKey(TypedDict):
    """One encrypted private key exactly as the vault stores it (collection ``signing_keys``).

    ``ciphertext`` is AES-256-GCM output (key and tag) under the KEK identified by
    ``kek_id``, with ``nonce`` (12 bytes) and the UTF-8 ``address`` as associated data.
    """

    address: str
    algorithm: str
    kek_id: str
    nonce: bytes
    ciphertext: bytes
    created_at: dt.datetime


class KeyVault(Protocol):
    """Where the keystore keeps encrypted keys; it never sees a plaintext key.

    :class:`~tron_staking.store.signing_keys.MongoSigningKeyStore` implements it.
    """

    async def put(self, raw: RawSigningKey) -> None:
        """Store ``raw``; DuplicateKeyError when its address already has a key."""
        ...

    async def get(self, address: str) -> RawSigningKey | None: ...

    async def delete(self, address: str) -> bool:
        """Remove the key of ``address``; False when there was none."""
        ...

    async def addresses(self) -> list[str]:
        """Every address that has a key, sorted."""
        ...
