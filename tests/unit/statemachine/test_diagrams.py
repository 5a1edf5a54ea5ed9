"""Diagrams: DOT text from the tables, PNG only with Graphviz installed."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from tron_staking.statemachine import diagrams, operation, position


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
