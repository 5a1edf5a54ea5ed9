"""Keys, addresses and signatures of the devnet: base58check, keccak, secp256k1.

Used by the genesis (deterministic keys), the broadcast pipeline (signature recovery against
the owner permission) and the HTTP layer (address decoding and printing). Addresses are
handled internally as 21 raw bytes starting with 0x41.
"""

from __future__ import annotations

import hashlib

import coincurve
from Crypto.Hash import keccak

ADDRESS_PREFIX = 0x41
ADDRESS_SIZE = 21
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


class AddressError(ValueError):
    """A string or byte sequence is not a valid TRON address."""


class SignatureError(ValueError):
    """A signature cannot be parsed or recovered."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def keccak256(data: bytes) -> bytes:
    digest = keccak.new(digest_bits=256)
    digest.update(data)
    return digest.digest()


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_B58_ALPHABET[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        try:
            number = number * 58 + _B58_INDEX[char]
        except KeyError:
            raise AddressError(f"invalid base58 character {char!r}") from None
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + sha256(sha256(payload))[:4])


def b58check_decode(text: str) -> bytes:
    raw = b58decode(text)
    if len(raw) < 5:
        raise AddressError("base58check string too short")
    payload, checksum = raw[:-4], raw[-4:]
    if sha256(sha256(payload))[:4] != checksum:
        raise AddressError("base58check checksum mismatch")
    return payload


def is_valid_address(raw: bytes) -> bool:
    """java-tron's ``DecodeUtil.addressValid``: 21 bytes, first byte 0x41."""
    return len(raw) == ADDRESS_SIZE and raw[0] == ADDRESS_PREFIX


def address_to_base58(raw: bytes) -> str:
    return b58check_encode(raw)


def address_to_hex(raw: bytes) -> str:
    return raw.hex()


def parse_address(text: str) -> bytes:
    """Decode a base58 ``T…`` or hex ``41…`` address into 21 bytes.

    Raises ``AddressError`` for anything else (the HTTP layer turns it into ``{"Error": …}``).
    """
    text = text.strip()
    if text.startswith("T") and len(text) == 34:
        raw = b58check_decode(text)
    else:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise AddressError(f"invalid address {text!r}") from None
    if not is_valid_address(raw):
        raise AddressError(f"invalid address {text!r}")
    return raw


def public_key_to_address(public_key: coincurve.PublicKey) -> bytes:
    uncompressed = public_key.format(compressed=False)[1:]
    return bytes([ADDRESS_PREFIX]) + keccak256(uncompressed)[-20:]


def private_key_to_address(private_key: bytes) -> bytes:
    return public_key_to_address(coincurve.PrivateKey(private_key).public_key)


def derive_private_key(seed: str, index: int, purpose: str = "account") -> bytes:
    """A deterministic secp256k1 key for ``(seed, purpose, index)``; always in range."""
    counter = 0
    while True:
        candidate = sha256(f"tron-devnet/{seed}/{purpose}/{index}/{counter}".encode())
        try:
            coincurve.PrivateKey(candidate)
        except ValueError:
            counter += 1
            continue
        return candidate


def sign(txid: bytes, private_key: bytes) -> bytes:
    """65-byte ``r||s||v`` signature over the 32-byte txid (v is the recovery id 0/1)."""
    return coincurve.PrivateKey(private_key).sign_recoverable(txid, hasher=None)


def recover_address(txid: bytes, signature: bytes) -> bytes:
    """The address that produced ``signature`` over ``txid`` (java-tron's ecrecover rules).

    Only the first 65 bytes are used; ``v`` of 27/28 is accepted as well as 0/1.
    Raises ``SignatureError`` when the signature is malformed or does not recover.
    """
    if len(signature) < 65:
        raise SignatureError(f"Signature size is {len(signature)}")
    sig = bytearray(signature[:65])
    if sig[64] >= 27:
        sig[64] -= 27
    if sig[64] > 3:
        raise SignatureError("Header byte out of range: " + str(sig[64] + 27))
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(bytes(sig), txid, hasher=None)
    except ValueError as exc:  # coincurve: unparsable signature or no recoverable point
        raise SignatureError(str(exc) or "Invalid point compression") from exc
    return public_key_to_address(public_key)
