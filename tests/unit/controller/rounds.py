"""Helpers the planner tests share: a round located against its evidence, and readers of a
plan's actions and notices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

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


class Planned(Protocol):
    """A round located and then planned by one rule."""

    def __call__(
        self,
        positions: Sequence[Position],
        observed: AccountSnapshot,
        operations: Sequence[Operation] = (),
    ) -> Round: ...


def planned_by(rule: Callable[[Round], object]) -> Planned:
    """The builder of a located round that ``rule`` has then planned."""

    def planned(
        positions: Sequence[Position],
        observed: AccountSnapshot,
        operations: Sequence[Operation] = (),
    ) -> Round:
        rnd = located(positions, observed, operations)
        rule(rnd)
        return rnd

    return planned


def kinds(plan: planner.Plan) -> list[str]:
    """The kinds of the plan's actions, in order."""
    return [a.kind.value for a in plan.actions]


def codes(notices: Sequence[planner.Notice]) -> set[str]:
    """The codes of ``notices``."""
    return {n.code for n in notices}
