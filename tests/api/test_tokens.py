"""``tron-staking token``'s logic: minted tokens verify with the same settings, carry the
claims asked for, expire after the ttl, and need an HS256 secret."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from tron_staking import settings
from tron_staking.api import auth, problems, tokens
from tron_staking.errors import ConfigurationError, ValidationError

SECRET = "s" * 40
WALLET = "TLyqzVGLV1srkB7dToTAEqgDSfPtXRJZYH"


def auth_settings(**env: str) -> settings.AuthSettings:
    return settings.load({"STAKING_JWT_SECRET": SECRET, **env}).auth


def test_a_minted_token_verifies_with_its_claims() -> None:
    config = auth_settings(STAKING_JWT_ISSUER="iss", STAKING_JWT_AUDIENCE="aud")
    now = dt.datetime.now(dt.UTC)
    token = tokens.mint(
        config,
        subject="ops",
        wallets=[WALLET],
        scope="staking:read  staking:write",
        ttl_s=3600,
        now=now,
    )
    principal = auth.Verifier(config).verify(token)
    assert principal.subject == "ops"
    assert principal.scopes == {"staking:read", "staking:write"}
    assert principal.wallets == {WALLET}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="aud")
    assert (claims["iss"], claims["aud"]) == ("iss", "aud")
    assert claims["exp"] - claims["iat"] == 3600


def test_an_expired_minted_token_is_refused() -> None:
    config = auth_settings()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    token = tokens.mint(config, subject="ops", wallets=[], scope="", ttl_s=3600, now=old)
    with pytest.raises(problems.Problem) as refused:
        auth.Verifier(config).verify(token)
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604_800)]
)
def test_ttl_forms(text: str, seconds: int) -> None:
    assert tokens.parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "0h", "1w", "-1h", "h"])
def test_bad_ttls_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ttl"):
        tokens.parse_ttl(text)


def test_minting_needs_a_secret_and_addresses() -> None:
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(ConfigurationError):
        tokens.mint(settings.load({}).auth, subject="s", wallets=[], scope="", ttl_s=60, now=now)
    with pytest.raises(ValidationError):
        tokens.mint(auth_settings(), subject="s", wallets=["T1"], scope="", ttl_s=60, now=now)
