"""Structured logging: structlog events rendered as JSON lines (or console text) on stderr.

The CLI calls :func:`configure` once, with the logging settings and the secret values it
knows (:func:`secret_values` of the settings, the KEK), before it builds anything else;
modules then log through ``structlog.stdlib.get_logger(__name__)``. Standard-library loggers
(pymongo, redis, uvicorn) go through the same handler and renderer, so every line of the
process has one shape. A :class:`Redactor` runs on every event, after exceptions are
formatted and before rendering, and masks at any depth (nested mappings, lists, tuples):

* by key: the whole value of a key that names a secret (:func:`is_secret_key`);
* by value: ``SecretStr`` / ``SecretBytes`` and raw bytes; inside every string, each known
  secret value, anything shaped like a private key (64 hex digits, also ``0x``-prefixed) —
  except under keys that hold transaction or block hashes, which are 64 hex digits by
  nature —, anything shaped like a JWT, the credential after ``Bearer``, and the password
  inside a URL.
"""

from __future__ import annotations

import logging
import re
import sys
import urllib.parse
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO

import structlog
from pydantic import BaseModel, SecretBytes, SecretStr

from tron_staking.settings import LoggingSettings

MASK = "**********"
# Words that make a key secret wherever they appear in it (``x_api_key`` is ["x","api","key"]).
_SECRET_WORDS = frozenset(
    {
        "secret",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "private",
        "authorization",
        "cookie",
        "credential",
        "credentials",
        "kek",
        "jwt",
        "bearer",
        "mnemonic",
        "apikey",
    }
)
# "<word> key" pairs that name a secret key; a bare ``key`` (a cache key, an intent key, an
# idempotency key) or ``public_key`` is not secret.
_SECRET_KEY_QUALIFIERS = frozenset({"api", "signing", "secret", "encryption", "access"})
# A ``token`` is secret (access, refresh, id, auth, api tokens, a bare ``token``) unless the
# key says it is a number or a kind of token: a fencing token, a count, a type, a lifetime.
_NOT_SECRET_TOKEN_WORDS = frozenset(
    {"fencing", "count", "counts", "type", "ttl", "expires", "expiry", "limit", "bucket"}
)
# Keys whose values are transaction or block hashes: 64 hex digits that must stay readable.
_HASH_KEYS = frozenset(
    {"txid", "tx_id", "txids", "transaction_id", "hash", "block_hash", "block_id", "blockid"}
)
_WORD_BOUNDARY = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_HEX_KEY = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@")
_MAX_DEPTH = 32


def _words(key: str) -> list[str]:
    return [word.lower() for word in _WORD_BOUNDARY.split(key) if word]


def is_secret_key(key: str) -> bool:
    """True when a field named ``key`` holds a secret: ``api_token``, ``id_token``,
    ``private_key_hex``, ``Authorization``, ``X-Api-Key``, ``jwt_secret``, ``accessToken``…;
    False for ``key_count``, ``intent_key``, ``public_key``, ``fencing_token``,
    ``token_type``…"""
    words = _words(key)
    if _SECRET_WORDS.intersection(words):
        return True
    for before, word in zip(["", *words], words, strict=False):
        if word == "key" and before in _SECRET_KEY_QUALIFIERS:
            return True
    if "token" in words or "tokens" in words:
        return not _NOT_SECRET_TOKEN_WORDS.intersection(words)
    return False


def secret_values(settings: BaseModel) -> list[str]:
    """Every ``SecretStr`` value in ``settings`` and every password inside a URL setting
    (nested groups included), for the Redactor."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            found.extend(secret_values(value))
        elif isinstance(value, str) and "://" in value:
            password = urllib.parse.urlsplit(value).password
            if password:
                found.append(urllib.parse.unquote(password))
    return found


class Redactor:
    """The structlog processor that masks secrets in an event (see the module docstring).

    ``known_secrets`` are values masked wherever they occur in a string (values shorter than
    8 characters are ignored: masking them would blank out ordinary words). The event's own
    containers are replaced, never mutated, so the caller's objects stay intact.
    """

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        secrets = sorted({value for value in known_secrets if len(value) >= 8}, key=len)
        self._known = tuple(reversed(secrets))

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in list(event_dict):
            event_dict[key] = self._value(str(key), event_dict[key], 0)
        return event_dict

    def _value(self, key: str, value: Any, depth: int) -> Any:
        if value is None:
            return None
        if is_secret_key(key) or isinstance(value, SecretStr | SecretBytes) or depth > _MAX_DEPTH:
            return MASK
        if isinstance(value, bool | int | float):
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return f"<{len(value)} bytes>"
        if isinstance(value, str):
            return self.scrub(value, hashes_allowed=key.lower() in _HASH_KEYS)
        if isinstance(value, Mapping):
            return {k: self._value(str(k), v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._value(key, item, depth + 1) for item in value]
        return self.scrub(str(value), hashes_allowed=False)

    def scrub(self, text: str, *, hashes_allowed: bool = False) -> str:
        """``text`` with every secret-shaped or known secret part masked."""
        for secret in self._known:
            text = text.replace(secret, MASK)
        text = _JWT.sub(MASK, text)
        text = _BEARER.sub(lambda match: match.group(1) + MASK, text)
        text = _URL_PASSWORD.sub(lambda match: match.group(1) + "***@", text)
        if not hashes_allowed:
            text = _HEX_KEY.sub(MASK, text)
        return text


_HANDLER_MARK = "_tron_staking_handler"


def configure(
    settings: LoggingSettings,
    stream: TextIO | None = None,
    *,
    known_secrets: Iterable[str] = (),
) -> None:
    """Install the structlog configuration and the root stdlib handler (idempotent).

    ``stream`` defaults to stderr, so that commands can print their own output on stdout.
    ``known_secrets`` are masked wherever they appear (see :class:`Redactor`).
    """
    level = logging.getLevelNamesMapping()[settings.level]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            timestamper,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            timestamper,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            Redactor(known_secrets),
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The drivers are chatty below WARNING; their debug lines are only wanted at DEBUG.
    for noisy in ("pymongo", "redis", "asyncio"):
        logging.getLogger(noisy).setLevel(level if level <= logging.DEBUG else logging.WARNING)
