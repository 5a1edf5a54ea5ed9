"""The ``tron-devnet`` command as a subprocess: startup lines, serving, SIGTERM, state file."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tron_devnet import crypto

STARTUP_TIMEOUT = 30.0


class DevnetProcess:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next_json(self) -> dict[str, Any]:
        line = self.lines.get(timeout=STARTUP_TIMEOUT)
        assert line is not None, "devnet exited before printing the expected line"
        result: dict[str, Any] = json.loads(line)
        return result

    def startup(self) -> tuple[list[dict[str, Any]], str]:
        accounts: list[dict[str, Any]] = []
        while True:
            entry = self.next_json()
            if entry.get("event") == "ready":
                return accounts, entry["url"]
            accounts.append(entry)

    def terminate(self, signum: int = signal.SIGTERM) -> int:
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=30)
        self._reader.join(5)
        return code


@contextmanager
def devnet_process(*args: str) -> Iterator[DevnetProcess]:
    command = [sys.executable, "-m", "tron_devnet", "--port", "0", *args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        process = DevnetProcess(proc)
        try:
            yield process
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            process._reader.join(5)


def test_starts_prints_accounts_serves_and_stops_on_sigterm() -> None:
    with devnet_process("--accounts", "3", "--seed", "cli-test", "--block-interval-ms", "0") as dn:
        accounts, url = dn.startup()
        assert len(accounts) == 3
        for entry in accounts:
            assert entry["address"].startswith("T")
            assert len(entry["private_key"]) == 64
        with httpx.Client(base_url=url, timeout=10) as client:
            account = client.post(
                "/wallet/getaccount", json={"address": accounts[0]["address"], "visible": True}
            ).json()
            assert account["balance"] == 1_000_000_000_000
            assert client.post("/devnet/mine", json={"blocks": 2}).json()["head"] == 2
        assert dn.terminate() == 0


def test_same_seed_same_accounts() -> None:
    with devnet_process("--accounts", "2", "--seed", "same") as first:
        accounts_a, _ = first.startup()
        assert first.terminate() == 0
    with devnet_process("--accounts", "2", "--seed", "same") as second:
        accounts_b, _ = second.startup()
        assert second.terminate() == 0
    assert accounts_a == accounts_b


def test_state_file_round_trip(tmp_path: Path) -> None:
    state = tmp_path / "devnet-state.json"
    with devnet_process("--state-file", str(state), "--block-interval-ms", "0") as first:
        accounts, url = first.startup()
        with httpx.Client(base_url=url, timeout=10) as client:
            client.post("/devnet/mine", json={"blocks": 5}).raise_for_status()
            client.post(
                "/devnet/fund", json={"address": accounts[0]["address"], "amount_sun": 7}
            ).raise_for_status()
            client.post("/devnet/mine", json={"blocks": 1}).raise_for_status()
            head_id = client.post("/wallet/getnowblock").json()["blockID"]
        assert first.terminate() == 0
    assert state.exists()
    with devnet_process("--state-file", str(state), "--block-interval-ms", "0") as second:
        accounts_again, url = second.startup()
        assert accounts_again == accounts
        with httpx.Client(base_url=url, timeout=10) as client:
            head = client.post("/wallet/getnowblock").json()
            assert head["blockID"] == head_id
            account = client.post(
                "/wallet/getaccount", json={"address": accounts[0]["address"], "visible": True}
            ).json()
            assert account["balance"] == 1_000_000_000_007
        assert second.terminate() == 0


def test_no_admin_flag_and_sigint() -> None:
    with devnet_process("--no-admin", "--accounts", "1") as dn:
        _, url = dn.startup()
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.post("/devnet/mine", json={}).status_code == 404
        assert dn.terminate(signal.SIGINT) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "abc"],
        ["--port", "70000"],
        ["--accounts", "-1"],
        ["--block-interval-ms", "x"],
        ["--bogus"],
        ["--genesis", "/nonexistent/genesis.json"],
    ],
)
def test_bad_flags_exit_2_with_one_line(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tron_devnet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tron-devnet: error: ")


def test_genesis_file(tmp_path: Path) -> None:
    key = crypto.derive_private_key("genesis-file", 0)
    address = crypto.address_to_base58(crypto.private_key_to_address(key))
    witness = crypto.address_to_base58(
        crypto.private_key_to_address(crypto.derive_private_key("genesis-file", 1))
    )
    genesis = {
        "accounts": [{"address": address, "balance_sun": 42_000_000, "private_key": key.hex()}],
        "witnesses": [{"address": witness, "url": "http://w", "vote_count": 10}],
        "chain_parameters": {"getUnfreezeDelayDays": 1},
    }
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(genesis))
    with devnet_process("--genesis", str(path)) as dn:
        accounts, url = dn.startup()
        assert accounts == [{"address": address, "private_key": key.hex()}]
        with httpx.Client(base_url=url, timeout=10) as client:
            params = client.post("/wallet/getchainparameters").json()["chainParameter"]
            assert {"key": "getUnfreezeDelayDays", "value": 1} in params
        assert dn.terminate() == 0
