"""The tron-staking command line, run as a subprocess like an operator runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pymongo
import pytest

from tests.support import servers
from tron_staking.store import indexes

SCRIPT = Path(sys.executable).parent / "tron-staking"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a clean environment plus ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "tron_staking", *args],
        env={**servers.environment_without_service_variables(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_the_commands() -> None:
    result = subprocess.run(
        [str(SCRIPT), "--help"],
        env=servers.environment_without_service_variables(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    for command in ("migrate", "config", "version", "keys", "serve", "dev", "token"):
        assert command in result.stdout


def test_version() -> None:
    result = run("version")

    assert result.returncode == 0
    assert result.stdout.strip() == "tron-staking 0.1.0"


def test_config_prints_the_effective_configuration_without_secrets() -> None:
    secret = "jwt-secret-" + "z" * 32
    result = run(
        "config",
        env={
            "SERVICE_PORT": "9100",
            "STAKING_JWT_SECRET": secret,
            "MONGODB_URL": "mongodb://app:db-password@db.example:27017",
        },
    )

    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["api"]["port"] == 9100
    assert config["auth"]["jwt_secret"] == "**********"
    assert config["mongo"]["url"] == "mongodb://app:***@db.example:27017"
    assert secret not in result.stdout
    assert "db-password" not in result.stdout


@pytest.mark.parametrize("command", ["config", "migrate"])
def test_a_bad_value_is_one_line_and_exit_2(command: str) -> None:
    result = run(command, env={"STAKING_PORT": "0"})

    assert result.returncode == 2
    assert result.stderr == "error: invalid STAKING_PORT: must be between 1 and 65535 (got '0')\n"
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unreachable_mongo_is_one_line_and_exit_1() -> None:
    result = run(
        "migrate",
        env={
            "MONGODB_URL": f"mongodb://app:db-password@127.0.0.1:{servers.free_port()}",
            "STAKING_MONGO_TIMEOUT_S": "0.5",
        },
    )

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: MongoDB at mongodb://app:***@127.0.0.1:")
    assert "db-password" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def migrate_env(mongo_url: str) -> Iterator[dict[str, str]]:
    database = f"test_cli_{uuid.uuid4().hex[:12]}"
    yield {"MONGODB_URL": mongo_url, "MONGODB_DATABASE": database}
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(mongo_url)
    try:
        client.drop_database(database)
    finally:
        client.close()


@pytest.mark.integration
def test_migrate_creates_every_index_once(migrate_env: dict[str, str]) -> None:
    first = run("migrate", env=migrate_env)
    second = run("migrate", env=migrate_env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    total = sum(len(specs) for specs in indexes.INDEXES.values())
    assert f"{total} indexes created, 0 already present" in first.stdout
    assert f"0 indexes created, {total} already present" in second.stdout
    assert "created  idempotency_keys.created_at_ttl" in first.stdout

    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(migrate_env["MONGODB_URL"])
    try:
        database = client[migrate_env["MONGODB_DATABASE"]]
        for collection, specs in indexes.INDEXES.items():
            assert {spec.name for spec in specs} <= set(database[collection].index_information())
        ttl = database["idempotency_keys"].index_information()["created_at_ttl"]
        assert ttl["expireAfterSeconds"] == 86400
    finally:
        client.close()


def test_token_mints_a_jwt_the_api_verifies() -> None:
    secret = "token-secret-" + "q" * 32
    wallet = "TLyqzVGLV1srkB7dToTAEqgDSfPtXRJZYH"
    result = run(
        "token",
        "--sub",
        "ops",
        "--wallet",
        wallet,
        "--scope",
        "staking:read staking:write",
        "--ttl",
        "15m",
        env={"STAKING_JWT_SECRET": secret},
    )

    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), secret, algorithms=["HS256"])
    assert claims["sub"] == "ops"
    assert claims["wallets"] == [wallet]
    assert claims["scope"] == "staking:read staking:write"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--ttl", "1x"), {"STAKING_JWT_SECRET": "s" * 40}, "error: ttl must look like"),
        ((), {}, "error: invalid STAKING_JWT_SECRET"),
        (("--wallet", "Tnot-an-address"), {"STAKING_JWT_SECRET": "s" * 40}, "error: "),
    ],
)
def test_token_refuses_bad_input_in_one_line(
    args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = run("token", "--sub", "ops", *args, env=env)

    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
