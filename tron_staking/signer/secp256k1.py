"""TRON keys on secp256k1: parse a private key, derive its address, sign and recover a txid.

A TRON address is ``0x41`` followed by the last 20 bytes of keccak-256 of the 64-byte
uncompressed public key (without its ``0x04`` prefix), written in base58check. A signature is
65 bytes ``r || s || v`` over the 32-byte txid itself, ``v`` the recovery id (0 or 1), as
java-tron verifies. Used by :mod:`~tron_staking.signer.keystore` only.
"""

from __future__ import annotations

import re

import coincurve
from Crypto.Hash import keccak

from tron_staking.domain import addresses
from tron_staking.domain.addresses import Address
from tron_staking.errors import ValidationError

SIGNATURE_BYTES = 65
_PRIVATE_KEY_HEX = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")


def parse_private_key(text: str) -> bytes:
    """The 32 bytes of a private key given as 64 hex digits (an optional ``0x`` prefix and
    surrounding whitespace allowed).

    Raises ValidationError (whose message never contains the input) when it is not 64 hex
    digits or not a valid secp256k1 scalar (zero, or not below the group order).
    """
    match = _PRIVATE_KEY_HEX.fullmatch(text.strip())
    if match is None:
        raise ValidationError("a private key is 64 hex digits", field="private_key")
    secret = bytes.fromhex(match.group(1))
    try:
        coincurve.PrivateKey(secret)
    except ValueError:
        raise ValidationError(
            "the private key is not a valid secp256k1 key", field="private_key"
        ) from None
    return secret


def _address_of_public_key(public_key: coincurve.PublicKey) -> Address:
    digest = keccak.new(digest_bits=256)
    digest.update(public_key.format(compressed=False)[1:])
    payload = bytes([addresses.ADDRESS_PREFIX]) + digest.digest()[-20:]
    return Address(addresses.b58check_encode(payload))


def address_of(private_key: bytes) -> Address:
    """The TRON address (base58check) that ``private_key`` controls."""
    return _address_of_public_key(coincurve.PrivateKey(private_key).public_key)


def sign_digest(private_key: bytes, digest: bytes) -> bytes:
    """The 65-byte recoverable signature ``r || s || v`` of the 32-byte ``digest``."""
    if len(digest) != 32:
        raise ValueError(f"a digest is 32 bytes, not {len(digest)}")
    return coincurve.PrivateKey(private_key).sign_recoverable(digest, hasher=None)


def recover_address(signature: bytes, digest: bytes) -> Address:
    """The address whose key made ``signature`` over ``digest``; ValueError if malformed."""
    if len(signature) != SIGNATURE_BYTES or len(digest) != 32:
        raise ValueError("a signature is 65 bytes over a 32-byte digest")
    public_key = coincurve.PublicKey.from_signature_and_message(signature, digest, hasher=None)
    return _address_of_public_key(public_key)
