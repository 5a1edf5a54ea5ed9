"""``tron-staking dev`` on a bare machine: it starts the devnet, SecantusDB and the service as
its own children, prints commands that, run as printed, declare a position which converges to
Ready within the run, reports the transitions, stops every child when ``--seconds`` elapse,
never prints a secret, and a second run on the same folder resumes and stops on Ctrl-C.

The printed commands run through ``bash`` with curl when the machine has both; otherwise they
are parsed and replayed with httpx (same method, URL, headers and body).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support import servers
from tron_devnet.genesis import default_genesis

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST_RUN_S = 50
SECOND_RUN_S = 60
BANNER_TIMEOUT_S = 45.0
READY_TIMEOUT_S = 40.0
READY_LINE = '"type": "Ready", "status": "True"'


class DevRun:
    """One ``tron-staking dev --fast`` subprocess whose output is collected line by line."""

    def __init__(self, directory: Path, seconds: int) -> None:
        self.port = servers.free_port()
        self.directory = directory
        command = [
            sys.executable,
            "-m",
            "tron_staking",
            "dev",
            "--fast",
            "--seconds",
            str(seconds),
            "--port",
            str(self.port),
            "--dir",
            str(directory),
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=servers.environment_without_service_variables(),
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        if self.process.stdout is None:
            return
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, pattern: str, timeout_s: float) -> str:
        """The first output line matching ``pattern`` (a regex); fails after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if re.search(pattern, line):
                    return line
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.2)
        pytest.fail(f"no line matching {pattern!r} in the output:\n{self.output}")

    def finish(self, timeout_s: float) -> int:
        """Wait for the run to end by itself; its exit code."""
        try:
            code = self.process.wait(timeout=timeout_s)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name (field 2) is in parentheses and may hold spaces
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def printed_commands(output: str) -> list[str]:
    """The command lines printed under ``# 1.``, ``# 2.`` and ``# 3.``."""
    lines = output.splitlines()
    return [lines[lines.index(m) + 1] for m in lines if re.match(r"^# [123]\. ", m)]


def run_with_bash(commands: list[str]) -> str:
    """Run the three commands as printed, one after the other, in one bash."""
    done = subprocess.run(
        ["bash", "-c", "set -e\n" + "\n".join(commands)],
        capture_output=True,
        text=True,
        timeout=READY_TIMEOUT_S + 30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _curl_request(words: list[str], token: str, position: str) -> httpx.Request:
    """The request a ``curl`` word list makes, with ``$TOKEN`` and ``$POS`` expanded."""
    method, url, headers, body = "GET", "", {}, None
    words = [w.replace("$TOKEN", token).replace("$POS", position) for w in words]
    iterator = iter(words[1:])
    for word in iterator:
        if word == "-X":
            method = next(iterator)
        elif word == "-H":
            name, _, value = next(iterator).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-d":
            body = next(iterator).encode()
        elif not word.startswith("-"):
            url = word
    return httpx.Request(method, url, headers=headers, content=body)


def _words(command: str) -> list[str]:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def run_with_httpx(commands: list[str]) -> str:
    """Replay the printed commands: export, POST, read the stream until Ready, GET."""
    declare, follow, transitions = commands
    words = _words(declare)
    token = words[1].removeprefix("TOKEN=")
    curl = words[words.index("curl") : words.index("|")]
    out: list[str] = []
    with httpx.Client(timeout=10.0) as client:
        created = client.send(_curl_request(curl, token, ""))
        created.raise_for_status()
        position = str(created.json()["id"])
        out.append(f"declared {position}")
        stream = _curl_request(_words(follow)[: _words(follow).index("|")], token, position)
        response = client.send(stream, stream=True)
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            for line in response.iter_lines():
                out.append(line)
                if READY_LINE in line or time.monotonic() > deadline:
                    break
        finally:
            response.close()
        listing = client.send(_curl_request(_words(transitions), token, position))
        listing.raise_for_status()
        out.append(listing.text)
    return "\n".join(out)


@dataclasses.dataclass
class FirstRun:
    directory: Path
    output: str
    exit_code: int
    commands_output: str
    children: set[int]
    children_argv: list[str]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    """A first ``dev`` run that executes its printed commands and then stops by itself."""
    directory = tmp_path_factory.mktemp("dev") / "folder"
    run = DevRun(directory, FIRST_RUN_S)
    try:
        run.wait_for_line(r"^progress \(Ctrl-C", BANNER_TIMEOUT_S)
        children = descendants(run.process.pid)
        argv = [Path(f"/proc/{pid}/cmdline").read_text(errors="replace") for pid in children]
        commands = printed_commands(run.output)
        assert len(commands) == 3, run.output
        with_curl = shutil.which("curl") is not None and shutil.which("bash") is not None
        executed = run_with_bash(commands) if with_curl else run_with_httpx(commands)
        run.wait_for_line(r"^\[idle\] .*1 Ready", 20)
        code = run.finish(FIRST_RUN_S + 40)
    finally:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()
    return FirstRun(directory, run.output, code, executed, children, argv)


def test_printed_commands_declare_a_position_that_becomes_ready(first_run: FirstRun) -> None:
    lines = first_run.commands_output.splitlines()
    position = lines[0].removeprefix("declared ")
    assert re.fullmatch(r"pos_\w+", position), first_run.commands_output
    ready = [line for line in lines if READY_LINE in line]
    assert ready, first_run.commands_output
    assert json.loads(ready[0].removeprefix("data: "))["position_id"] == position
    history = json.loads(lines[-1])["items"]
    delegated = [entry for entry in history if entry["to"] == "delegated"]
    assert len(delegated) == 1, history
    assert re.fullmatch(r"[0-9a-f]{64}", delegated[0]["txid"])
    assert delegated[0]["block"] > 0


def test_progress_lines_name_owner_position_transition_txid_and_block(
    first_run: FirstRun,
) -> None:
    position = first_run.commands_output.splitlines()[0].removeprefix("declared ")
    owner = re.search(r'"owner":"(T\w{33})"', first_run.output)
    assert owner is not None
    pattern = (
        rf"^\[transition\] owner {owner.group(1)} position {position}: \w+ → delegated "
        r"\(delegate_included\) tx [0-9a-f]{64} block \d+$"
    )
    assert any(re.match(pattern, line) for line in first_run.output.splitlines())
    assert re.search(
        r"^\[idle\] chain idle at block \d+: 1 position: 1 delegated; 1 Ready$",
        first_run.output,
        re.MULTILINE,
    )


def test_run_stops_every_child_after_its_seconds(first_run: FirstRun) -> None:
    assert first_run.exit_code == 0, first_run.output
    assert len(first_run.children) >= 3
    assert f"{FIRST_RUN_S} s elapsed: stopping" in first_run.output
    assert "stopped tron-staking, tron-devnet, secantusdb" in first_run.output
    assert [pid for pid in first_run.children if alive(pid)] == []


def test_no_secret_is_printed_or_passed_in_argv(first_run: FirstRun) -> None:
    kek_text = (first_run.directory / "kek").read_text().strip()
    jwt_secret = (first_run.directory / "jwt-secret").read_text().strip()
    # the devnet's keys: the ten demo accounts and the witnesses
    demo_keys = [a.private_key.hex() for a in default_genesis().accounts if a.private_key]
    secrets = [kek_text, jwt_secret, *demo_keys]
    assert len(kek_text) == 44
    assert len(jwt_secret) >= 32
    assert len(demo_keys) >= 10
    for text in [first_run.output, first_run.commands_output, *first_run.children_argv]:
        assert [s for s in secrets if s in text] == []
    for name in ("kek", "jwt-secret"):
        assert (first_run.directory / name).stat().st_mode & 0o777 == 0o600
    assert first_run.directory.stat().st_mode & 0o777 == 0o700


def test_second_run_on_the_same_folder_resumes_and_stops_on_ctrl_c(first_run: FirstRun) -> None:
    run = DevRun(first_run.directory, SECOND_RUN_S)
    try:
        run.wait_for_line(r"^keystore +0 demo keys imported, 10 already there$", BANNER_TIMEOUT_S)
        run.wait_for_line(r"^tron-devnet .*resumed from", 5)
        run.wait_for_line(r"^\[idle\] .*: 1 position: 1 delegated; 1 Ready$", 20)
        children = descendants(run.process.pid)
        run.process.send_signal(signal.SIGINT)
        assert run.finish(40) == 0, run.output
    finally:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()
    assert "SIGINT: stopping" in run.output
    assert "[transition]" not in run.output
    assert len(children) >= 3
    assert [pid for pid in children if alive(pid)] == []


def test_a_taken_api_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tron_staking",
                "dev",
                "--port",
                str(port),
                "--dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=servers.environment_without_service_variables(),
            check=False,
        )
    assert done.returncode == 2
    assert (
        done.stderr
        == f"error: port {port} is taken on 127.0.0.1: stop what listens there or pass --port\n"
    )
    assert not (tmp_path / "mongo").exists()
