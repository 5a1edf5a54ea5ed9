"""``tron-staking serve`` as a child process for tests: its environment, start, readiness."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import anyio
import httpx

from tests.support import servers
from tron_staking import settings

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


class ServeProcess:
    """A running ``serve --role controller``; its output goes to ``log``."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=5.0) as client:
            return await client.get(f"{self.url}{path}")

    async def wait_ready(self) -> None:
        with anyio.fail_after(START_TIMEOUT_S):
            while True:
                assert self.process.poll() is None, self.log.read_text()
                try:
                    if (await self.get("/health/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await anyio.sleep(0.2)


def start(
    *,
    mongo: settings.MongoSettings,
    redis_url: str | None,
    chain_url: str,
    kek_text: str,
    log: Path,
    extra: Mapping[str, str] | None = None,
) -> ServeProcess:
    port = servers.free_port()
    env = servers.environment_without_service_variables()
    env.update(
        {
            "MONGODB_URL": mongo.url,
            "STAKING_MONGO_DATABASE": mongo.database,
            "TRON_HTTP_ENDPOINT": chain_url,
            "STAKING_KEK": kek_text,
            "SERVICE_PORT": str(port),
            "SERVICE_HOST": "127.0.0.1",
            "STAKING_POLL_INTERVAL_S": "0.2",
            "STAKING_LOG_FORMAT": "json",
            "LOG_LEVEL": "DEBUG",
            **(extra or {}),
        }
    )
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tron_staking", "serve", "--role", "controller"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return ServeProcess(process, port, log)
