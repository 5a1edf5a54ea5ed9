"""Diagrams: DOT text from the tables, PNG only with Graphviz installed."""

from __future__ import annotations

import enum
import pathlib
import shutil
import subprocess
import sys
from typing import Any, cast

import pytest
import transitions

from tron_staking.statemachine import diagrams, operation, position
from tron_staking.statemachine.engine import TableMachine


def test_dot_has_every_state_and_edge() -> None:
    text = diagrams.to_dot(position.MACHINE)
    assert text.startswith("digraph position {")
    for state in position.State:
        assert f'"{state.value}" [label=' in text
    assert '"withdrawn" [label="withdrawn", peripheries=2];' in text
    assert '__start -> "pending";' in text
    for edge in position.MACHINE.edges:
        if edge.trigger in diagrams.HIDDEN_TRIGGERS:
            assert edge.trigger not in text
            continue
        assert f'"{edge.source}" -> "{edge.dest}" [label="{edge.trigger}' in text
    assert '[label="undelegate_included\\n[votes cast]"]' in text
    assert "style=dashed" in text  # drift back-steps


def test_operation_dot() -> None:
    text = diagrams.to_dot(operation.MACHINE)
    assert '"broadcast" -> "expired" [label="proven_expired\\n[solid block time past' in text


def test_png_needs_graphviz(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert diagrams.render_png("digraph x {}", tmp_path / "x.png") is False
    assert not (tmp_path / "x.png").exists()
    written = diagrams.write_all(tmp_path / "out")
    assert sorted(p.name for p in written) == ["operation.dot", "position.dot"]
    assert diagrams.main([str(tmp_path / "again")]) == 0


def test_docs_embed_the_current_diagrams() -> None:
    docs = pathlib.Path(__file__).parents[3] / "docs" / "state-machines.md"
    text = docs.read_text()
    for machine in (position.MACHINE, operation.MACHINE):
        assert diagrams.to_dot(machine) in text


EXPIRY_LABEL = "proven_expired\\n[solid block time past the expiration and txid absent]"
OPERATION_DOT = f"""digraph operation {{
  rankdir=LR;
  node [shape=box, style=rounded, fontname="Helvetica"];
  edge [fontname="Helvetica", fontsize=10];
  __start [shape=point, label=""];
  "recorded" [label="recorded"];
  "broadcast" [label="broadcast"];
  "included" [label="included"];
  "solidified" [label="solidified", peripheries=2];
  "rejected" [label="rejected", peripheries=2];
  "expired" [label="expired", peripheries=2];
  __start -> "recorded";
  "recorded" -> "broadcast" [label="sent"];
  "recorded" -> "included" [label="seen_in_block"];
  "broadcast" -> "included" [label="seen_in_block"];
  "rejected" -> "included" [label="seen_in_block"];
  "included" -> "solidified" [label="became_solid\\n[its block at or below the solid block]"];
  "included" -> "broadcast" [label="reorganized"];
  "recorded" -> "rejected" [label="refused\\n[not bytes may have reached a node]"];
  "recorded" -> "recorded" [label="attempt_failed"];
  "broadcast" -> "broadcast" [label="attempt_failed"];
  "recorded" -> "expired" [label="{EXPIRY_LABEL}"];
  "broadcast" -> "expired" [label="{EXPIRY_LABEL}"];
}}
"""


def test_operation_dot_exactly() -> None:
    assert diagrams.to_dot(operation.MACHINE) == OPERATION_DOT


class Odd(enum.Enum):
    PLAIN = "plain"
    QUOTED = 'say "hi"\\now\nthen'


def odd_guard(event: transitions.EventData) -> bool:
    """it is odd"""
    return True


def test_dot_quotes_hides_and_dashes() -> None:
    machine = TableMachine(
        "odd",
        Odd,
        [
            {"trigger": "spec_changed", "source": Odd.PLAIN, "dest": "="},
            {"trigger": "stake_lost", "source": Odd.QUOTED, "dest": Odd.PLAIN},
            {"trigger": "go", "source": Odd.PLAIN, "dest": Odd.QUOTED, "unless": [odd_guard]},
        ],
        initial=Odd.QUOTED,
    )
    quoted = '"say \\"hi\\"\\\\now\\nthen"'
    # to_dot is typed for the product's two machines; it only reads the machine's table.
    assert diagrams.to_dot(cast(Any, machine)).splitlines()[5:] == [
        '  "plain" [label="plain"];',
        f"  {quoted} [label={quoted}];",
        f"  __start -> {quoted};",
        f'  {quoted} -> "plain" [label="stake_lost", style=dashed];',
        f'  "plain" -> {quoted} [label="go\\n[not it is odd]"];',
        "}",
    ]


FAKE_DOT = """#!/bin/sh
[ "$1" = "-Tpng" ] || exit 3
[ "$#" = 1 ] || exit 4
printf 'PNG:'
cat
"""


def _fake_dot(directory: pathlib.Path, script: str) -> None:
    directory.mkdir()
    program = directory / "dot"
    program.write_text(script)
    program.chmod(0o755)


def test_png_through_the_dot_program(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in ``dot`` on PATH checks its arguments and echoes its input after a marker."""
    _fake_dot(tmp_path / "bin", FAKE_DOT)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    assert diagrams.render_png("digraph x {}", tmp_path / "x.png") is True
    assert (tmp_path / "x.png").read_bytes() == b"PNG:digraph x {}"

    out = tmp_path / "nested" / "out"
    written = diagrams.write_all(out)
    assert written == [
        out / "position.dot",
        out / "position.png",
        out / "operation.dot",
        out / "operation.png",
    ]
    assert (out / "operation.dot").read_text() == OPERATION_DOT
    assert (out / "operation.png").read_bytes() == b"PNG:" + OPERATION_DOT.encode()
    assert (out / "position.dot").read_text() == diagrams.to_dot(position.MACHINE)
    assert diagrams.write_all(out) == written  # an existing directory is fine


def test_a_failing_dot_program_raises(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_dot(tmp_path / "bin", "#!/bin/sh\nexit 1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(subprocess.CalledProcessError):
        diagrams.render_png("digraph x {}", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_main_writes_where_it_is_told(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no Graphviz
    monkeypatch.chdir(tmp_path)
    assert diagrams.main([]) == 0
    assert capsys.readouterr().out.split() == [
        str(pathlib.Path("docs/diagrams/position.dot")),
        str(pathlib.Path("docs/diagrams/operation.dot")),
    ]
    monkeypatch.setattr(sys, "argv", ["diagrams", "from-argv", "ignored"])
    assert diagrams.main() == 0
    assert capsys.readouterr().out.split() == ["from-argv/position.dot", "from-argv/operation.dot"]
    assert diagrams.main(["given"]) == 0
    assert capsys.readouterr().out.split() == ["given/position.dot", "given/operation.dot"]
