"""The ``tron-devnet`` command: a local TRON full node simulator on one port.

Prints one JSON line per funded genesis account (``{"address", "private_key"}``), then
``{"event": "ready", "url": …}``, and serves until SIGTERM/SIGINT, after which it stops
cleanly (writing ``--state-file`` when given) and exits 0. Bad flags print one error line and
exit 2.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from tron_devnet import __version__, crypto
from tron_devnet.engine.chain import Chain
from tron_devnet.genesis import Genesis, GenesisError, default_genesis, load_genesis
from tron_devnet.server import DevnetStartError, load_state, start

PROG = "tron-devnet"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _port(text: str) -> int:
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"port must be in 0..65535, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Local TRON full node simulator (Stake 2.0).")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=_port, default=8090, help="port (0 = any free port)")
    parser.add_argument(
        "--block-interval-ms",
        type=_non_negative,
        default=3000,
        help="wall-clock block interval; 0 = blocks only on POST /devnet/mine",
    )
    parser.add_argument("--solid-lag", type=_non_negative, default=19, help="head - solid")
    parser.add_argument("--genesis", type=Path, help="genesis JSON file")
    parser.add_argument("--accounts", type=_non_negative, default=10, help="funded accounts")
    parser.add_argument("--seed", default="tron-devnet", help="seed of the account keys")
    parser.add_argument("--state-file", type=Path, help="snapshot on shutdown, reload at start")
    parser.add_argument("--no-admin", action="store_true", help="disable the /devnet endpoints")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def _print_line(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _fail(code: int, message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    return code


def _user_accounts(genesis: Genesis) -> list[dict[str, str | None]]:
    witnesses = {witness.address for witness in genesis.witnesses}
    return [
        {
            "address": crypto.address_to_base58(account.address),
            "private_key": account.private_key.hex() if account.private_key else None,
        }
        for account in genesis.accounts
        if account.address not in witnesses
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.genesis is not None:
            genesis = load_genesis(args.genesis)
        else:
            genesis = default_genesis(accounts=args.accounts, seed=args.seed)
    except GenesisError as exc:
        return _fail(2, str(exc))
    chain: Chain | None = None
    if args.state_file is not None and args.state_file.exists():
        try:
            chain = load_state(args.state_file)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return _fail(2, f"cannot load state file {args.state_file}: {exc}")
    elif args.state_file is not None and not args.state_file.parent.is_dir():
        return _fail(2, f"state file directory {args.state_file.parent} does not exist")

    stop_requested = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            server = start(
                genesis,
                chain=chain,
                host=args.host,
                port=args.port,
                block_interval_ms=args.block_interval_ms,
                solid_lag=args.solid_lag,
                admin=not args.no_admin,
                state_file=args.state_file,
            )
        except DevnetStartError as exc:
            return _fail(1, str(exc))
        with server:
            for account in _user_accounts(chain.genesis if chain is not None else genesis):
                _print_line(account)
            _print_line({"event": "ready", "url": server.url})
            while not stop_requested.wait(0.5):
                pass
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
