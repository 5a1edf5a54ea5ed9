"""What ``tron-staking dev`` prints once the stack is up: the URLs, the admin token, three
ready-to-paste ``curl`` commands and the demo addresses (never their keys). Pure text.

The commands run in bash as printed: the first exports the token, declares a position (an
``Idempotency-Key`` makes pasting it twice safe) and keeps its id in ``$POS``; the second
follows the position's event stream until its ``Ready`` condition turns True; the third lists
its transitions.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Sequence

API_PREFIX = "/api/v1/tron/staking"
DEMO_AMOUNT_TRX = "1000"
READY_PATTERN = '"type": "Ready", "status": "True"'
"""How a Ready=True condition event looks in the stream (``json.dumps`` spacing)."""


@dataclasses.dataclass(frozen=True)
class Demo:
    api_url: str
    devnet_url: str
    mongo_url: str
    token: str
    addresses: Sequence[str]
    """The devnet's funded demo accounts; the first owns the demo position, the second
    receives its delegation."""
    witnesses: Sequence[str]
    """Two current witnesses of the devnet."""
    python: str
    """The interpreter that extracts the id from the create response."""
    logs: str


def position_body(demo: Demo) -> dict[str, object]:
    """The demo declaration: 1000 TRX for ENERGY, votes 70/30, delegated to a demo address."""
    return {
        "owner": demo.addresses[0],
        "resource": "ENERGY",
        "amount_trx": DEMO_AMOUNT_TRX,
        "votes": [
            {"witness": demo.witnesses[0], "weight": 70},
            {"witness": demo.witnesses[1], "weight": 30},
        ],
        "delegate": {"receiver": demo.addresses[1]},
        "labels": {"source": "make-dev"},
    }


def commands(demo: Demo) -> list[str]:
    """The three commands (the first also exports ``TOKEN``), each one line of bash."""
    auth = '-H "Authorization: Bearer $TOKEN"'
    positions = f"{demo.api_url}{API_PREFIX}/positions"
    body = shlex.quote(json.dumps(position_body(demo), separators=(",", ":")))
    extract = shlex.quote('import json,sys; print(json.load(sys.stdin)["id"])')
    declare = (
        f"export TOKEN={shlex.quote(demo.token)}; "
        f"POS=$(curl -fsS -X POST {positions} {auth} -H 'Content-Type: application/json' "
        f"-H 'Idempotency-Key: make-dev-demo' -d {body} | {shlex.quote(demo.python)} -c {extract})"
        ' && echo "declared $POS"'
    )
    until_ready = shlex.quote(f"/{READY_PATTERN}/q")
    follow = f'curl -sN {auth} "{positions}/$POS/events" | sed -u {until_ready}'
    transitions = f'curl -fsS {auth} "{positions}/$POS/transitions"'
    return [declare, follow, transitions]


def render(demo: Demo) -> str:
    """The whole banner."""
    declare, follow, transitions = commands(demo)
    lines = [
        "",
        "tron-staking dev is ready",
        f"  API      {demo.api_url}{API_PREFIX}",
        f"  docs     {demo.api_url}/docs",
        f"  health   {demo.api_url}/health",
        f"  devnet   {demo.devnet_url}",
        f"  mongodb  {demo.mongo_url}",
        f"  logs     {demo.logs}",
        "",
        "admin token (staking:admin):",
        f"  {demo.token}",
        "",
        "paste into bash:",
        "# 1. declare a position: 1000 TRX for ENERGY, votes 70/30, energy delegated",
        declare,
        "# 2. follow its events until it is Ready",
        follow,
        "# 3. list its state transitions",
        transitions,
        "",
        "demo addresses (funded with 1,000,000 TRX; keys in the keystore):",
        *(f"  {address}" for address in demo.addresses),
        f"witnesses used above: {', '.join(demo.witnesses)}",
        "",
        "progress (Ctrl-C stops everything):",
    ]
    return "\n".join(lines)
