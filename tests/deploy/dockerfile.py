"""Read a Dockerfile into its instructions (continuation lines joined, comments dropped)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword in upper case and the rest of the line."""

    keyword: str
    argument: str

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form argument (after any ``--flag=value`` options);
        ValueError when the argument is in shell form."""
        words = self.argument
        while words.startswith("--"):
            words = words.split(maxsplit=1)[1]
        if words.startswith("CMD "):
            words = words.removeprefix("CMD ").lstrip()
        parsed = json.loads(words)
        if not isinstance(parsed, list) or not all(isinstance(word, str) for word in parsed):
            raise ValueError(f"not an exec-form array: {self.argument}")
        return parsed


def instructions(path: Path) -> list[Instruction]:
    """The instructions of the Dockerfile at ``path``, in order."""
    found: list[Instruction] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].strip() + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        keyword, _, argument = whole.partition(" ")
        found.append(Instruction(keyword.upper(), argument.strip()))
    return found
