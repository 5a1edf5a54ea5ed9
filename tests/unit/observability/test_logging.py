"""Log redaction: secrets are masked by key at any depth and by shape or known value, while
the fields operators need (txids, fencing tokens, counts, intent keys) stay readable."""

from __future__ import annotations

import base64
import io
import json
import logging as stdlib_logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from pydantic import SecretStr

from tron_staking import settings
from tron_staking.observability import logging

PRIVATE_KEY = "8d3f" * 16
TXID = "a1b2" * 16
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsIndhbGxldHMiOlsiVEFCQyJdfQ."
    "c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)
KEK_B64 = base64.b64encode(bytes(range(32))).decode()
MASK = logging.MASK


@pytest.mark.parametrize(
    "key",
    [
        "api_token",
        "auth_token",
        "id_token",
        "access_token",
        "refresh_token",
        "token",
        "accessToken",
        "idToken",
        "private_key_hex",
        "privateKey",
        "private_key",
        "Authorization",
        "Proxy-Authorization",
        "X-Api-Key",
        "TRON-PRO-API-KEY",
        "apiKey",
        "APIKey",
        "trongrid_api_key",
        "jwt_secret",
        "client_secret",
        "password",
        "db_passwd",
        "kek",
        "STAKING_KEK",
        "Set-Cookie",
        "signing_key",
        "credentials",
    ],
)
def test_secret_keys(key: str) -> None:
    assert logging.is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "key_count",
        "keys",
        "key",
        "intent_key",
        "idempotency_key",
        "public_key",
        "cache_key",
        "fencing_token",
        "token_count",
        "token_type",
        "token_bucket",
        "owner",
        "txid",
        "monkey",
        "tokenizer_name",
        "event",
    ],
)
def test_ordinary_keys(key: str) -> None:
    assert not logging.is_secret_key(key)


def _redact(event: dict[str, Any], known: tuple[str, ...] = ()) -> dict[str, Any]:
    return dict(logging.Redactor(known)(None, "info", dict(event)))


def test_secret_keys_are_masked_at_any_depth() -> None:
    event = {
        "event": "calling the node",
        "api_token": "abc123abc123",
        "auth_token": "t-1",
        "id_token": "t-2",
        "private_key_hex": "not-even-hex",
        "pin_password": 123456,
        "request": {
            "headers": {"Authorization": "Basic dXNlcjpwYXNz", "Accept": "application/json"},
            "attempts": [{"refresh_token": "r-1", "n": 1}, ("x", {"client_secret": "s"})],
        },
    }

    redacted = _redact(event)

    for key in ("api_token", "auth_token", "id_token", "private_key_hex", "pin_password"):
        assert redacted[key] == MASK
    request = redacted["request"]
    assert request["headers"] == {"Authorization": MASK, "Accept": "application/json"}
    assert request["attempts"] == [{"refresh_token": MASK, "n": 1}, ["x", {"client_secret": MASK}]]


def test_ordinary_fields_pass_unchanged() -> None:
    event = {
        "event": "operation recorded",
        "owner": "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
        "txid": TXID,
        "txids": [TXID, TXID],
        "fencing_token": 7,
        "key_count": 3,
        "intent_key": "freeze:TJRab:ENERGY",
        "raw_data_hex": "0a02" + TXID + TXID,
        "amount_sun": 1_000_000,
        "ok": True,
        "nothing": None,
    }

    assert _redact(event) == event


def test_a_private_key_shaped_value_is_masked_anywhere_but_in_hash_fields() -> None:
    event = {
        "event": f"imported {PRIVATE_KEY} by mistake",
        "detail": {"note": f"key=0x{PRIVATE_KEY};"},
        "args": [PRIVATE_KEY.upper()],
        "txid": TXID,
    }

    redacted = _redact(event)

    assert redacted["event"] == f"imported {MASK} by mistake"
    assert redacted["detail"] == {"note": f"key={MASK};"}
    assert redacted["args"] == [MASK]
    assert redacted["txid"] == TXID


def test_jwts_bearer_credentials_and_url_passwords_are_masked_in_text() -> None:
    event = {
        "event": f"rejected token {JWT} from client",
        "header_line": "Authorization header was Bearer abc.def-ghi",
        "url": "mongodb://app:db-password@db.example:27017/staking",
        "nested": [{"text": f"redis://:r3dis-pass@cache:6379/0 and {JWT}"}],
    }

    redacted = _redact(event)

    assert redacted["event"] == f"rejected token {MASK} from client"
    assert redacted["header_line"] == f"Authorization header was Bearer {MASK}"
    assert redacted["url"] == "mongodb://app:***@db.example:27017/staking"
    assert redacted["nested"] == [{"text": f"redis://:***@cache:6379/0 and {MASK}"}]


def test_known_secret_values_are_masked_everywhere_even_in_hash_fields() -> None:
    event = {
        "event": f"kek is {KEK_B64}",
        "txid": f"{KEK_B64}",
        "deep": {"list": [f"prefix-{KEK_B64}-suffix"]},
        "short": "abc",
    }

    redacted = _redact(event, known=(KEK_B64, "abc"))

    assert redacted["event"] == f"kek is {MASK}"
    assert redacted["txid"] == MASK
    assert redacted["deep"] == {"list": [f"prefix-{MASK}-suffix"]}
    assert redacted["short"] == "abc"  # too short to be treated as a secret


def test_secret_objects_and_raw_bytes_never_pass() -> None:
    redacted = _redact({"value": SecretStr("hunter22"), "blob": bytes(32)})

    assert redacted == {"value": MASK, "blob": "<32 bytes>"}


def test_the_callers_objects_are_not_changed() -> None:
    headers = {"Authorization": "Bearer abc"}
    event = {"headers": headers}

    _redact(event)

    assert headers == {"Authorization": "Bearer abc"}


def test_secret_values_collects_every_secret_of_the_settings() -> None:
    config = settings.load(
        {
            "STAKING_JWT_SECRET": "jwt-secret-" + "z" * 32,
            "STAKING_KEK": KEK_B64,
            "MONGODB_URL": "mongodb://app:db%40password@db.example:27017",
        }
    )

    found = logging.secret_values(config)

    assert set(found) == {"jwt-secret-" + "z" * 32, KEK_B64, "db@password"}
    assert all(isinstance(value, str) for value in found)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    root = stdlib_logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_tron_staking_handler", False)]:
        root.removeHandler(handler)
    structlog.reset_defaults()


def test_configured_logging_redacts_events_and_exception_text(log_stream: io.StringIO) -> None:
    logging.configure(settings.load({}).logging, log_stream, known_secrets=[KEK_B64])
    log = structlog.stdlib.get_logger("tests.redaction")

    log.info("signing", owner="TOwner", txid=TXID, headers={"Authorization": f"Bearer {JWT}"})
    try:
        raise ValueError(f"cannot parse {PRIVATE_KEY} with {KEK_B64}")
    except ValueError:
        log.exception("import failed")
    stdlib_logging.getLogger("pymongo.test").warning("url mongodb://u:pw-secret@h:1")

    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert lines[0]["headers"] == {"Authorization": MASK}
    assert lines[0]["txid"] == TXID
    assert "ValueError" in lines[1]["exception"]
    assert lines[2]["event"] == "url mongodb://u:***@h:1"
    text = log_stream.getvalue()
    for secret in (PRIVATE_KEY, KEK_B64, JWT, "pw-secret"):
        assert secret not in text
