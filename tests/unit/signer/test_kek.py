"""Loading the key-encryption key from the settings."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tron_staking import settings
from tron_staking.errors import ConfigurationError
from tron_staking.signer import kek

KEK_B64 = base64.b64encode(bytes(range(32))).decode()


def _keys(env: dict[str, str]) -> settings.KeySettings:
    return settings.load(env).keys


def test_an_inline_kek_is_decoded() -> None:
    loaded = kek.load(_keys({"STAKING_KEK": KEK_B64}))

    assert loaded.key == bytes(range(32))
    assert loaded.base64() == KEK_B64


def test_a_kek_file_is_read_and_gives_the_same_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "kek"
    path.write_text(KEK_B64 + "\n")

    from_file = kek.load(_keys({"STAKING_KEK_FILE": str(path)}))

    assert from_file == kek.load(_keys({"STAKING_KEK": KEK_B64}))
    assert from_file.kek_id != kek.Kek.from_bytes(bytes(32)).kek_id


def test_the_repr_shows_the_fingerprint_and_not_the_key() -> None:
    loaded = kek.load(_keys({"STAKING_KEK": KEK_B64}))

    assert loaded.kek_id in repr(loaded)
    assert KEK_B64 not in repr(loaded)
    assert repr(bytes(range(32))) not in repr(loaded)


@pytest.mark.parametrize(
    ("value", "message"),
    [("not base64!", "not base64"), (base64.b64encode(bytes(16)).decode(), "32 bytes, not 16")],
)
def test_a_bad_kek_is_a_configuration_error_that_hides_it(value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        kek.load(_keys({"STAKING_KEK": value}))

    assert "STAKING_KEK" in str(caught.value)
    assert value not in str(caught.value)


def test_a_missing_kek_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="STAKING_KEK_FILE: cannot read"):
        kek.load(_keys({"STAKING_KEK_FILE": str(tmp_path / "absent")}))


def test_no_kek_at_all_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="STAKING_KEK or STAKING_KEK_FILE"):
        kek.load(_keys({}))


def test_a_kek_is_exactly_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes, not 31"):
        kek.Kek.from_bytes(bytes(31))
