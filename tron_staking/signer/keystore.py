"""The keystore: private keys encrypted at rest in a :class:`~tron_staking.signer.ports.
KeyVault`, and the :class:`~tron_staking.signer.ports.Signer` that uses them.

The composition root builds one :class:`Keystore` from the vault (``store.signing_keys``) and
the KEK (:func:`tron_staking.signer.kek.load`) and hands it to the chain adapter as its
Signer; ``tron-staking keys import`` uses it to import keys. A plaintext key exists
only inside :meth:`Keystore.import_key` and :meth:`Keystore.sign` (local variables, never
kept on the object), and no method returns, logs or puts one in an error message.
"""

from __future__ import annotations

import datetime as dt
import re

from tron_staking.domain.addresses import Address
from tron_staking.domain.ids import TxId
from tron_staking.errors import (
    DuplicateKeyError,
    SigningKeyMissingError,
    SigningKeyUnreadableError,
    ValidationError,
)
from tron_staking.signer import sealing, secp256k1
from tron_staking.signer.kek import Kek
from tron_staking.signer.ports import KeyCheck, KeyState, KeyVault

_TXID = re.compile(r"[0-9a-fA-F]{64}")
_SELF_CHECK_DIGEST = bytes(32)


class Keystore:
    """Imports owners' keys and signs with them; implements ``Signer``.

    Listing and removing keys need no KEK and go to the vault directly.
    """

    def __init__(self, vault: KeyVault, kek: Kek) -> None:
        self._vault = vault
        self._kek = kek

    async def import_key(self, private_key_hex: str, *, at: dt.datetime) -> Address:
        """Encrypt and store the key given as 64 hex digits; return the address it controls.

        The address is derived from the key, and the sealed record is opened again and made to
        sign before it is stored, so a stored key always signs for its address. Raises
        ValidationError for malformed input (the message never contains it),
        DuplicateKeyError when the address already has a key (remove it first), and
        StoreUnavailableError when the vault cannot be reached.
        """
        private_key = secp256k1.parse_private_key(private_key_hex)
        address = secp256k1.address_of(private_key)
        raw = sealing.seal(private_key, address, self._kek, at=at)
        reopened = sealing.unseal(raw, self._kek)
        signature = secp256k1.sign_digest(reopened, _SELF_CHECK_DIGEST)
        if secp256k1.recover_address(signature, _SELF_CHECK_DIGEST) != address:
            raise SigningKeyUnreadableError(f"the sealed key of {address} does not sign for it")
        try:
            await self._vault.put(raw)
        except DuplicateKeyError as exc:
            raise DuplicateKeyError(f"{address} already has a signing key") from exc
        return address

    async def has_key(self, owner: Address) -> bool:
        """True when a key for ``owner`` is stored; the key is not decrypted to answer."""
        return await self._vault.get(owner) is not None

    async def check_key(self, owner: Address) -> KeyCheck:
        """Whether ``owner``'s stored key decrypts under the configured KEK and controls
        ``owner`` (the plaintext is dropped at once); the message says why not."""
        raw = await self._vault.get(owner)
        if raw is None:
            return KeyCheck(KeyState.MISSING, f"no signing key is stored for {owner}")
        try:
            private_key = sealing.unseal(raw, self._kek)
        except SigningKeyUnreadableError as exc:
            return KeyCheck(KeyState.UNUSABLE, str(exc))
        if secp256k1.address_of(private_key) != owner:
            return KeyCheck(
                KeyState.UNUSABLE, f"the key stored for {owner} controls another address"
            )
        return KeyCheck(KeyState.USABLE)

    async def sign(self, owner: Address, txid: TxId) -> str:
        """The 130-hex-digit recoverable signature of ``txid`` by ``owner``'s key.

        Raises ValidationError when ``txid`` is not 64 hex digits, SigningKeyMissingError when
        ``owner`` has no key, SigningKeyUnreadableError when the stored key does not decrypt
        under the configured KEK or does not belong to ``owner``.
        """
        if _TXID.fullmatch(txid) is None:
            raise ValidationError("a txid is 64 hex digits", field="txid")
        raw = await self._vault.get(owner)
        if raw is None:
            raise SigningKeyMissingError(f"no signing key is stored for {owner}")
        private_key = sealing.unseal(raw, self._kek)
        if secp256k1.address_of(private_key) != owner:
            raise SigningKeyUnreadableError(f"the key stored for {owner} controls another address")
        return secp256k1.sign_digest(private_key, bytes.fromhex(txid)).hex()
