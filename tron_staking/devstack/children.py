"""The child processes of ``tron-staking dev``: started in their own session (so a Ctrl-C on
the terminal reaches only the parent, which stops them in order), logging to a file, and
stopped by their PID.

On Linux each child also receives SIGTERM if the parent dies abruptly (``PR_SET_PDEATHSIG``),
so no child outlives ``tron-staking dev`` even after a SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1
STOP_TIMEOUT_S = 30.0
"""How long a child may take to stop after SIGTERM before it is killed (the service drains
its workers for up to 20 s)."""


class ChildFailedError(Exception):
    """A child exited while it was expected to run; the message names it and its log."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:``port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Child:
    """One child process: its name, command, environment and log file."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path,
        stdout_pipe: bool = False,
    ) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own executables, no shell
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else log,
                stderr=log,
                cwd=cwd,
                env=dict(env),
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def check_running(self) -> None:
        """Raises ChildFailedError when the child has exited."""
        code = self.process.poll()
        if code is not None:
            raise ChildFailedError(
                f"{self.name} exited with code {code}; see {self.log_path}\n{self.log_tail()}"
            )

    def stop(self) -> None:
        """SIGTERM, wait, SIGKILL if it lingers; idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace")
            return "\n".join(f"  {line}" for line in text.splitlines()[-lines:])
        return ""
