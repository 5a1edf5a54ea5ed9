"""A thin typed layer over ``transitions``: one table-driven machine that drives plain records.

``TableMachine`` is built once per machine kind from a states Enum and a list of transition
dicts (``trigger``, ``source``, ``dest``, optional ``conditions`` / ``unless`` guards). Inside is
one synchronous ``transitions.Machine(model=None, auto_transitions=False,
model_override=True, send_event=True)``: it holds no model, so it keeps no per-record state.
``fire`` wraps the record's current state in a throw-away carrier object, runs the trigger's
event on it (``Event.trigger(carrier, context=...)`` — the machine's model list is never
touched), and returns the carrier's new state. Nothing is shared between calls, so one machine
serves every record, from any number of callers.

Guards are pure functions of the ``context`` object the caller passes (they receive the
library's ``EventData``; ``guard_context`` unwraps it). No callbacks run: states are entered
and left without side effects (our ``State`` subclass also skips the library's per-state log
lines).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypedDict, TypeVar

import transitions

from tron_staking.errors import InvalidTransitionError

S = TypeVar("S", bound=enum.Enum)

Guard = Callable[[transitions.EventData], bool]
"""A pure predicate over the event; read the caller's context with ``guard_context``."""


class TransitionSpec(TypedDict, total=False):
    """One row of a machine table, as ``transitions.Machine.add_transitions`` takes it."""

    trigger: str
    source: enum.Enum | list[enum.Enum] | str
    dest: enum.Enum | str
    conditions: list[Guard]
    unless: list[Guard]


class GuardRefusedError(InvalidTransitionError):
    """The trigger exists from this state, but its guards refused the transition."""

    def __init__(self, machine: str, state: str, trigger: str, requirement: str) -> None:
        super().__init__(machine, state, trigger)
        self.requirement = requirement
        self.args = (
            f"{machine}: trigger {trigger!r} refused in state {state!r}: requires {requirement}",
        )


class _QuietState(transitions.State):
    """A state without enter/exit callbacks, and without the library's log line for each."""

    def enter(self, event_data: transitions.EventData) -> None:
        return None

    def exit(self, event_data: transitions.EventData) -> None:
        return None


class _Machine(transitions.Machine):
    state_cls = _QuietState


class _Carrier:
    """The stand-in model of one ``fire``: only the ``state`` attribute the library sets."""

    __slots__ = ("state",)

    def __init__(self, state: enum.Enum) -> None:
        self.state = state


def guard_context(event: transitions.EventData) -> Any:
    """The ``context`` object that ``TableMachine.fire`` passed to the guards."""
    return event.kwargs["context"]


@dataclasses.dataclass(frozen=True)
class Edge:
    """One row of the table, flattened: ``trigger`` moves ``source`` to ``dest`` when every
    guard in ``conditions`` holds and none in ``unless`` does."""

    trigger: str
    source: str
    dest: str
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()

    @property
    def reflexive(self) -> bool:
        return self.source == self.dest

    @property
    def guard_text(self) -> str:
        parts = [*self.conditions, *(f"not {name}" for name in self.unless)]
        return " and ".join(parts)


def _describe(guard: Guard) -> str:
    doc = (guard.__doc__ or guard.__name__).strip().splitlines()[0]
    return doc.rstrip(".")


class TableMachine(Generic[S]):
    """A state machine defined by ``table`` over the states of ``states``.

    ``name`` prefixes error messages (``"position: trigger 'x' is not allowed in state 'y'"``).
    ``final`` lists the states without outgoing transitions by design.
    """

    def __init__(
        self,
        name: str,
        states: type[S],
        table: Sequence[TransitionSpec],
        *,
        initial: S,
        final: Iterable[S] = (),
    ) -> None:
        self.name = name
        self.states = states
        self.initial = initial
        self.final = frozenset(final)
        self._machine = _Machine(
            model=None,
            states=list(states),
            initial=initial,
            transitions=[dict(row) for row in table],
            auto_transitions=False,
            model_override=True,
            send_event=True,
            name=name,
        )
        self.edges = tuple(self._edges(table))
        self.triggers = tuple(dict.fromkeys(edge.trigger for edge in self.edges))

    def _edges(self, table: Sequence[TransitionSpec]) -> Iterable[Edge]:
        for row in table:
            source = row["source"]
            if source == "*":
                sources: list[enum.Enum] = list(self.states)
            elif isinstance(source, list):
                sources = source
            elif isinstance(source, enum.Enum):
                sources = [source]
            else:
                raise TypeError(f"{self.name}: bad source {source!r}")
            dest = row["dest"]
            if isinstance(dest, enum.Enum):
                fixed_dest: object = dest.value
            elif dest == "=":
                fixed_dest = None  # reflexive: each source is its own destination
            else:
                raise TypeError(f"{self.name}: bad dest {dest!r}")
            for one in sources:
                dest_value = one.value if fixed_dest is None else fixed_dest
                yield Edge(
                    trigger=str(row["trigger"]),
                    source=str(one.value),
                    dest=str(dest_value),
                    conditions=tuple(_describe(g) for g in row.get("conditions", [])),
                    unless=tuple(_describe(g) for g in row.get("unless", [])),
                )

    def allowed_triggers(self, state: S) -> tuple[str, ...]:
        """Triggers that have a transition from ``state`` (guards not evaluated)."""
        return tuple(edge.trigger for edge in self._from(state))

    def _from(self, state: S) -> tuple[Edge, ...]:
        seen: dict[str, Edge] = {}
        for edge in self.edges:
            if edge.source == str(state.value) and edge.trigger not in seen:
                seen[edge.trigger] = edge
        return tuple(seen.values())

    def fire(self, state: S, trigger: str, context: object) -> S:
        """The state ``trigger`` leads to from ``state`` given ``context``.

        Raises InvalidTransitionError when ``trigger`` has no transition from ``state`` (the
        message lists those it has), and GuardRefusedError (a subclass) when the guards refuse.
        Both are permanent: the caller's view of the record is wrong or stale.
        """
        event = self._machine.events.get(trigger)
        if event is None or state.name not in event.transitions:
            error = InvalidTransitionError(self.name, str(state.value), trigger)
            allowed = ", ".join(self.allowed_triggers(state)) or "none: the state is final"
            error.args = (f"{error.args[0]} (allowed: {allowed})",)
            raise error
        carrier = _Carrier(state)
        if not event.trigger(carrier, context=context):
            requirement = " or ".join(
                edge.guard_text
                for edge in self.edges
                if edge.trigger == trigger and edge.source == str(state.value)
            )
            raise GuardRefusedError(self.name, str(state.value), trigger, requirement)
        new_state: S = self.states(carrier.state)
        return new_state

    def peek(self, state: S, trigger: str, context: object) -> S | None:
        """What ``fire`` would return, or None where it would raise."""
        try:
            return self.fire(state, trigger, context)
        except InvalidTransitionError:
            return None

    def describe(self) -> Mapping[str, object]:
        """The table as plain data (for documentation and diagrams)."""
        return {
            "name": self.name,
            "states": [str(s.value) for s in self.states],
            "initial": str(self.initial.value),
            "final": sorted(str(s.value) for s in self.final),
            "edges": [dataclasses.asdict(edge) for edge in self.edges],
        }
