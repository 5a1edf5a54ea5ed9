"""JWT bearer authentication and per-wallet authorization (contract: api.md § Authentication).

:class:`Verifier` accepts only the configured algorithm — HS256 with ``STAKING_JWT_SECRET``,
or RS256/ES256 (from the key type) with ``STAKING_JWT_PUBLIC_KEY`` — so ``alg: none`` and an
HS256 token signed with the public key are refused. ``exp`` and ``sub`` are required;
``nbf``/``iat`` are honoured; ``iss``/``aud`` are checked when configured; leeway 30 s. Any
failure is a 401 with ``WWW-Authenticate: Bearer``. A :class:`Principal` then answers
"may this subject read/change this owner's positions?" (403 otherwise).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable

import jwt
import jwt.algorithms
from starlette.requests import Request

from tron_staking.api import problems
from tron_staking.domain import addresses
from tron_staking.domain.addresses import Address
from tron_staking.errors import ConfigurationError, ValidationError
from tron_staking.settings import AuthSettings

LEEWAY_S = 30


class Scope(enum.StrEnum):
    READ = "staking:read"
    WRITE = "staking:write"
    ADMIN = "staking:admin"


@dataclasses.dataclass(frozen=True)
class Principal:
    """The authenticated subject: its scopes and the wallets it owns."""

    subject: str
    scopes: frozenset[str]
    wallets: frozenset[Address]

    @property
    def admin(self) -> bool:
        return Scope.ADMIN in self.scopes

    def owns(self, owner: str) -> bool:
        return self.admin or owner in self.wallets

    def require(self, scope: Scope, owner: str | None = None) -> None:
        """Raises a 403 Problem unless the subject has ``scope`` (admin implies every scope)
        and, when ``owner`` is given, owns it."""
        if not self.admin and scope not in self.scopes:
            raise problems.Problem(403, f"the token lacks the {scope.value} scope")
        if owner is not None and not self.owns(owner):
            raise problems.Problem(403, "the token does not own this address")

    def owner_filter(self) -> list[Address] | None:
        """The owners a listing is restricted to (None = every owner, for admins)."""
        return None if self.admin else sorted(self.wallets)


def _algorithm_and_key(settings: AuthSettings) -> tuple[str, str | bytes] | None:
    if settings.jwt_secret is not None:
        return "HS256", settings.jwt_secret.get_secret_value()
    if settings.jwt_public_key is not None:
        for algorithm in ("RS256", "ES256"):
            try:
                jwt.algorithms.get_default_algorithms()[algorithm].prepare_key(
                    settings.jwt_public_key
                )
            except (jwt.InvalidKeyError, ValueError, TypeError):
                continue
            return algorithm, settings.jwt_public_key
        raise ConfigurationError("invalid STAKING_JWT_PUBLIC_KEY: must be an RSA or EC key")
    return None


class Verifier:
    """Verifies bearer tokens against the auth settings (see the module docstring)."""

    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        self._algorithm_key = _algorithm_and_key(settings)

    def principal(self, request: Request) -> Principal:
        """The principal of ``request``'s bearer token; a 401 Problem when there is none or it
        does not verify."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise problems.unauthorized("a bearer token is required")
        return self.verify(token.strip())

    def verify(self, token: str) -> Principal:
        if self._algorithm_key is None:
            raise problems.unauthorized("token verification is not configured")
        algorithm, key = self._algorithm_key
        required = ["exp", "sub"]
        if self._settings.jwt_issuer:
            required.append("iss")
        if self._settings.jwt_audience:
            required.append("aud")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                leeway=LEEWAY_S,
                options={"require": required, "verify_aud": bool(self._settings.jwt_audience)},
            )
        except jwt.PyJWTError:
            raise problems.unauthorized("the token is invalid or expired") from None
        return _principal(claims)


def _principal(claims: dict[str, object]) -> Principal:
    subject, scope, wallets = claims.get("sub"), claims.get("scope", ""), claims.get("wallets", [])
    if not isinstance(subject, str) or not subject:
        raise problems.unauthorized("the token's sub claim is missing")
    if not isinstance(scope, str) or not isinstance(wallets, list):
        raise problems.unauthorized("the token's scope or wallets claim is malformed")
    return Principal(subject=subject, scopes=frozenset(scope.split()), wallets=_wallets(wallets))


def _wallets(values: Iterable[object]) -> frozenset[Address]:
    owned: set[Address] = set()
    for value in values:
        try:
            owned.add(addresses.parse_address(value, field="wallets"))
        except ValidationError:
            raise problems.unauthorized("the token's wallets claim holds a bad address") from None
    return frozenset(owned)
