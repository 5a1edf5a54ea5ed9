"""The watch acceptance end to end: ``tron-staking serve --role all`` as a process (the API and
the real controller loop, as the service composes them) over a devnet producing blocks on its
own with a small solid lag. A position is declared through the API and followed on its event
stream until Ready: every transition pending → frozen → voting → delegated arrives once and
in order, with the txid and block of a transaction the devnet packed; the client then
disconnects in the middle, resumes with ``Last-Event-ID`` and misses nothing, twice nothing."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.api import harness
from tests.api.test_watch import Event, by_kind, follow
from tests.support import servers
from tests.support.devnet import Devnet
from tron_staking import settings
from tron_staking.api import tokens
from tron_staking.signer.kek import Kek
from tron_staking.signer.keystore import Keystore
from tron_staking.store.client import MongoStore

pytestmark = pytest.mark.anyio

P = "/api/v1/tron/staking"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0
CONVERGE_TIMEOUT_S = 120.0
SUN = 1_000_000
STAGES = [
    ("pending", "frozen", "freeze_included", "FreezeBalanceV2Contract"),
    ("frozen", "voting", "vote_included", "VoteWitnessContract"),
    ("voting", "delegated", "delegate_included", "DelegateResourceContract"),
]


@pytest.fixture
def devnet_options() -> dict[str, Any]:
    """Blocks every 300 ms of wall time; a block is solid 3 blocks later."""
    return {"block_interval_ms": 300, "solid_lag": 3}


class Serve:
    """``serve --role all`` as a child process; its output goes to ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = servers.free_port()
        self.log = log
        self.auth = settings.load(env).auth
        environment = servers.environment_without_service_variables()
        environment.update(
            {
                **env,
                "SERVICE_PORT": str(self.port),
                "SERVICE_HOST": "127.0.0.1",
                "STAKING_POLL_INTERVAL_S": "0.2",
                "STAKING_BLOCK_INTERVAL_S": "0.3",
                "STAKING_LOG_FORMAT": "json",
            }
        )
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tron_staking", "serve", "--role", "all"],
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> None:
        assert self.process.poll() is None, self.log.read_text()[-4000:]

    async def wait_ready(self) -> None:
        with anyio.fail_after(START_TIMEOUT_S):
            async with httpx.AsyncClient(timeout=5.0) as http:
                while True:
                    self.running()
                    try:
                        if (await http.get(self.url + "/health/ready")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await anyio.sleep(0.2)

    def token(self, *wallets: str) -> str:
        return tokens.mint(
            self.auth,
            subject="alice",
            wallets=list(wallets),
            scope="staking:read staking:write",
            ttl_s=3600,
            now=dt.datetime.now(dt.UTC),
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture
def kek_text() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def serve(
    mongo_settings: settings.MongoSettings,
    redis_url: str,
    devnet: Devnet,
    kek_text: str,
    tmp_path: Path,
) -> Iterator[Serve]:
    env = harness.env_for(mongo_settings, redis_url, devnet.url, STAKING_KEK=kek_text)
    process = Serve(env, tmp_path / "serve.log")
    try:
        yield process
    finally:
        process.stop()


def has_transition(to_state: str) -> Callable[[list[Event]], bool]:
    return lambda events: any(
        kind == "transition" and data["to"] == to_state for _, kind, data in events
    )


def ready_and_delegated(events: list[Event]) -> bool:
    ready = [d["status"] for _, kind, d in events if kind == "condition" and d["type"] == "Ready"]
    return has_transition("delegated")(events) and bool(ready) and ready[-1] == "True"


async def test_declare_follow_to_ready_disconnect_and_resume_missing_nothing(
    serve: Serve, store: MongoStore, devnet: Devnet, kek_text: str
) -> None:
    owner, receiver = devnet.accounts[0], devnet.accounts[1]
    witness = devnet.witnesses[0].address
    keystore = Keystore(store.signing_keys, Kek.from_base64(kek_text))
    await keystore.import_key(owner.private_key, at=dt.datetime.now(dt.UTC))
    start_block = (await devnet.state())["head"]["number"]
    await serve.wait_ready()
    auth = harness.bearer(serve.token(owner.address))
    async with httpx.AsyncClient(base_url=serve.url, timeout=30.0) as client:
        created = await client.post(
            P + "/positions",
            json={"owner": owner.address, "resource": "ENERGY", "amount_sun": 50 * SUN,
                  "votes": [{"witness": witness, "weight": 1}],
                  "delegate": {"receiver": receiver.address, "lock": False}},
            headers=auth,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        pid = created.json()["id"]
        url = f"{P}/positions/{pid}/events"
        with anyio.fail_after(CONVERGE_TIMEOUT_S):
            # Follow until the freeze landed, go away until the vote landed too, come back.
            first = await follow_live(client, url, auth, has_transition("frozen"), serve)
            assert not has_transition("voting")(first)
            while not any(t["to"] == "voting" for t in await store.transitions.list(pid)):
                serve.running()
                await anyio.sleep(0.2)
            second = await follow_live(
                client, url, {**auth, "Last-Event-ID": first[-1][0]}, ready_and_delegated, serve
            )
            followed = first + second
            seen = {kind: len(events) for kind, events in by_kind(followed).items()}

            def as_many(events: list[Event]) -> bool:
                got = by_kind(events)
                return all(len(got.get(kind, [])) >= n for kind, n in seen.items())

            replay = await follow_live(client, url, auth, as_many, serve)
        serve.running()

    ids = [event_id for event_id, _, _ in followed]
    assert len(set(ids)) == len(ids)
    # What a client saw across the disconnection is what one that never left sees, kind by
    # kind (where the two stop within one look, and how kinds interleave, may differ).
    replayed = {kind: events[: seen.get(kind, 0)] for kind, events in by_kind(replay).items()}
    assert replayed == by_kind(followed)

    transitions = by_kind(followed)["transition"]
    assert transitions[0]["trigger"] == "spec_declared"
    assert [(t["from"], t["to"], t["trigger"]) for t in transitions[1:]] == [
        (f, t, trigger) for f, t, trigger, _ in STAGES
    ]
    listing = await devnet.get(
        "devnet/transactions", {"owner": owner.address, "since_block": start_block}
    )
    packed = {tx["txid"]: tx for tx in listing["transactions"]}
    operations = by_kind(followed)["operation"]
    for transition, (_, _, _, contract) in zip(transitions[1:], STAGES, strict=True):
        tx = packed[transition["txid"]]
        assert tx["type"] == contract
        assert transition["block"] == tx["block"]
        landed = [
            op["block"]
            for op in operations
            if op["txid"] == transition["txid"] and op["state"] in ("included", "solidified")
        ]
        assert set(landed) == {tx["block"]}
    # Each operation's states arrive once each, in the machine's order (no reorg here).
    order = ["recorded", "broadcast", "included", "solidified", "rejected", "expired"]
    for op_id in {op["id"] for op in operations}:
        states = [op["state"] for op in operations if op["id"] == op_id]
        assert len(states) == len(set(states))
        assert states == sorted(states, key=order.index)
    ready = [c for c in by_kind(followed)["condition"] if c["type"] == "Ready"]
    assert ready[-1]["status"] == "True"
    assert ready.count(ready[-1]) == 1


async def follow_live(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    until: Callable[[list[Event]], bool],
    serve: Serve,
) -> list[Event]:
    serve.running()
    return await follow(client, url, headers, until)
