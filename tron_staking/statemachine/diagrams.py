"""Graphviz diagrams of the state machines, drawn from their tables.

``to_dot`` renders a machine as DOT text (pure); ``render_png`` turns DOT into PNG with the
``dot`` program when it is installed (and reports False otherwise). ``python -m
tron_staking.statemachine.diagrams DIR`` writes ``position.dot`` and ``operation.dot`` (and
the PNGs when possible) into DIR; ``docs/state-machines.md`` embeds the same DOT text.
"""

from __future__ import annotations

import enum
import pathlib
import shutil
import subprocess
import sys

from tron_staking.statemachine import operation, position
from tron_staking.statemachine.engine import TableMachine

HIDDEN_TRIGGERS = frozenset({str(position.Trigger.SPEC_CHANGED)})
"""Reflexive bookkeeping triggers left out of the pictures (they are in the tables)."""

MACHINES: dict[str, TableMachine[position.State] | TableMachine[operation.State]] = {
    position.MACHINE_NAME: position.MACHINE,
    operation.MACHINE_NAME: operation.MACHINE,
}


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


def to_dot(machine: TableMachine[position.State] | TableMachine[operation.State]) -> str:
    """The machine as a Graphviz digraph: one node per state (final ones doubled), one edge
    per (source, trigger, destination), labelled ``trigger [guard]``."""
    lines = [
        f"digraph {machine.name} {{",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  __start [shape=point, label=""];',
    ]
    states: list[enum.Enum] = list(machine.states)
    for state in states:
        attributes = ", peripheries=2" if state in machine.final else ""
        lines.append(
            f"  {_quote(str(state.value))} [label={_quote(str(state.value))}{attributes}];"
        )
    lines.append(f"  __start -> {_quote(str(machine.initial.value))};")
    for edge in machine.edges:
        if edge.trigger in HIDDEN_TRIGGERS:
            continue
        label = edge.trigger + (f"\n[{edge.guard_text}]" if edge.guard_text else "")
        style = ", style=dashed" if edge.trigger in position.DRIFT_TRIGGERS else ""
        lines.append(
            f"  {_quote(edge.source)} -> {_quote(edge.dest)} [label={_quote(label)}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_png(dot_text: str, target: pathlib.Path) -> bool:
    """Write ``dot_text`` as a PNG to ``target`` if Graphviz ``dot`` is installed.

    Returns False (and writes nothing) when it is not; raises OSError / CalledProcessError
    when ``dot`` fails.
    """
    dot = shutil.which("dot")
    if dot is None:
        return False
    # The program is the one found on PATH and the input is our own DOT text.
    png = subprocess.run(  # noqa: S603
        [dot, "-Tpng"], input=dot_text.encode(), capture_output=True, check=True
    ).stdout
    target.write_bytes(png)
    return True


def write_all(directory: pathlib.Path) -> list[pathlib.Path]:
    """Write every machine's DOT (and PNG when possible) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[pathlib.Path] = []
    for name, machine in MACHINES.items():
        text = to_dot(machine)
        dot_path = directory / f"{name}.dot"
        dot_path.write_text(text)
        written.append(dot_path)
        png_path = directory / f"{name}.png"
        if render_png(text, png_path):
            written.append(png_path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = pathlib.Path(args[0] if args else "docs/diagrams")
    for path in write_all(directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
