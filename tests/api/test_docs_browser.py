"""``/docs`` rendered by a real browser (headless Chromium) that can reach nothing but the
service: every endpoint of ``/openapi.json`` appears on the page, and Chromium's network log
shows that the page requested nothing from any other host. (The browser's own background
requests — update checks, account probes — carry no page initiator and are not the page's.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.api import harness

_BROWSER_TIMEOUT_S = 90
# Every host name resolves to nothing except the loopback address the API listens on.
_RESOLVER_RULES = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed here (apt-get install chromium); CI runs this test")


def _requests(net_log: Path) -> list[tuple[str, str]]:
    """``(url, initiator)`` of every request in a Chromium net log."""
    text = net_log.read_text(errors="replace").rstrip().rstrip(",")
    if not text.endswith("}"):
        text += "]}"  # a log cut short at exit lacks its closing brackets
    found: list[tuple[str, str]] = []
    for event in json.loads(text).get("events", []):
        params = event.get("params") or {}
        if "url" in params:
            found.append((str(params["url"]), str(params.get("initiator", ""))))
    return found


def _render(url: str, workdir: Path) -> tuple[str, list[tuple[str, str]]]:
    """The DOM of ``url`` after its scripts ran, and every request the browser made."""
    net_log = workdir / "net-log.json"
    result = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={workdir / 'profile'}",
            f"--host-resolver-rules={_RESOLVER_RULES}",
            f"--log-net-log={net_log}",
            "--virtual-time-budget=15000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=_BROWSER_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, _requests(net_log)


def test_docs_render_every_endpoint_without_any_external_request(
    api: harness.ApiServer, tmp_path: Path
) -> None:
    document = httpx.get(f"{api.url}/openapi.json", timeout=30).json()
    dom, requested = _render(f"{api.url}/docs", tmp_path)

    rendered_paths = set(re.findall(r'data-path="([^"]+)"', dom))
    assert rendered_paths, dom[-2000:]
    missing = set(document["paths"]) - rendered_paths
    assert not missing, f"endpoints not shown by /docs: {sorted(missing)}"

    by_page = {u for u, initiator in requested if initiator == api.url}
    assert f"{api.url}/openapi.json" in by_page, sorted(by_page)
    assert any(u.startswith(f"{api.url}/docs/assets/") for u in by_page), sorted(by_page)
    foreign = sorted(u for u in by_page if not u.startswith((f"{api.url}/", "data:", "blob:")))
    assert not foreign, f"/docs requested other hosts: {foreign}"
    assert json.dumps(document["info"]["title"])[1:-1] in dom
