"""Minting API tokens for operators and tests (``tron-staking token``).

:func:`mint` signs an HS256 token with ``STAKING_JWT_SECRET`` carrying ``sub``, ``scope``,
``wallets``, ``iat``, ``exp`` (now + ``ttl_s``) and the configured ``iss``/``aud``. Tokens
for an RS256/ES256 deployment are minted by its identity provider, not here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import jwt

from tron_staking.domain import addresses
from tron_staking.errors import ConfigurationError
from tron_staking.settings import AuthSettings

_TTL = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_ttl(text: str) -> int:
    """``"90s"``, ``"15m"``, ``"1h"``, ``"7d"`` → seconds; ValueError otherwise."""
    match = _TTL.match(text.strip().lower())
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"ttl must look like 1h, 15m, 90s or 7d (got {text!r})")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def mint(
    settings: AuthSettings,
    *,
    subject: str,
    wallets: Sequence[str],
    scope: str,
    ttl_s: int,
    now: dt.datetime,
) -> str:
    """A signed token; raises ConfigurationError without ``STAKING_JWT_SECRET`` and
    ValidationError for a wallet that is not a TRON address."""
    if settings.jwt_secret is None:
        raise ConfigurationError(
            "invalid STAKING_JWT_SECRET: tokens can be minted only with an HS256 secret"
        )
    claims: dict[str, object] = {
        "sub": subject,
        "scope": " ".join(scope.split()),
        "wallets": [addresses.parse_address(w, field="wallet") for w in wallets],
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl_s,
    }
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")
