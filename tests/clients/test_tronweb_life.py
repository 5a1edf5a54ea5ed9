"""TronWeb 6 runs a whole staking life against a devnet started by the test (plan in life.py).

The test starts the devnet in-process and runs ``node tronweb/life.mjs <url> <keys…>`` as a
subprocess: TronWeb builds every transaction locally with its own builders (reference block
from ``wallet/getblock``) and ``trx.sendTransaction``, signs with ``trx.sign`` and sends with
``trx.sendRawTransaction``; the script fails unless its txid and ``raw_data_hex`` equal the
devnet's for every transaction. Here the test checks the exit code, the exact amounts of
every step (life.check_life), that every contract type of the life went through TronWeb, and
that the devnet packed each txid exactly once.

TronWeb comes from npm at the version locked in tronweb/package-lock.json, installed into a
cache folder keyed by the lock file's hash (``make test`` does it first; this test installs it
when it is missing). Node.js must be installed: the test fails, never skips, without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import anyio
import pytest
from tronpy.keys import PrivateKey

from tests.clients import life
from tests.support.devnet import Devnet

pytestmark = pytest.mark.integration

TRONWEB_DIR = Path(__file__).parent / "tronweb"
SCRIPT = TRONWEB_DIR / "life.mjs"
LOCK_FILE = TRONWEB_DIR / "package-lock.json"
NODE_MAJOR_MIN = 18  # global fetch
SCRIPT_TIMEOUT_S = 90.0
INSTALL_TIMEOUT_S = 300.0


def tronweb_prefix() -> Path:
    """Where TronWeb's node_modules live: ``TRONWEB_PREFIX``, or a cache folder named by the
    lock file's hash (the Makefile computes the same path)."""
    configured = os.environ.get("TRONWEB_PREFIX")
    if configured:
        return Path(configured)
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()[:16]
    return cache_home / "tron-staking" / f"tronweb-{digest}"


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(
            f"{tool} is not installed: the TronWeb client test needs Node.js >= "
            f"{NODE_MAJOR_MIN} with npm (.ci/run installs them; locally: "
            "apt-get install nodejs npm)"
        )
    return found


def _install(prefix: Path) -> None:
    """``npm ci`` of the locked TronWeb into ``prefix``; fails the test with npm's output."""
    npm = _require("npm")
    prefix.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(TRONWEB_DIR / name, prefix / name)
    result = subprocess.run(
        [npm, "ci", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-update-notifier"],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"npm ci of TronWeb failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def node() -> str:
    """The ``node`` executable (at least NODE_MAJOR_MIN)."""
    executable = _require("node")
    version = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    major = int(version.lstrip("v").split(".")[0])
    if major < NODE_MAJOR_MIN:
        pytest.fail(f"node {version} is too old; the TronWeb test needs >= {NODE_MAJOR_MIN}")
    return executable


@pytest.fixture(scope="session")
def tronweb(node: str) -> Path:
    """The npm prefix holding the locked TronWeb, installed if missing."""
    prefix = tronweb_prefix()
    if not (prefix / "node_modules" / "tronweb" / "package.json").is_file():
        _install(prefix)
    return prefix


@pytest.mark.anyio
async def test_tronweb_runs_a_whole_staking_life(devnet: Devnet, node: str, tronweb: Path) -> None:
    witnesses = await _witnesses(devnet)
    # A fresh devnet's head is the genesis block, whose JSON has no "number" (0 is omitted, as
    # java-tron prints it) and TronWeb cannot take a reference block from it (docs/devnet.md,
    # test_tronweb_cannot_build_on_the_genesis_head): start from block 1.
    await devnet.mine(1)
    result = await _run_life(node, tronweb, devnet, witnesses)
    assert result.returncode == 0, f"life.mjs failed:\n{result.stderr}"
    output = json.loads(result.stdout.strip().splitlines()[-1])

    steps = [life.Step(**step) for step in output["steps"]]
    life.check_life(steps, witnesses, await life.reward_facts(devnet.post, steps))

    sent = output["transactions"]
    assert {entry["type"] for entry in sent} == life.EVERY_CONTRACT_TYPE
    sent_txids = [entry["txid"] for entry in sent]
    assert sent_txids == [txid for step in steps for txid in step.txids]
    packed = (await devnet.get("devnet/transactions"))["transactions"]
    assert sorted(entry["txid"] for entry in packed) == sorted(sent_txids)  # each exactly once


async def _witnesses(devnet: Devnet) -> list[str]:
    listed = await devnet.post("wallet/listwitnesses", {"visible": True})
    return sorted(witness["address"] for witness in listed["witnesses"])[:2]


async def _run_life(
    node: str, tronweb: Path, devnet: Devnet, witnesses: list[str]
) -> subprocess.CompletedProcess[str]:
    """``node life.mjs`` on ``devnet`` (the devnet serves from its own thread meanwhile)."""
    owner_key = devnet.accounts[0].private_key
    command = [node, str(SCRIPT), devnet.url, owner_key, _fresh_receiver(), *witnesses]
    env = {**os.environ, "TRONWEB_PREFIX": str(tronweb)}
    with anyio.fail_after(SCRIPT_TIMEOUT_S):
        done = await anyio.run_process(command, check=False, env=env)
    return subprocess.CompletedProcess(
        command, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def _fresh_receiver() -> str:
    """An address no genesis account uses (the transfer creates it)."""
    key = PrivateKey(hashlib.sha256(b"tronweb life receiver").digest())
    address: str = key.public_key.to_base58check_address()
    return address


@pytest.mark.anyio
async def test_tronweb_cannot_build_on_the_genesis_head(
    devnet: Devnet, node: str, tronweb: Path
) -> None:
    """docs/devnet.md: the chain starts at block 0, whose JSON has no ``number`` (as java-tron
    prints a genesis block), so TronWeb's reference-block lookup fails until a block is mined.
    If the devnet ever starts above block 0, change the docs and this test together."""
    result = await _run_life(node, tronweb, devnet, await _witnesses(devnet))
    assert result.returncode == 1
    assert "Unable to get params" in result.stderr
    assert (await devnet.get("devnet/transactions"))["transactions"] == []
