"""Structured logging: structlog events rendered as JSON lines (or console text) on stderr.

The CLI calls :func:`configure` once, with the logging settings, before it builds anything
else; modules then log through ``structlog.stdlib.get_logger(__name__)``. Standard-library
loggers (pymongo, redis, uvicorn) go through the same handler and renderer, so every line of
the process has one shape. :func:`redact_secrets` runs on every event: values of keys that name
a secret, ``SecretStr`` values and passwords inside URLs are masked, so configuration secrets
never reach a log line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from pydantic import SecretBytes, SecretStr

from tron_staking.settings import LoggingSettings, redact_url

_MASK = "**********"
# Keys whose values are secret wherever they appear in an event. ``token`` alone is a bearer
# token; fencing tokens (``fencing_token``) are plain numbers and stay visible.
_SECRET_KEYS = frozenset({"token", "access_token", "refresh_token", "bearer", "jwt"})
_SECRET_SUFFIXES = (
    "secret",
    "password",
    "passwd",
    "api_key",
    "private_key",
    "kek",
    "authorization",
)


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


def redact_secrets(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secret values in ``event_dict`` (see the module docstring)."""
    for key, value in event_dict.items():
        if isinstance(value, SecretStr | SecretBytes) or (_is_secret_key(key) and value):
            event_dict[key] = _MASK
        elif isinstance(value, str) and "@" in value and "://" in value:
            event_dict[key] = redact_url(value)
    return event_dict


_HANDLER_MARK = "_tron_staking_handler"


def configure(settings: LoggingSettings, stream: TextIO | None = None) -> None:
    """Install the structlog configuration and the root stdlib handler (idempotent).

    ``stream`` defaults to stderr, so that commands can print their own output on stdout.
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
            redact_secrets,
            structlog.processors.format_exc_info,
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
