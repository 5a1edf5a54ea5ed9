"""Settings: defaults, precedence, one-line errors naming the variable, secrets kept secret."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pydantic
import pytest

from tron_staking import settings
from tron_staking.errors import ConfigurationError
from tron_staking.settings import RateLimit

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "env.staking.template"
GROUPS: tuple[type[settings._Group], ...] = (
    settings.ApiSettings,
    settings.MongoSettings,
    settings.RedisSettings,
    settings.ChainSettings,
    settings.ControllerSettings,
    settings.AuthSettings,
    settings.KeySettings,
    settings.LoggingSettings,
)
JWT_SECRET = "s3cr3t-for-tests-" + "x" * 32
PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"


def _all_variables() -> set[str]:
    return {
        name for group in GROUPS for names in settings.variables(group).values() for name in names
    }


def test_defaults() -> None:
    config = settings.load({})

    assert (config.api.host, config.api.port, config.api.workers) == ("0.0.0.0", 8096, 1)
    assert config.api.rate_limit_write == RateLimit(requests=30, period_s=60)
    assert config.api.rate_limit_read == RateLimit(requests=600, period_s=60)
    assert config.mongo.url == "mongodb://127.0.0.1:27017"
    assert config.mongo.database == "tron_staking"
    assert config.redis.url is None
    assert (
        config.redis.ttl_staking_stats_s,
        config.redis.ttl_rewards_s,
        config.redis.ttl_resource_info_s,
    ) == (30, 60, 30)
    assert config.chain.http_endpoint is None
    assert config.chain.api_key is None
    assert config.controller.enabled is True
    assert config.controller.tx_expiration_s == 60
    assert config.controller.replica_id
    assert config.auth.jwt_secret is None
    assert config.keys.kek is None
    assert config.logging.level == "INFO"
    assert config.logging.format == "json"


def test_service_port_overrides_staking_port() -> None:
    assert settings.load({"STAKING_PORT": "9000"}).api.port == 9000
    assert settings.load({"STAKING_PORT": "9000", "SERVICE_PORT": "9100"}).api.port == 9100
    assert settings.load({"SERVICE_PORT": "9100"}).api.port == 9100


def test_an_empty_value_counts_as_unset() -> None:
    config = settings.load(
        {"SERVICE_PORT": "", "STAKING_PORT": "9000", "REDIS_URL": "", "TRON_HTTP_ENDPOINT": " "}
    )

    assert config.api.port == 9000
    assert config.redis.url is None
    assert config.chain.http_endpoint is None


def test_alternative_names() -> None:
    assert settings.load({"MONGODB_DATABASE": "a"}).mongo.database == "a"
    both = {"MONGODB_DATABASE": "a", "STAKING_MONGO_DATABASE": "b"}
    assert settings.load(both).mongo.database == "b"
    key = settings.load({"TRONGRID_API_KEY": "grid"}).chain.api_key
    assert key is not None
    assert key.get_secret_value() == "grid"
    key = settings.load({"TRONGRID_API_KEY": "grid", "TRON_API_KEY": "tron"}).chain.api_key
    assert key is not None
    assert key.get_secret_value() == "tron"


def test_values_are_parsed() -> None:
    config = settings.load(
        {
            "SERVICE_HOST": "127.0.0.1",
            "WORKERS": "3",
            "LOG_LEVEL": "warn",
            "STAKING_LOG_FORMAT": "Console",
            "STAKING_RATE_LIMIT_WRITE": "5/second",
            "STAKING_RATE_LIMIT_READ": "100 / hours",
            "REDIS_URL": "redis://127.0.0.1:6390/2",
            "MONGODB_URL": "mongodb://db-0:27017,db-1:27017,[::1]:27018/?replicaSet=rs0",
            "TRON_HTTP_ENDPOINT": "https://api.trongrid.io/",
            "STAKING_CONTROLLER_ENABLED": "no",
            "STAKING_WORKERS": "16",
            "STAKING_LEASE_TTL_S": "12.5",
            "STAKING_CHAIN_QPS": "2.5",
            "STAKING_REPLICA_ID": "replica-7",
            "STAKING_JWT_PUBLIC_KEY": PEM.replace("\n", "\\n"),
            "STAKING_KEK_FILE": "/run/secrets/kek",
        }
    )

    assert config.api.host == "127.0.0.1"
    assert config.api.workers == 3
    assert config.logging.level == "WARNING"
    assert config.logging.format == "console"
    assert config.api.rate_limit_write == RateLimit(requests=5, period_s=1)
    assert str(config.api.rate_limit_read) == "100/hour"
    assert config.redis.url == "redis://127.0.0.1:6390/2"
    assert config.mongo.url == "mongodb://db-0:27017,db-1:27017,[::1]:27018/?replicaSet=rs0"
    assert config.chain.http_endpoint == "https://api.trongrid.io"
    assert config.controller.enabled is False
    assert config.controller.workers == 16
    assert config.controller.lease_ttl_s == 12.5
    assert config.chain.qps == 2.5
    assert config.controller.replica_id == "replica-7"
    assert config.auth.jwt_public_key == PEM
    assert config.keys.kek_file == Path("/run/secrets/kek")


def test_settings_are_frozen() -> None:
    config = settings.load({})

    with pytest.raises(pydantic.ValidationError):
        config.api.port = 1  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        config.api = config.api  # type: ignore[misc]


def test_settings_never_read_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAKING_PORT", "1234")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")

    config = settings.load({})

    assert config.api.port == 8096
    assert config.logging.level == "INFO"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("STAKING_PORT", "0", "must be between 1 and 65535 (got '0')"),
        ("STAKING_PORT", "65536", "must be between 1 and 65535 (got '65536')"),
        ("SERVICE_PORT", "http", "must be an integer (got 'http')"),
        ("WORKERS", "0", "must be a positive integer"),
        ("LOG_LEVEL", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("STAKING_LOG_FORMAT", "xml", "must be json or console"),
        ("MONGODB_URL", "localhost:27017", "must be a URL like mongodb://"),
        ("MONGODB_URL", "mongodb://", "must be a URL like mongodb://"),
        ("MONGODB_URL", "mongodb://h:99999", "must be a URL like mongodb://"),
        ("MONGODB_DATABASE", "a/b", "must be 1-63 characters"),
        ("STAKING_MONGO_DATABASE", "x" * 64, "must be 1-63 characters"),
        ("REDIS_URL", "http://127.0.0.1:6379", "must be a URL like redis://"),
        ("REDIS_URL", "redis://a:6379,b:6379", "must be a URL like redis://"),
        ("TRON_HTTP_ENDPOINT", "api.trongrid.io", "must be a URL like https://"),
        ("STAKING_RATE_LIMIT_WRITE", "30", "must look like '30/minute'"),
        ("STAKING_RATE_LIMIT_READ", "0/minute", "must look like '30/minute'"),
        ("STAKING_RATE_LIMIT_READ", "10/fortnight", "must look like '30/minute'"),
        ("STAKING_CONTROLLER_ENABLED", "maybe", "must be true or false"),
        ("STAKING_WORKERS", "-2", "must be a positive integer"),
        ("STAKING_RESYNC_INTERVAL_S", "soon", "must be a positive number"),
        ("STAKING_LEASE_TTL_S", "0", "must be a positive number"),
        ("STAKING_CHAIN_QPS", "inf", "must be a positive number"),
        ("STAKING_TX_EXPIRATION_S", "86401", "must be between 1 and 86400"),
        ("STAKING_REDIS_TIMEOUT_S", "-1", "must be a positive number"),
        ("STAKING_CACHE_TTL_REWARDS_S", "0", "must be a positive integer"),
        ("STAKING_REPLICA_ID", "two words", "must be a non-empty word"),
        ("STAKING_JWT_PUBLIC_KEY", "not a pem", "must be a PEM public key"),
        ("STAKING_JWT_SECRET", "short", "must be at least 32 characters"),
    ],
)
def test_an_invalid_value_is_one_line_naming_the_variable(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings.load({variable: value})

    text = str(caught.value)
    assert text.startswith(f"invalid {variable}: ")
    assert message in text
    assert "\n" not in text


def test_the_example_of_the_issue() -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings.load({"STAKING_PORT": "0"})

    assert str(caught.value) == "invalid STAKING_PORT: must be between 1 and 65535 (got '0')"


def test_the_variable_actually_used_is_named() -> None:
    with pytest.raises(ConfigurationError, match=r"^invalid STAKING_PORT: "):
        settings.load({"STAKING_PORT": "0", "SERVICE_PORT": ""})
    with pytest.raises(ConfigurationError, match=r"^invalid SERVICE_PORT: "):
        settings.load({"STAKING_PORT": "9000", "SERVICE_PORT": "0"})


def test_conflicting_pairs_are_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"^invalid STAKING_JWT_PUBLIC_KEY: .*not both"):
        settings.load({"STAKING_JWT_SECRET": JWT_SECRET, "STAKING_JWT_PUBLIC_KEY": PEM})
    with pytest.raises(ConfigurationError, match=r"^invalid STAKING_KEK_FILE: .*not both"):
        settings.load({"STAKING_KEK": "k" * 44, "STAKING_KEK_FILE": "/run/kek"})


def test_secrets_never_show() -> None:
    config = settings.load(
        {
            "STAKING_JWT_SECRET": JWT_SECRET,
            "STAKING_KEK": "kek-value-that-is-secret",
            "TRON_API_KEY": "api-key-that-is-secret",
            "MONGODB_URL": "mongodb://user:mongo-password@db.example:27017/?authSource=admin",
            "REDIS_URL": "redis://:redis-password@cache.example:6379/0",
        }
    )
    secrets = (
        JWT_SECRET,
        "kek-value-that-is-secret",
        "api-key-that-is-secret",
        "mongo-password",
        "redis-password",
    )

    shown = [repr(config), str(config), json.dumps(config.redacted()), config.model_dump_json()]
    for text in shown:
        for secret in secrets:
            assert secret not in text
    redacted = config.redacted()
    assert redacted["auth"]["jwt_secret"] == "**********"
    assert redacted["mongo"]["url"] == "mongodb://user:***@db.example:27017/?authSource=admin"
    assert redacted["redis"]["url"] == "redis://:***@cache.example:6379/0"
    # ... while the code that needs them can still read them.
    assert config.auth.jwt_secret is not None
    assert config.auth.jwt_secret.get_secret_value() == JWT_SECRET
    assert "mongo-password" in config.mongo.url


def test_a_secret_is_not_echoed_in_its_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings.load({"STAKING_JWT_SECRET": "tooshort-secret"})

    assert "tooshort-secret" not in str(caught.value)


def test_a_password_is_not_echoed_in_a_url_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings.load({"MONGODB_URL": "mongodb://user:hunter2@"})

    assert "hunter2" not in str(caught.value)


def _template_entries() -> dict[str, str | None]:
    """Variable -> value in env.staking.template (None for the commented-out secrets)."""
    entries: dict[str, str | None] = {}
    for line in TEMPLATE.read_text().splitlines():
        active = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line)
        commented = re.fullmatch(r"# ([A-Z][A-Z0-9_]*)=", line)
        if active:
            entries[active.group(1)] = active.group(2)
        elif commented:
            entries[commented.group(1)] = None
    return entries


def test_the_template_lists_every_variable_once() -> None:
    entries = _template_entries()
    lines = TEMPLATE.read_text().splitlines()

    assert set(entries) == _all_variables()
    for variable in entries:
        assert sum(bool(re.match(rf"(# )?{variable}=", line)) for line in lines) == 1
        index = next(i for i, line in enumerate(lines) if re.match(rf"(# )?{variable}=", line))
        assert lines[index - 1].startswith("# "), f"{variable} has no comment line"


def test_the_template_states_the_defaults() -> None:
    env = {name: value for name, value in _template_entries().items() if value is not None}

    from_template = settings.load(env).redacted()
    defaults = settings.load({}).redacted()

    for config in (from_template, defaults):
        config["controller"].pop("replica_id")
    assert from_template == defaults


def _reads_environment(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in _ENVIRONMENT_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in _ENVIRONMENT_NAMES for alias in node.names)
        ):
            return True
    return False


_ENVIRONMENT_NAMES = frozenset({"environ", "environb", "getenv", "getenvb"})


def test_only_the_cli_reads_the_environment() -> None:
    package = ROOT / "tron_staking"
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in sorted(package.rglob("*.py"))
        if _reads_environment(path.read_text())
    ]

    assert readers == ["tron_staking/cli.py"]


def test_the_block_interval_is_tron_s_by_default_and_positive() -> None:
    assert settings.load({}).controller.block_interval_s == 3.0
    assert settings.load({"STAKING_BLOCK_INTERVAL_S": "0.5"}).controller.block_interval_s == 0.5
    assert settings.load({"STAKING_BLOCK_INTERVAL_S": "0.1"}).controller.block_interval_s == 0.1
    for bad in ("0", "-1", "0.05", "fast"):
        with pytest.raises(ConfigurationError, match="STAKING_BLOCK_INTERVAL_S"):
            settings.load({"STAKING_BLOCK_INTERVAL_S": bad})
