"""Dockerfile.trx-staking: hadolint finds nothing, and the image is built the way the issue
asks (multi-stage, distroless runtime, non-root, UTF-8, shell-less health check)."""

from __future__ import annotations

from pathlib import Path

from tests.deploy import dockerfile, tools

DOCKERFILE = tools.ROOT / "Dockerfile.trx-staking"


def _by_keyword(keyword: str) -> list[dockerfile.Instruction]:
    return [i for i in dockerfile.instructions(DOCKERFILE) if i.keyword == keyword]


def test_hadolint_finds_nothing() -> None:
    result = tools.run(tools.tool("hadolint"), "--no-color", str(DOCKERFILE))
    assert result.returncode == 0, tools.explain(result)


def test_hadolint_reports_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /src && pip install .\nCMD python -m app\n")
    result = tools.run(tools.tool("hadolint"), "--no-color", str(bad))
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # the :latest tag


def test_builder_and_runtime_stages() -> None:
    stages = [i.argument for i in _by_keyword("FROM")]
    assert stages == [
        "python:3.11-slim-bookworm AS builder",
        "gcr.io/distroless/python3-debian12:nonroot",
    ]
    copies = [i.argument for i in _by_keyword("COPY") if "--from=builder" in i.argument]
    assert copies == ["--from=builder --chown=0:0 /opt/venv /opt/venv"]


def test_the_venv_uses_the_runtime_interpreter_path() -> None:
    # distroless/python3-debian12 has Python 3.11 at /usr/bin/python3.11: after the install
    # is verified, the venv's interpreter link and pyvenv.cfg's home are pointed there.
    runs = [i.argument for i in _by_keyword("RUN")]
    install = next(i for i, step in enumerate(runs) if "pip install" in step)
    assert "pip check" in runs[install]
    assert "import tron_staking.cli" in runs[install]
    relink = runs[-1]
    assert "ln -sf /usr/bin/python3.11 /opt/venv/bin/python3.11" in relink
    assert "s#^home = .*#home = /usr/bin#" in relink
    assert install < len(runs) - 1


def test_runtime_user_port_locale_and_command() -> None:
    assert [i.argument for i in _by_keyword("USER")] == ["65532:65532"]
    assert [i.argument for i in _by_keyword("EXPOSE")] == ["8096"]
    runtime_env = _by_keyword("ENV")[-1].argument
    assert "LANG=C.UTF-8" in runtime_env
    assert "LC_ALL=C.UTF-8" in runtime_env
    (entrypoint,) = _by_keyword("ENTRYPOINT")
    (command,) = _by_keyword("CMD")
    assert entrypoint.exec_form() + command.exec_form() == [
        "/opt/venv/bin/python",
        "-m",
        "tron_staking",
        "serve",
    ]


def test_healthcheck_needs_no_shell() -> None:
    (healthcheck,) = _by_keyword("HEALTHCHECK")
    probe = healthcheck.exec_form()
    assert probe[:2] == ["/opt/venv/bin/python", "-c"]
    assert "/health/live" in probe[2]


def test_dockerignore_sends_only_the_packages() -> None:
    lines = (tools.ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*"
    included = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    assert included == {"pyproject.toml", "README.md", "tron_staking", "tron_devnet"}
