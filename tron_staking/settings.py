"""The settings of tron-staking: one frozen object, grouped by concern, built once.

The CLI is the only caller of :func:`load`: it passes ``os.environ`` (tests pass their own
mapping) and hands the result, or one of its groups, to everything it builds. No other module
reads the environment. Each field names the variable(s) it is read from in its
``validation_alias``; where two names are listed, the first one present wins. An empty value
counts as unset. Every variable is listed with its default in ``env.staking.template``.

An invalid value raises :class:`~tron_staking.errors.ConfigurationError` with one line that
names the variable, e.g. ``invalid STAKING_PORT: must be between 1 and 65535 (got '0')``.
Secrets are :class:`pydantic.SecretStr` and never appear in ``repr``, in :meth:`Settings.
redacted` or in an error message; URLs that may carry a password are shown with it masked.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

import pydantic
from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    NonNegativeInt,
    PlainSerializer,
    SecretStr,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tron_staking.errors import ConfigurationError

# ---------------------------------------------------------------------------------------------
# Value parsers. Each takes the raw string (or an already typed default) and raises ValueError
# with the text that follows "invalid VARIABLE: " in the error line.


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else str(value)


def _parse_port(value: object) -> int:
    number = _parse_int(value)
    if not 1 <= number <= 65535:
        raise ValueError("must be between 1 and 65535")
    return number


def _parse_int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an integer")
    if isinstance(value, int):
        return value
    try:
        return int(_text(value), 10)
    except ValueError:
        raise ValueError("must be an integer") from None


def _parse_positive_int(value: object) -> int:
    number = _parse_int(value)
    if number < 1:
        raise ValueError("must be a positive integer")
    return number


def _parse_positive_float(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a positive number")
    try:
        number = float(value) if isinstance(value, int | float) else float(_text(value))
    except ValueError:
        raise ValueError("must be a positive number") from None
    if not number > 0 or number == float("inf"):
        raise ValueError("must be a positive number")
    return number


def _parse_expiration_s(value: object) -> int:
    number = _parse_int(value)
    if not 1 <= number <= 86_400:
        raise ValueError("must be between 1 and 86400 seconds (TRON's maximum is 24 h)")
    return number


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("must be true or false")


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _parse_log_level(value: object) -> str:
    text = _text(value).upper()
    if text == "WARN":
        text = "WARNING"
    if text not in _LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
    return text


def _parse_log_format(value: object) -> str:
    text = _text(value).lower()
    if text not in ("json", "console"):
        raise ValueError("must be json or console")
    return text


def _valid_host(host: str) -> bool:
    """Whether ``host`` is ``name``, ``name:port`` or ``[v6]:port`` with a port in range."""
    try:
        parts = urlsplit(f"//{host}")
        port = parts.port  # ValueError when not a number or out of range
    except ValueError:
        return False
    return bool(parts.hostname) and port != 0


def _parse_url(
    value: object, schemes: tuple[str, ...], example: str, *, many_hosts: bool = False
) -> str:
    """``value`` if it is a URL with one of ``schemes`` and a valid host; ``many_hosts``
    accepts a comma-separated list of them (a MongoDB replica set)."""
    text = _text(value)
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in schemes or any(c.isspace() for c in text):
        raise ValueError(f"must be a URL like {example}")
    host_list = parts.netloc.rpartition("@")[2].split(",")
    if (len(host_list) > 1 and not many_hosts) or not all(map(_valid_host, host_list)):
        raise ValueError(f"must be a URL like {example}")
    return text


def _parse_mongo_url(value: object) -> str:
    return _parse_url(
        value, ("mongodb", "mongodb+srv"), "mongodb://127.0.0.1:27017", many_hosts=True
    )


def _parse_redis_url(value: object) -> str:
    return _parse_url(value, ("redis", "rediss"), "redis://127.0.0.1:6379/0")


def _parse_http_url(value: object) -> str:
    return _parse_url(value, ("http", "https"), "https://api.trongrid.io").rstrip("/")


_DATABASE_FORBIDDEN = re.compile(r'[/\\. "$*<>:|?\x00]')


def _parse_database(value: object) -> str:
    text = _text(value)
    if not text or len(text) > 63 or _DATABASE_FORBIDDEN.search(text):
        raise ValueError('must be 1-63 characters without /\\. "$*<>:|? or spaces')
    return text


def _parse_nonempty(value: object) -> str:
    text = _text(value)
    if not text or any(c.isspace() for c in text):
        raise ValueError("must be a non-empty word without spaces")
    return text


def _parse_pem_public_key(value: object) -> str:
    # Env files cannot hold line breaks comfortably: accept "\n" escapes as well.
    text = _text(value).replace("\\n", "\n")
    if not text.startswith("-----BEGIN ") or "PUBLIC KEY-----" not in text:
        raise ValueError("must be a PEM public key (-----BEGIN PUBLIC KEY----- ...)")
    return text


def _parse_jwt_secret(value: object) -> SecretStr:
    secret = value if isinstance(value, SecretStr) else SecretStr(str(value))
    if len(secret.get_secret_value()) < 32:
        raise ValueError("must be at least 32 characters (HS256 needs a 256-bit key)")
    return secret


def _parse_secret(value: object) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(str(value))


_PERIODS_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
_RATE_LIMIT = re.compile(r"^(\d+)\s*/\s*(second|minute|hour|day)s?$")


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` requests per ``period_s`` seconds; written as ``30/minute``."""

    requests: int
    period_s: int

    def __str__(self) -> str:
        unit = next(name for name, seconds in _PERIODS_S.items() if seconds == self.period_s)
        return f"{self.requests}/{unit}"


def _parse_rate_limit(value: object) -> RateLimit:
    if isinstance(value, RateLimit):
        return value
    match = _RATE_LIMIT.match(_text(value).lower())
    if match is None or int(match.group(1)) < 1:
        raise ValueError("must look like '30/minute' (a positive count per second|minute|hour|day)")
    return RateLimit(requests=int(match.group(1)), period_s=_PERIODS_S[match.group(2)])


def redact_url(url: str) -> str:
    """Return ``url`` with the password of its user info (if any) replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    userinfo, at, hosts = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hosts}"


Port = Annotated[int, BeforeValidator(_parse_port)]
PositiveInt = Annotated[int, BeforeValidator(_parse_positive_int)]
PositiveFloat = Annotated[float, BeforeValidator(_parse_positive_float)]
Flag = Annotated[bool, BeforeValidator(_parse_bool)]
Word = Annotated[str, BeforeValidator(_parse_nonempty)]
Secret = Annotated[SecretStr, BeforeValidator(_parse_secret)]
RateLimitSpec = Annotated[
    RateLimit, BeforeValidator(_parse_rate_limit), PlainSerializer(str, return_type=str)
]
MongoUrl = Annotated[
    str, BeforeValidator(_parse_mongo_url), PlainSerializer(redact_url, return_type=str)
]
RedisUrl = Annotated[
    str, BeforeValidator(_parse_redis_url), PlainSerializer(redact_url, return_type=str)
]
HttpUrl = Annotated[str, BeforeValidator(_parse_http_url)]


class _Group(BaseSettings):
    """Base of every settings group: frozen, fed only by :func:`load` (not by the process)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class ApiSettings(_Group):
    """The HTTP server and its per-address rate limits."""

    host: Word = Field(default="0.0.0.0", validation_alias=AliasChoices("SERVICE_HOST"))  # noqa: S104
    port: Port = Field(default=8096, validation_alias=AliasChoices("SERVICE_PORT", "STAKING_PORT"))
    workers: PositiveInt = Field(default=1, validation_alias=AliasChoices("WORKERS"))
    rate_limit_write: RateLimitSpec = Field(
        default=RateLimit(requests=30, period_s=60),
        validation_alias=AliasChoices("STAKING_RATE_LIMIT_WRITE"),
    )
    rate_limit_read: RateLimitSpec = Field(
        default=RateLimit(requests=600, period_s=60),
        validation_alias=AliasChoices("STAKING_RATE_LIMIT_READ"),
    )


class MongoSettings(_Group):
    """The MongoDB deployment that holds every record (the durable source of truth)."""

    url: MongoUrl = Field(
        default="mongodb://127.0.0.1:27017",
        validation_alias=AliasChoices("MONGODB_URL"),
        repr=False,
    )
    database: Annotated[str, BeforeValidator(_parse_database)] = Field(
        default="tron_staking",
        validation_alias=AliasChoices("STAKING_MONGO_DATABASE", "MONGODB_DATABASE"),
    )
    timeout_s: PositiveFloat = Field(
        default=5.0, validation_alias=AliasChoices("STAKING_MONGO_TIMEOUT_S")
    )


class RedisSettings(_Group):
    """The optional Redis (cache, wake-ups, shared rate buckets); ``url`` None = disabled."""

    url: RedisUrl | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL"), repr=False
    )
    timeout_s: PositiveFloat = Field(
        default=0.5, validation_alias=AliasChoices("STAKING_REDIS_TIMEOUT_S")
    )
    ttl_staking_stats_s: PositiveInt = Field(
        default=30, validation_alias=AliasChoices("STAKING_CACHE_TTL_STAKING_STATS_S")
    )
    ttl_rewards_s: PositiveInt = Field(
        default=60, validation_alias=AliasChoices("STAKING_CACHE_TTL_REWARDS_S")
    )
    ttl_resource_info_s: PositiveInt = Field(
        default=30, validation_alias=AliasChoices("STAKING_CACHE_TTL_RESOURCE_INFO_S")
    )


class ChainSettings(_Group):
    """The TRON full node (or TronGrid); ``http_endpoint`` None = the embedded devnet in dev."""

    http_endpoint: HttpUrl | None = Field(
        default=None, validation_alias=AliasChoices("TRON_HTTP_ENDPOINT")
    )
    api_key: Secret | None = Field(
        default=None, validation_alias=AliasChoices("TRON_API_KEY", "TRONGRID_API_KEY")
    )
    qps: PositiveFloat = Field(default=10.0, validation_alias=AliasChoices("STAKING_CHAIN_QPS"))
    timeout_s: PositiveFloat = Field(
        default=10.0, validation_alias=AliasChoices("STAKING_CHAIN_TIMEOUT_S")
    )


ChaosStep = Literal["after_record", "after_sign", "after_broadcast", "after_include"]
"""The steps of the transaction pipeline ``STAKING_CHAOS_CRASH_AT`` may name (the values of
``controller.chaos.CrashPoint``)."""


def _step_name(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _default_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ControllerSettings(_Group):
    """The reconciliation loop: worker pool, leases, resync and transaction expiration."""

    enabled: Flag = Field(default=True, validation_alias=AliasChoices("STAKING_CONTROLLER_ENABLED"))
    workers: PositiveInt = Field(default=4, validation_alias=AliasChoices("STAKING_WORKERS"))
    resync_interval_s: PositiveFloat = Field(
        default=300.0, validation_alias=AliasChoices("STAKING_RESYNC_INTERVAL_S")
    )
    poll_interval_s: PositiveFloat = Field(
        default=1.0, validation_alias=AliasChoices("STAKING_POLL_INTERVAL_S")
    )
    block_interval_s: float = Field(
        default=3.0, ge=0.1, validation_alias=AliasChoices("STAKING_BLOCK_INTERVAL_S")
    )
    lease_ttl_s: PositiveFloat = Field(
        default=30.0, validation_alias=AliasChoices("STAKING_LEASE_TTL_S")
    )
    tx_expiration_s: Annotated[int, BeforeValidator(_parse_expiration_s)] = Field(
        default=60, validation_alias=AliasChoices("STAKING_TX_EXPIRATION_S")
    )
    min_claim_sun: NonNegativeInt = Field(
        default=1_000_000, validation_alias=AliasChoices("STAKING_MIN_CLAIM_SUN")
    )
    replica_id: Word = Field(
        default_factory=_default_replica_id, validation_alias=AliasChoices("STAKING_REPLICA_ID")
    )
    chaos_crash_at: Annotated[ChaosStep | None, BeforeValidator(_step_name)] = Field(
        default=None, validation_alias=AliasChoices("STAKING_CHAOS_CRASH_AT")
    )
    """Chaos testing only, off by default: ``serve`` exits at once the first time the
    pipeline reaches this step (see ``tron_staking.controller.chaos``). Never in production."""


class AuthSettings(_Group):
    """JWT verification for the API: an HS256 secret or an RS256/ES256 public key."""

    jwt_secret: Annotated[SecretStr, BeforeValidator(_parse_jwt_secret)] | None = Field(
        default=None, validation_alias=AliasChoices("STAKING_JWT_SECRET")
    )
    jwt_public_key: Annotated[str, BeforeValidator(_parse_pem_public_key)] | None = Field(
        default=None, validation_alias=AliasChoices("STAKING_JWT_PUBLIC_KEY")
    )
    jwt_issuer: str | None = Field(
        default=None, validation_alias=AliasChoices("STAKING_JWT_ISSUER")
    )
    jwt_audience: str | None = Field(
        default=None, validation_alias=AliasChoices("STAKING_JWT_AUDIENCE")
    )


class KeySettings(_Group):
    """The key-encryption key of the keystore, given inline or as a mounted secret file."""

    kek: Secret | None = Field(default=None, validation_alias=AliasChoices("STAKING_KEK"))
    kek_file: Path | None = Field(default=None, validation_alias=AliasChoices("STAKING_KEK_FILE"))


class LoggingSettings(_Group):
    """Structured logging: the level and the renderer (JSON lines, or console for humans)."""

    level: Annotated[str, BeforeValidator(_parse_log_level)] = Field(
        default="INFO", validation_alias=AliasChoices("LOG_LEVEL")
    )
    format: Annotated[Literal["json", "console"], BeforeValidator(_parse_log_format)] = Field(
        default="json", validation_alias=AliasChoices("STAKING_LOG_FORMAT")
    )


class Settings(pydantic.BaseModel):
    """Every setting of the service, grouped; built by :func:`load` and never changed."""

    model_config = pydantic.ConfigDict(frozen=True)

    api: ApiSettings
    mongo: MongoSettings
    redis: RedisSettings
    chain: ChainSettings
    controller: ControllerSettings
    auth: AuthSettings
    keys: KeySettings
    logging: LoggingSettings

    def redacted(self) -> dict[str, Any]:
        """The effective configuration as JSON-ready data, secrets masked (for ``config``)."""
        return self.model_dump(mode="json")


_GroupT = TypeVar("_GroupT", bound=_Group)


def variables(group: type[_Group]) -> dict[str, tuple[str, ...]]:
    """Map each field of ``group`` to the variables it is read from, in precedence order."""
    names: dict[str, tuple[str, ...]] = {}
    for field_name, info in group.model_fields.items():
        alias = info.validation_alias
        assert isinstance(alias, AliasChoices)
        names[field_name] = tuple(str(choice) for choice in alias.choices)
    return names


def _mentions(annotation: object, wanted: type) -> bool:
    """Whether ``wanted`` occurs in ``annotation`` (through unions and ``Annotated``)."""
    return annotation is wanted or any(_mentions(arg, wanted) for arg in get_args(annotation))


def _build(group: type[_GroupT], env: Mapping[str, str]) -> _GroupT:
    given: dict[str, Any] = {}
    used: dict[str, str] = {}  # field name -> the variable its value came from
    for field_name, names in variables(group).items():
        for name in names:
            value = env.get(name)
            if value is not None and value.strip():
                given[name] = value
                used[field_name] = name
                break
    try:
        return group(**given)
    except pydantic.ValidationError as exc:
        raise _configuration_error(group, exc, given, used) from exc


def _configuration_error(
    group: type[_Group],
    exc: pydantic.ValidationError,
    given: Mapping[str, str],
    used: Mapping[str, str],
) -> ConfigurationError:
    error = exc.errors(include_url=False)[0]
    location = str(error["loc"][0]) if error["loc"] else ""
    field_name = next(
        (name for name, names in variables(group).items() if location in (name, *names)),
        location,
    )
    variable = used.get(field_name, location)
    message = str(error["msg"]).removeprefix("Value error, ")
    info = group.model_fields.get(field_name)
    raw = given.get(variable)
    if raw is None or (info is not None and _mentions(info.annotation, SecretStr)):
        return ConfigurationError(f"invalid {variable}: {message}")
    return ConfigurationError(f"invalid {variable}: {message} (got {redact_url(raw)!r})")


def load(env: Mapping[str, str]) -> Settings:
    """Build the settings from ``env`` (the CLI passes ``os.environ``).

    Raises ConfigurationError with one line naming the first invalid variable; the CLI prints
    it and exits 2.
    """
    settings = Settings(
        api=_build(ApiSettings, env),
        mongo=_build(MongoSettings, env),
        redis=_build(RedisSettings, env),
        chain=_build(ChainSettings, env),
        controller=_build(ControllerSettings, env),
        auth=_build(AuthSettings, env),
        keys=_build(KeySettings, env),
        logging=_build(LoggingSettings, env),
    )
    if settings.auth.jwt_secret is not None and settings.auth.jwt_public_key is not None:
        raise ConfigurationError(
            "invalid STAKING_JWT_PUBLIC_KEY: set STAKING_JWT_SECRET or STAKING_JWT_PUBLIC_KEY,"
            " not both"
        )
    if settings.keys.kek is not None and settings.keys.kek_file is not None:
        raise ConfigurationError(
            "invalid STAKING_KEK_FILE: set STAKING_KEK or STAKING_KEK_FILE, not both"
        )
    return settings
