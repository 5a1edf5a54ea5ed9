"""The ``tron-staking`` command line, and the only module that reads argv and the environment.

Each command builds the settings once with :func:`tron_staking.settings.load` from
``os.environ``, configures logging, builds what it needs and passes the settings down.
Commands of this build: ``migrate``, ``config``, ``version``.

Exit codes: 0 success; 1 a dependency failed (MongoDB unreachable, an index in the way);
2 invalid configuration or usage. Known failures print one ``error: ...`` line on stderr,
never a traceback.
"""

from __future__ import annotations

import json
import os

import anyio
import typer

from tron_staking import __version__, settings
from tron_staking.errors import ConfigurationError, StakingError, StoreUnavailableError
from tron_staking.observability import logging
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


def main() -> None:
    """Entry point of the ``tron-staking`` script and of ``python -m tron_staking``."""
    app(prog_name="tron-staking")
