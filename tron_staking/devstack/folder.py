"""The dev folder (``.dev/`` by default): what ``tron-staking dev`` keeps between runs.

The folder is private (mode 0700). Layout: ``kek`` (the keystore's key-encryption key,
base64) and ``jwt-secret`` (the HS256 secret of the API), both created once with mode 0600
and never printed; ``mongo/`` (the SecantusDB data); ``devnet-state.json`` (the chain,
written when the devnet stops; it holds the demo keys); ``logs/`` (one log per child);
``lock`` (held while a run uses the folder).
"""

from __future__ import annotations

import base64
import dataclasses
import fcntl
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO

from tron_staking.signer import kek

_SECRET_MODE = 0o600
_FOLDER_MODE = 0o700


class FolderBusyError(Exception):
    """Another ``tron-staking dev`` uses the folder."""


@dataclasses.dataclass(frozen=True)
class DevFolder:
    root: Path

    @property
    def kek_file(self) -> Path:
        return self.root / "kek"

    @property
    def jwt_secret_file(self) -> Path:
        return self.root / "jwt-secret"

    @property
    def mongo_data(self) -> Path:
        return self.root / "mongo"

    @property
    def devnet_state(self) -> Path:
        return self.root / "devnet-state.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def lock(self) -> IO[bytes]:
        """Create the folder and lock it for this run (released when the returned file is
        closed or the process ends); raises FolderBusyError when another run holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(_FOLDER_MODE)  # the devnet's state file holds the demo keys
        handle = (self.root / "lock").open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise FolderBusyError(
                f"another tron-staking dev is running on {self.root}; stop it first"
            ) from None
        return handle

    def ensure_secrets(self) -> str:
        """Create the KEK and the JWT secret files when missing (mode 0600; an existing file
        is made 0600 again) and return the JWT secret."""
        _ensure(self.kek_file, lambda: base64.b64encode(secrets.token_bytes(kek.KEK_BYTES)))
        _ensure(self.jwt_secret_file, lambda: secrets.token_urlsafe(48).encode())
        return self.jwt_secret_file.read_text(encoding="ascii").strip()


def _ensure(path: Path, generate: Callable[[], bytes]) -> None:
    if path.exists():
        path.chmod(_SECRET_MODE)
        return
    value = generate()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _SECRET_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(value + b"\n")
