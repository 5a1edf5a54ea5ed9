"""The ``tron-staking`` command line, and the only module that reads argv and the environment.

Each command builds the settings once with :func:`tron_staking.settings.load` from
``os.environ``, configures logging, builds what it needs and passes the settings down.
Commands of this build: ``migrate``, ``config``, ``version``, ``keys import|list|remove``,
``serve --role controller|api|all``, ``dev``.

Exit codes: 0 success; 1 a dependency failed (MongoDB unreachable, an index in the way);
2 invalid configuration or usage. Known failures print one ``error: ...`` line on stderr,
never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import anyio
import typer

from tron_staking import __version__, service, settings
from tron_staking.api import tokens
from tron_staking.controller import chaos
from tron_staking.devstack import stack
from tron_staking.domain import addresses
from tron_staking.domain.addresses import Address
from tron_staking.errors import (
    ConfigurationError,
    DuplicateKeyError,
    StakingError,
    StoreUnavailableError,
    ValidationError,
)
from tron_staking.observability import logging
from tron_staking.signer import kek
from tron_staking.signer.keystore import Keystore
from tron_staking.store import client, clock, indexes, translate

app = typer.Typer(
    name="tron-staking",
    help="Declarative staking controller for TRON Stake 2.0.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _load_settings() -> settings.Settings:
    try:
        return settings.load(os.environ)
    except ConfigurationError as exc:
        raise _fail(str(exc), 2) from None


async def _ensure_indexes(config: settings.Settings) -> list[indexes.IndexReport]:
    async with client.MongoStore.connect(config.mongo, clock.WallClock()) as store:
        await store.ping()
        return await store.ensure_indexes()


@app.command()
def migrate() -> None:
    """Create every MongoDB index against MONGODB_URL (idempotent); print what was done."""
    config = _load_settings()
    logging.configure(config.logging)
    try:
        reports = anyio.run(_ensure_indexes, config)
    except StoreUnavailableError as exc:
        url = settings.redact_url(config.mongo.url)
        cause = translate.summarize(exc.__cause__ or exc)
        raise _fail(f"MongoDB at {url} is unreachable: {cause}", 1) from None
    except StakingError as exc:
        raise _fail(str(exc), 1) from None
    for report in reports:
        typer.echo(f"{report.action:<8} {report.collection}.{report.index}")
    created = sum(report.action == "created" for report in reports)
    typer.echo(
        f"migrate: database {config.mongo.database}: {created} indexes created, "
        f"{len(reports) - created} already present"
    )


@app.command()
def config() -> None:
    """Print the effective configuration as JSON, secrets redacted."""
    typer.echo(json.dumps(_load_settings().redacted(), indent=2))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"tron-staking {__version__}")


keys_app = typer.Typer(
    help="Signing keys, stored encrypted under the KEK (STAKING_KEK or STAKING_KEK_FILE).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


def _store_unreachable(config: settings.Settings, exc: StoreUnavailableError) -> typer.Exit:
    url = settings.redact_url(config.mongo.url)
    return _fail(f"MongoDB at {url} is unreachable: {translate.summarize(exc.__cause__ or exc)}", 1)


def _read_private_key(file: Path | None) -> str:
    """The private key text from ``file``, from a hidden prompt on a terminal, or from stdin."""
    if file is not None:
        try:
            return file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(f"cannot read {file}: {type(exc).__name__}", 2) from None
    if sys.stdin.isatty():
        return getpass.getpass("private key (64 hex digits): ")
    return sys.stdin.read()


async def _import_key(config: settings.Settings, keystore_kek: kek.Kek, key_text: str) -> Address:
    async with client.MongoStore.connect(config.mongo, clock.WallClock()) as store:
        await store.ensure_indexes()
        keystore = Keystore(store.signing_keys, keystore_kek)
        return await keystore.import_key(key_text, at=dt.datetime.now(dt.UTC))


@keys_app.command("import")
def keys_import(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Read the key from this file instead of stdin."),
    ] = None,
) -> None:
    """Encrypt and store a private key (64 hex digits from stdin or --file, never argv);
    print the address it controls."""
    config = _load_settings()
    try:
        keystore_kek = kek.load(config.keys)
    except ConfigurationError as exc:
        raise _fail(str(exc), 2) from None
    known_secrets = [*logging.secret_values(config), keystore_kek.base64()]
    logging.configure(config.logging, known_secrets=known_secrets)
    key_text = _read_private_key(file)
    try:
        address = anyio.run(_import_key, config, keystore_kek, key_text)
    except ValidationError as exc:
        raise _fail(str(exc), 2) from None
    except DuplicateKeyError as exc:
        raise _fail(f"{exc}; remove it first with: tron-staking keys remove ADDRESS", 1) from None
    except StoreUnavailableError as exc:
        raise _store_unreachable(config, exc) from None
    except StakingError as exc:
        raise _fail(str(exc), 1) from None
    typer.echo(address)


async def _list_addresses(config: settings.Settings) -> list[str]:
    async with client.MongoStore.connect(config.mongo, clock.WallClock()) as store:
        return await store.signing_keys.addresses()


@keys_app.command("list")
def keys_list() -> None:
    """Print the address of every stored key, one per line (never the keys)."""
    config = _load_settings()
    logging.configure(config.logging, known_secrets=logging.secret_values(config))
    try:
        found = anyio.run(_list_addresses, config)
    except StoreUnavailableError as exc:
        raise _store_unreachable(config, exc) from None
    except StakingError as exc:
        raise _fail(str(exc), 1) from None
    for address in found:
        typer.echo(address)


async def _remove_key(config: settings.Settings, address: Address) -> bool:
    async with client.MongoStore.connect(config.mongo, clock.WallClock()) as store:
        return await store.signing_keys.delete(address)


@keys_app.command("remove")
def keys_remove(address: Annotated[str, typer.Argument(help="The owner address (T...).")]) -> None:
    """Delete the stored key of ADDRESS; exit 1 when it has none."""
    config = _load_settings()
    logging.configure(config.logging, known_secrets=logging.secret_values(config))
    try:
        owner = addresses.parse_address(address)
    except ValidationError as exc:
        raise _fail(str(exc), 2) from None
    try:
        removed = anyio.run(_remove_key, config, owner)
    except StoreUnavailableError as exc:
        raise _store_unreachable(config, exc) from None
    except StakingError as exc:
        raise _fail(str(exc), 1) from None
    if not removed:
        raise _fail(f"no signing key is stored for {owner}", 1)
    typer.echo(f"removed the key of {owner}")


@app.command()
def serve(
    role: Annotated[
        service.Role,
        typer.Option("--role", help="controller (loop + probes), api (HTTP API), or all."),
    ] = service.Role.ALL,
) -> None:
    """Run the controller loop and the HTTP API (per --role) until SIGTERM.

    STAKING_CHAOS_CRASH_AT (chaos testing only, off by default) makes the process exit at one
    step of the transaction pipeline; see tron_staking.controller.chaos."""
    config = _load_settings()
    try:
        crash = chaos.Chaos.parse(config.controller.chaos_crash_at)
    except ConfigurationError as exc:
        raise _fail(str(exc), 2) from None
    known_secrets = logging.secret_values(config)
    with contextlib.suppress(ConfigurationError):  # without a KEK, serve runs keyless
        known_secrets.append(kek.load(config.keys).base64())
    logging.configure(config.logging, known_secrets=known_secrets)
    try:
        anyio.run(service.serve, config, role, crash)
    except ConfigurationError as exc:
        raise _fail(str(exc), 2) from None
    except StoreUnavailableError as exc:
        raise _store_unreachable(config, exc) from None


@app.command()
def token(
    sub: Annotated[str, typer.Option("--sub", help="The subject the token is for.")],
    wallet: Annotated[
        list[str] | None, typer.Option("--wallet", help="An address the subject owns (repeat).")
    ] = None,
    scope: Annotated[
        str, typer.Option("--scope", help='Scopes, e.g. "staking:read staking:write".')
    ] = "staking:read",
    ttl: Annotated[str, typer.Option("--ttl", help="Lifetime: 90s, 15m, 1h or 7d.")] = "1h",
) -> None:
    """Print an API token (JWT) signed with STAKING_JWT_SECRET, for operators and tests."""
    config = _load_settings()
    try:
        text = tokens.mint(
            config.auth,
            subject=sub,
            wallets=wallet or [],
            scope=scope,
            ttl_s=tokens.parse_ttl(ttl),
            now=dt.datetime.now(dt.UTC),
        )
    except (ValueError, ValidationError, ConfigurationError) as exc:
        raise _fail(str(exc), 2) from None
    typer.echo(text)


@app.command()
def dev(
    fast: Annotated[bool, typer.Option("--fast", help="500 ms blocks instead of 3 s.")] = False,
    seconds: Annotated[
        float | None, typer.Option("--seconds", min=1, help="Stop after this many seconds.")
    ] = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The API's port.")] = 8096,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the data, secrets and logs are kept.")
    ] = Path(".dev"),
) -> None:
    """Run the whole product locally: the devnet, SecantusDB and the service, until Ctrl-C.

    A second run on the same --dir resumes with the positions and the chain of the first."""
    code = stack.run(stack.Options(fast, seconds, port, directory), os.environ)
    if code:
        raise typer.Exit(code)


def main() -> None:
    """Entry point of the ``tron-staking`` script and of ``python -m tron_staking``."""
    app(prog_name="tron-staking")
