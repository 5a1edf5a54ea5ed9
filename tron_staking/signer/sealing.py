"""Encryption of private keys at rest: AES-256-GCM under the KEK, the address as associated
data, a fresh random 96-bit nonce per encryption.

Binding the address as associated data means a sealed key copied onto another address's
record no longer opens. Used by :mod:`~tron_staking.signer.keystore` only.
"""

from __future__ import annotations

import datetime as dt
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tron_staking.errors import SigningKeyUnreadableError
from tron_staking.signer.kek import Kek
from tron_staking.signer.ports import RawSigningKey

ALGORITHM = "AES-256-GCM"
NONCE_BYTES = 12


def seal(private_key: bytes, address: str, kek: Kek, *, at: dt.datetime) -> RawSigningKey:
    """The stored form of ``private_key`` for ``address``, encrypted under ``kek``."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(kek.key).encrypt(nonce, private_key, address.encode())
    return {
        "address": address,
        "algorithm": ALGORITHM,
        "kek_id": kek.kek_id,
        "nonce": nonce,
        "ciphertext": ciphertext,
        "created_at": at,
    }


def unseal(raw: RawSigningKey, kek: Kek) -> bytes:
    """The private key inside ``raw``.

    Raises SigningKeyUnreadableError when ``raw`` was sealed under another KEK (the message
    names both fingerprints), uses an unknown algorithm, or fails authentication (tampered
    ciphertext, nonce or address).
    """
    address = raw["address"]
    if raw["algorithm"] != ALGORITHM:
        raise SigningKeyUnreadableError(
            f"the key of {address} uses algorithm {raw['algorithm']!r}, not {ALGORITHM}"
        )
    if raw["kek_id"] != kek.kek_id:
        raise SigningKeyUnreadableError(
            f"the key of {address} was encrypted under KEK {raw['kek_id']}, but the "
            f"configured KEK is {kek.kek_id}: set the KEK it was imported with"
        )
    try:
        return AESGCM(kek.key).decrypt(
            bytes(raw["nonce"]), bytes(raw["ciphertext"]), address.encode()
        )
    except (InvalidTag, ValueError):
        raise SigningKeyUnreadableError(
            f"the stored key of {address} fails authentication: it was altered or belongs "
            "to another address"
        ) from None
