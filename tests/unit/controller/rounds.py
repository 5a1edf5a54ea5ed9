"""Helpers the planner tests share: a round located against its evidence, and readers of a
plan's actions and notices."""

from __future__ import annotations

from collections.abc import Sequence

from tests.unit.controller.builders import NOW, POLICY
from tron_staking.controller import planner
from tron_staking.controller.planner import evidence
from tron_staking.controller.planner.work import Round
from tron_staking.domain.operation import Operation
from tron_staking.domain.position import Position
from tron_staking.domain.snapshot import AccountSnapshot


def located(
    positions: Sequence[Position], observed: AccountSnapshot, operations: Sequence[Operation] = ()
) -> Round:
    """A round at ``NOW`` under the default policy, every position located by the evidence."""
    rnd = Round(positions, observed, operations, NOW, POLICY, False)
    evidence.locate(rnd)
    return rnd


def kinds(plan: planner.Plan) -> list[str]:
    """The kinds of the plan's actions, in order."""
    return [a.kind.value for a in plan.actions]


def codes(notices: Sequence[planner.Notice]) -> set[str]:
    """The codes of ``notices``."""
    return {n.code for n in notices}
