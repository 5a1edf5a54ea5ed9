"""The image's entrypoint, ``python -m tron_staking serve``, honours the seed's variables
(SERVICE_HOST, SERVICE_PORT over STAKING_PORT, WORKERS, LOG_LEVEL), and the image's
HEALTHCHECK command succeeds against it and fails when nothing answers.

Runs the entrypoint module as a process against the session's MongoDB-protocol server, with
the API role (no chain needed). The HEALTHCHECK command is taken from the Dockerfile as is,
with the venv's interpreter path replaced by this one.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from tests.deploy import dockerfile, tools
from tests.support import servers

pytestmark = pytest.mark.integration

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


class Entrypoint:
    """One ``python -m tron_staking serve`` process; its output goes to ``log``."""

    def __init__(self, env: Mapping[str, str], log: Path) -> None:
        self.env = dict(env)
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tron_staking", "serve", "--role", "api"],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=tools.ROOT,
            )

    def wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"not ready on {port} within {START_TIMEOUT_S} s:\n{self.log.read_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT_S)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def log_events(self) -> list[dict[str, object]]:
        """The JSON log lines written so far."""
        events = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                events.append(json.loads(line))
        return events


@pytest.fixture
def base_env(mongo_url: str) -> dict[str, str]:
    env = servers.environment_without_service_variables()
    env.update(
        {
            "MONGODB_URL": mongo_url,
            "STAKING_MONGO_DATABASE": f"test_{uuid.uuid4().hex[:16]}",
            "STAKING_CONTROLLER_ENABLED": "false",
            "STAKING_LOG_FORMAT": "json",
            "SERVICE_HOST": "127.0.0.1",
            # The API validates against the chain; nothing connects to it at start-up.
            "TRON_HTTP_ENDPOINT": "http://127.0.0.1:9",
        }
    )
    return env


@pytest.fixture
def processes() -> Iterator[list[Entrypoint]]:
    started: list[Entrypoint] = []
    yield started
    for process in started:
        process.kill()


def _healthcheck(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """The Dockerfile's HEALTHCHECK command, run here with ``env``."""
    (instruction,) = [
        i
        for i in dockerfile.instructions(tools.ROOT / "Dockerfile.trx-staking")
        if i.keyword == "HEALTHCHECK"
    ]
    argv = instruction.exec_form()
    assert argv[0] == "/opt/venv/bin/python"
    return subprocess.run(
        [sys.executable, *argv[1:]],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _refuses(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2)
    except httpx.ConnectError:
        return True
    return False


def test_service_port_wins_and_log_level_filters(
    base_env: dict[str, str], processes: list[Entrypoint], tmp_path: Path
) -> None:
    staking_port, service_port = servers.free_port(), servers.free_port()
    env = {
        **base_env,
        "STAKING_PORT": str(staking_port),
        "SERVICE_PORT": str(service_port),
        "WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }
    entrypoint = Entrypoint(env, tmp_path / "serve.log")
    processes.append(entrypoint)
    entrypoint.wait_ready(service_port)
    assert _refuses(staking_port)
    probe = _healthcheck(env)
    assert probe.returncode == 0, probe.stderr
    assert entrypoint.stop() == 0
    levels = {event.get("level") for event in entrypoint.log_events()}
    assert levels <= {"warning", "error", "critical"}, entrypoint.log.read_text()


def test_staking_port_and_info_logs_without_service_port(
    base_env: dict[str, str], processes: list[Entrypoint], tmp_path: Path
) -> None:
    staking_port = servers.free_port()
    env = {**base_env, "STAKING_PORT": str(staking_port), "LOG_LEVEL": "INFO"}
    entrypoint = Entrypoint(env, tmp_path / "serve.log")
    processes.append(entrypoint)
    entrypoint.wait_ready(staking_port)
    assert entrypoint.stop() == 0
    serving = [e for e in entrypoint.log_events() if e.get("event") == "serving"]
    assert [(e.get("level"), e.get("port")) for e in serving] == [("info", staking_port)]


def test_healthcheck_fails_when_nothing_answers(base_env: dict[str, str]) -> None:
    probe = _healthcheck({**base_env, "SERVICE_PORT": str(servers.free_port())})
    assert probe.returncode != 0
    assert "ConnectionRefusedError" in probe.stderr or "URLError" in probe.stderr


def test_an_invalid_workers_count_stops_the_entrypoint(base_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tron_staking", "serve"],
        env={**base_env, "WORKERS": "0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid WORKERS: must be a positive integer")
