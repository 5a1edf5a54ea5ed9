"""``tron-staking keys`` as an operator runs it: subprocesses against a real MongoDB-protocol
server; keys travel through stdin or a file, never argv, and never come back out."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

from tests.support import servers
from tron_staking.signer import secp256k1

pytestmark = pytest.mark.integration

KEY_A = "5a" * 32
KEY_B = "0x" + "7c" * 32
ADDRESS_A = secp256k1.address_of(bytes.fromhex(KEY_A))
ADDRESS_B = secp256k1.address_of(bytes.fromhex(KEY_B[2:]))
KEK_B64 = base64.b64encode(os.urandom(32)).decode()
OTHER_KEK_B64 = base64.b64encode(os.urandom(32)).decode()


def run(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tron_staking", "keys", *args],
        env={**servers.environment_without_service_variables(), **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def keys_env(mongo_url: str) -> Iterator[dict[str, str]]:
    database = f"test_keys_{uuid.uuid4().hex[:12]}"
    yield {"MONGODB_URL": mongo_url, "MONGODB_DATABASE": database, "STAKING_KEK": KEK_B64}
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(mongo_url)
    try:
        client.drop_database(database)
    finally:
        client.close()


def _stored(env: dict[str, str]) -> list[dict[str, object]]:
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(env["MONGODB_URL"])
    try:
        return list(client[env["MONGODB_DATABASE"]]["signing_keys"].find({}, {"_id": False}))
    finally:
        client.close()


def _assert_one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def _assert_no_secret(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    for secret in (KEK_B64, KEY_A, KEY_B[2:], KEY_A.upper()):
        assert secret not in output


def test_import_from_stdin_and_from_a_file_then_list(
    keys_env: dict[str, str], tmp_path: Path
) -> None:
    key_file = tmp_path / "key.hex"
    key_file.write_text(KEY_B + "\n")

    from_stdin = run("import", env=keys_env, stdin=KEY_A + "\n")
    from_file = run("import", "--file", str(key_file), env=keys_env)
    listed = run("list", env=keys_env)

    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == f"{ADDRESS_A}\n"
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout == f"{ADDRESS_B}\n"
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == sorted([ADDRESS_A, ADDRESS_B])
    for result in (from_stdin, from_file, listed):
        _assert_no_secret(result)


def test_the_stored_document_holds_no_plaintext_key(keys_env: dict[str, str]) -> None:
    assert run("import", env=keys_env, stdin=KEY_A).returncode == 0

    (document,) = _stored(keys_env)

    assert document["address"] == ADDRESS_A
    assert document["algorithm"] == "AES-256-GCM"
    assert bytes.fromhex(KEY_A) not in repr(document).encode()
    assert KEY_A not in repr(document)


def test_remove_deletes_the_key_and_a_second_remove_fails(keys_env: dict[str, str]) -> None:
    assert run("import", env=keys_env, stdin=KEY_A).returncode == 0

    removed = run("remove", ADDRESS_A, env=keys_env)
    again = run("remove", ADDRESS_A, env=keys_env)

    assert removed.returncode == 0, removed.stderr
    assert ADDRESS_A in removed.stdout
    assert run("list", env=keys_env).stdout == ""
    assert _assert_one_error_line(again, 1) == f"error: no signing key is stored for {ADDRESS_A}"


def test_a_second_import_of_the_same_address_fails_clearly(keys_env: dict[str, str]) -> None:
    assert run("import", env=keys_env, stdin=KEY_A).returncode == 0

    again = run("import", env=keys_env, stdin=KEY_A)

    line = _assert_one_error_line(again, 1)
    assert f"{ADDRESS_A} already has a signing key" in line
    _assert_no_secret(again)
    assert len(_stored(keys_env)) == 1


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("", "a private key is 64 hex digits"),
        ("not a key at all", "a private key is 64 hex digits"),
        ("00" * 32, "not a valid secp256k1 key"),
        (KEY_A + "ff", "a private key is 64 hex digits"),
    ],
)
def test_bad_key_input_is_one_line_and_exit_2(
    keys_env: dict[str, str], stdin: str, message: str
) -> None:
    result = run("import", env=keys_env, stdin=stdin)

    assert message in _assert_one_error_line(result, 2)
    if stdin:
        assert stdin not in result.stderr
    assert _stored(keys_env) == []


@pytest.mark.parametrize(
    ("env_change", "message"),
    [
        ({"STAKING_KEK": ""}, "STAKING_KEK or STAKING_KEK_FILE is required"),
        ({"STAKING_KEK": "c2hvcnQ="}, "32 bytes"),
    ],
)
def test_a_missing_or_bad_kek_is_one_line_and_exit_2(
    keys_env: dict[str, str], env_change: dict[str, str], message: str
) -> None:
    env = {**keys_env, **env_change}
    if not env["STAKING_KEK"]:
        del env["STAKING_KEK"]

    result = run("import", env=env, stdin=KEY_A)

    assert message in _assert_one_error_line(result, 2)
    _assert_no_secret(result)


def test_a_missing_key_file_is_one_line_and_exit_2(
    keys_env: dict[str, str], tmp_path: Path
) -> None:
    result = run("import", "--file", str(tmp_path / "absent"), env=keys_env)

    assert "cannot read" in _assert_one_error_line(result, 2)


def test_a_bad_address_to_remove_is_exit_2(keys_env: dict[str, str]) -> None:
    result = run("remove", "TNotAnAddress", env=keys_env)

    _assert_one_error_line(result, 2)


@pytest.mark.parametrize("args", [("import",), ("list",), ("remove", ADDRESS_A)])
def test_an_unreachable_mongo_is_one_line_and_exit_1(args: tuple[str, ...]) -> None:
    env = {
        "MONGODB_URL": f"mongodb://app:db-password@127.0.0.1:{servers.free_port()}",
        "STAKING_MONGO_TIMEOUT_S": "0.5",
        "STAKING_KEK": KEK_B64,
    }

    result = run(*args, env=env, stdin=KEY_A)

    line = _assert_one_error_line(result, 1)
    assert line.startswith("error: MongoDB at mongodb://app:***@127.0.0.1:")
    assert "db-password" not in result.stderr
    _assert_no_secret(result)


def test_a_key_imported_under_one_kek_is_listed_under_another(
    keys_env: dict[str, str],
) -> None:
    assert run("import", env=keys_env, stdin=KEY_A).returncode == 0

    listed = run("list", env={**keys_env, "STAKING_KEK": OTHER_KEK_B64})

    assert listed.stdout == f"{ADDRESS_A}\n"


def test_the_kek_may_come_from_a_mounted_file(keys_env: dict[str, str], tmp_path: Path) -> None:
    kek_file = tmp_path / "kek"
    kek_file.write_text(KEK_B64 + "\n")
    env = {key: value for key, value in keys_env.items() if key != "STAKING_KEK"}

    result = run("import", env={**env, "STAKING_KEK_FILE": str(kek_file)}, stdin=KEY_A)
    both = run("import", env={**keys_env, "STAKING_KEK_FILE": str(kek_file)}, stdin=KEY_B)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{ADDRESS_A}\n"
    assert "set STAKING_KEK or STAKING_KEK_FILE, not both" in _assert_one_error_line(both, 2)
