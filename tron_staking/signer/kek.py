"""The key-encryption key (KEK): 32 bytes given as base64 in ``STAKING_KEK`` or in the file
named by ``STAKING_KEK_FILE`` (a mounted secret).

:func:`load` is called by the composition root; the :class:`Kek` it returns is handed to the
keystore and never printed: its ``repr`` shows only ``kek_id``, a fingerprint that lets a
record name the KEK it was sealed with, so a wrong KEK is reported as such.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib

from tron_staking.errors import ConfigurationError
from tron_staking.settings import KeySettings

KEK_BYTES = 32
_FINGERPRINT_CONTEXT = b"tron-staking kek fingerprint\x00"


@dataclasses.dataclass(frozen=True)
class Kek:
    """A 256-bit AES key and its public fingerprint ``kek_id`` (16 hex digits)."""

    key: bytes = dataclasses.field(repr=False)
    kek_id: str

    @classmethod
    def from_bytes(cls, key: bytes) -> Kek:
        """A KEK of exactly 32 bytes; ValueError otherwise."""
        if len(key) != KEK_BYTES:
            raise ValueError(f"a KEK is {KEK_BYTES} bytes, not {len(key)}")
        fingerprint = hashlib.sha256(_FINGERPRINT_CONTEXT + key).hexdigest()[:16]
        return cls(key=key, kek_id=fingerprint)

    @classmethod
    def from_base64(cls, text: str, *, source: str = "STAKING_KEK") -> Kek:
        """Decode standard base64 (surrounding whitespace ignored); ConfigurationError naming
        ``source`` when it is not base64 or not 32 bytes. The message never shows ``text``."""
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(f"invalid {source}: not base64") from None
        if len(key) != KEK_BYTES:
            raise ConfigurationError(
                f"invalid {source}: it must decode to {KEK_BYTES} bytes, not {len(key)}"
            )
        return cls.from_bytes(key)

    def base64(self) -> str:
        """The KEK as given in ``STAKING_KEK`` (for the log redactor's list of secrets)."""
        return base64.b64encode(self.key).decode()


def load(settings: KeySettings) -> Kek:
    """The KEK of ``settings``: inline, or read from the file.

    Raises ConfigurationError when neither is set, the file cannot be read, or the value is
    not base64 of 32 bytes.
    """
    if settings.kek is not None:
        return Kek.from_base64(settings.kek.get_secret_value())
    if settings.kek_file is not None:
        try:
            text = settings.kek_file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"invalid STAKING_KEK_FILE: cannot read {settings.kek_file}: {type(exc).__name__}"
            ) from None
        return Kek.from_base64(text, source="STAKING_KEK_FILE")
    raise ConfigurationError("STAKING_KEK or STAKING_KEK_FILE is required to use signing keys")
