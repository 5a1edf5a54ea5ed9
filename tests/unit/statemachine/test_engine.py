"""The table engine, built at test time: rows flattened into edges, guard texts, errors.

The product's machines are built when their modules are imported; these tests build machines
while they run (a toy one, and the product's own tables again), so that every step of the
construction is exercised by a test and compared with an expected table written here.
"""

from __future__ import annotations

import dataclasses
import enum

import pytest
import transitions

from tron_staking.errors import InvalidTransitionError
from tron_staking.statemachine import engine
from tron_staking.statemachine import operation as operation_machine
from tron_staking.statemachine import position as position_machine
from tron_staking.statemachine.engine import Edge, TableMachine, TransitionSpec


class Lamp(enum.Enum):
    # Names differ from values, so a slip between the two shows.
    OFF = "off"
    ON = "lit"
    BROKEN = "broken"
    GONE = "gone"


@dataclasses.dataclass(frozen=True)
class Mains:
    powered: bool = False
    fused: bool = False


def powered(event: transitions.EventData) -> bool:
    """The mains are powered.

    A second paragraph that never reaches a label.
    """
    context: Mains = engine.guard_context(event)
    return context.powered


def fused(event: transitions.EventData) -> bool:
    context: Mains = engine.guard_context(event)
    return context.fused


fused.__doc__ = None  # no docstring: the label is the function's name


TOY_TABLE: list[TransitionSpec] = [
    {
        "trigger": "switch_on",
        "source": Lamp.OFF,
        "dest": Lamp.ON,
        "conditions": [powered],
        "unless": [fused],
    },
    {"trigger": "switch_on", "source": Lamp.OFF, "dest": Lamp.BROKEN, "conditions": [fused]},
    {"trigger": "switch_off", "source": [Lamp.ON, Lamp.BROKEN], "dest": Lamp.OFF},
    {"trigger": "tap", "source": [Lamp.ON, Lamp.OFF], "dest": "="},
    {"trigger": "remove", "source": [Lamp.BROKEN], "dest": Lamp.GONE},
]

TOY_EDGES = (
    Edge("switch_on", "off", "lit", ("The mains are powered",), ("fused",)),
    Edge("switch_on", "off", "broken", ("fused",), ()),
    Edge("switch_off", "lit", "off"),
    Edge("switch_off", "broken", "off"),
    Edge("tap", "lit", "lit"),
    Edge("tap", "off", "off"),
    Edge("remove", "broken", "gone"),
)


def toy() -> TableMachine[Lamp]:
    return TableMachine("lamp", Lamp, TOY_TABLE, initial=Lamp.OFF, final=[Lamp.GONE])


def test_rows_become_edges_in_table_order() -> None:
    machine = toy()
    assert machine.name == "lamp"
    assert machine.states is Lamp
    assert machine.initial is Lamp.OFF
    assert machine.final == frozenset({Lamp.GONE})
    assert machine.edges == TOY_EDGES
    assert machine.triggers == ("switch_on", "switch_off", "tap", "remove")


def test_edge_properties() -> None:
    assert TOY_EDGES[0].guard_text == "The mains are powered and not fused"
    assert TOY_EDGES[1].guard_text == "fused"
    assert TOY_EDGES[2].guard_text == ""
    assert [edge.reflexive for edge in TOY_EDGES] == [False] * 4 + [True, True, False]


def test_a_star_source_is_every_state() -> None:
    machine = TableMachine(
        "star", Lamp, [{"trigger": "smash", "source": "*", "dest": Lamp.BROKEN}], initial=Lamp.ON
    )
    assert machine.edges == tuple(
        Edge("smash", s, "broken") for s in ("off", "lit", "broken", "gone")
    )
    assert machine.final == frozenset()
    assert machine.fire(Lamp.GONE, "smash", Mains()) is Lamp.BROKEN


def test_a_source_or_dest_of_another_kind_is_refused() -> None:
    with pytest.raises(TypeError) as info:
        TableMachine(
            "bad", Lamp, [{"trigger": "x", "source": "off", "dest": Lamp.ON}], initial=Lamp.OFF
        )
    assert str(info.value) == "bad: bad source 'off'"
    with pytest.raises(TypeError) as dest:
        TableMachine(
            "bad", Lamp, [{"trigger": "x", "source": Lamp.OFF, "dest": "ON"}], initial=Lamp.OFF
        )
    assert str(dest.value) == "bad: bad dest 'ON'"


def model_x(event: transitions.EventData) -> bool:
    """The lamp is a model X."""
    return True


def test_a_label_drops_only_the_final_full_stops() -> None:
    machine = TableMachine(
        "x",
        Lamp,
        [{"trigger": "t", "source": Lamp.OFF, "dest": Lamp.ON, "conditions": [model_x]}],
        initial=Lamp.OFF,
    )
    assert machine.edges[0].conditions == ("The lamp is a model X",)


def test_fire_follows_the_guards() -> None:
    machine = toy()
    assert machine.fire(Lamp.OFF, "switch_on", Mains(powered=True)) is Lamp.ON
    assert machine.fire(Lamp.OFF, "switch_on", Mains(powered=True, fused=True)) is Lamp.BROKEN
    assert machine.fire(Lamp.OFF, "switch_on", Mains(fused=True)) is Lamp.BROKEN
    assert machine.fire(Lamp.ON, "switch_off", Mains()) is Lamp.OFF
    assert machine.fire(Lamp.BROKEN, "switch_off", Mains()) is Lamp.OFF
    assert machine.fire(Lamp.ON, "tap", Mains()) is Lamp.ON
    assert machine.fire(Lamp.OFF, "tap", Mains()) is Lamp.OFF
    assert machine.fire(Lamp.BROKEN, "remove", Mains()) is Lamp.GONE
    assert machine._machine.models == []


def test_a_refused_guard_names_every_requirement() -> None:
    machine = toy()
    with pytest.raises(engine.GuardRefusedError) as info:
        machine.fire(Lamp.OFF, "switch_on", Mains())
    error = info.value
    assert isinstance(error, InvalidTransitionError)
    assert (error.machine, error.state, error.trigger) == ("lamp", "off", "switch_on")
    assert error.requirement == "The mains are powered and not fused or fused"
    assert error.args == (
        "lamp: trigger 'switch_on' refused in state 'off': requires "
        "The mains are powered and not fused or fused",
    )
    assert str(error) == error.args[0]
    assert machine.peek(Lamp.OFF, "switch_on", Mains()) is None


def test_a_trigger_without_a_transition_lists_the_allowed_ones() -> None:
    machine = toy()
    with pytest.raises(InvalidTransitionError) as info:
        machine.fire(Lamp.ON, "remove", Mains())
    assert not isinstance(info.value, engine.GuardRefusedError)
    assert (info.value.machine, info.value.state, info.value.trigger) == ("lamp", "lit", "remove")
    assert info.value.args == (
        "lamp: trigger 'remove' is not allowed in state 'lit' (allowed: switch_off, tap)",
    )
    with pytest.raises(InvalidTransitionError) as unknown:
        machine.fire(Lamp.OFF, "nonsense", Mains())
    assert unknown.value.args == (
        "lamp: trigger 'nonsense' is not allowed in state 'off' (allowed: switch_on, tap)",
    )
    with pytest.raises(InvalidTransitionError) as final:
        machine.fire(Lamp.GONE, "tap", Mains())
    assert final.value.args == (
        "lamp: trigger 'tap' is not allowed in state 'gone' (allowed: none: the state is final)",
    )
    assert machine.peek(Lamp.GONE, "tap", Mains()) is None
    assert machine.peek(Lamp.ON, "tap", Mains()) is Lamp.ON


@pytest.mark.parametrize("state", list(Lamp))
def test_no_automatic_transitions(state: Lamp) -> None:
    machine = toy()
    for target in Lamp:
        with pytest.raises(InvalidTransitionError, match="is not allowed"):
            machine.fire(state, f"to_{target.name}", Mains())
        with pytest.raises(InvalidTransitionError, match="is not allowed"):
            machine.fire(state, f"to_{target.value}", Mains())


def test_allowed_triggers_once_each_in_table_order() -> None:
    machine = toy()
    assert machine.allowed_triggers(Lamp.OFF) == ("switch_on", "tap")
    assert machine.allowed_triggers(Lamp.ON) == ("switch_off", "tap")
    assert machine.allowed_triggers(Lamp.BROKEN) == ("switch_off", "remove")
    assert machine.allowed_triggers(Lamp.GONE) == ()


def test_describe_is_the_table_as_plain_data() -> None:
    assert toy().describe() == {
        "name": "lamp",
        "states": ["off", "lit", "broken", "gone"],
        "initial": "off",
        "final": ["gone"],
        "edges": [
            {
                "trigger": "switch_on",
                "source": "off",
                "dest": "lit",
                "conditions": ("The mains are powered",),
                "unless": ("fused",),
            },
            {
                "trigger": "switch_on",
                "source": "off",
                "dest": "broken",
                "conditions": ("fused",),
                "unless": (),
            },
            *(
                {"trigger": t, "source": s, "dest": d, "conditions": (), "unless": ()}
                for t, s, d in (
                    ("switch_off", "lit", "off"),
                    ("switch_off", "broken", "off"),
                    ("tap", "lit", "lit"),
                    ("tap", "off", "off"),
                    ("remove", "broken", "gone"),
                )
            ),
        ],
    }
    two_final = TableMachine("x", Lamp, [], initial=Lamp.ON, final=[Lamp.GONE, Lamp.BROKEN])
    assert two_final.describe()["final"] == ["broken", "gone"]
    assert two_final.describe()["initial"] == "lit"


# -- the product's tables, rebuilt here and compared with the design -----------------------------

VOTES = "votes cast"
UNSTAKE = "unstake requested"
FREEZE = "freeze in flight"
MATURED = "chain time at or past the unfreeze expiry"
ACTIVE = ("pending", "frozen", "voting", "delegated", "unfreezing", "claimable")

POSITION_EDGES = (
    Edge("freeze_included", "pending", "frozen"),
    Edge("vote_included", "frozen", "voting"),
    Edge("vote_included", "voting", "voting"),
    Edge("vote_included", "delegated", "delegated"),
    Edge("votes_removed", "voting", "frozen"),
    Edge("votes_removed", "delegated", "delegated"),
    Edge("delegate_included", "frozen", "delegated"),
    Edge("delegate_included", "voting", "delegated"),
    Edge("undelegate_included", "delegated", "voting", (VOTES,)),
    Edge("undelegate_included", "delegated", "frozen", (), (VOTES,)),
    Edge("unfreeze_included", "frozen", "unfreezing", (UNSTAKE,)),
    Edge("unfreeze_included", "voting", "unfreezing", (UNSTAKE,)),
    Edge("matured", "unfreezing", "claimable", (MATURED,)),
    Edge("withdraw_included", "claimable", "withdrawn"),
    Edge("unstake", "pending", "withdrawn", (UNSTAKE,), (FREEZE,)),
    Edge("stake_lost", "frozen", "pending"),
    Edge("stake_lost", "voting", "pending"),
    Edge("stake_lost", "delegated", "pending"),
    Edge("votes_lost", "voting", "frozen"),
    Edge("votes_lost", "delegated", "delegated"),
    Edge("delegation_lost", "delegated", "voting", (VOTES,)),
    Edge("delegation_lost", "delegated", "frozen", (), (VOTES,)),
    Edge("unfreeze_cancelled", "unfreezing", "frozen"),
    *(Edge("spec_changed", state, state) for state in ACTIVE),
)

SOLID = "its block at or below the solid block"
EXPIRY = "solid block time past the expiration and txid absent"
OPERATION_EDGES = (
    Edge("sent", "recorded", "broadcast"),
    Edge("seen_in_block", "recorded", "included"),
    Edge("seen_in_block", "broadcast", "included"),
    Edge("seen_in_block", "rejected", "included"),
    Edge("became_solid", "included", "solidified", (SOLID,)),
    Edge("reorganized", "included", "broadcast"),
    Edge("refused", "recorded", "rejected", (), ("bytes may have reached a node",)),
    Edge("attempt_failed", "recorded", "recorded"),
    Edge("attempt_failed", "broadcast", "broadcast"),
    Edge("proven_expired", "recorded", "expired", (EXPIRY,)),
    Edge("proven_expired", "broadcast", "expired", (EXPIRY,)),
)


def test_the_position_table_is_the_design() -> None:
    rebuilt = TableMachine(
        position_machine.MACHINE_NAME,
        position_machine.State,
        position_machine.TABLE,
        initial=position_machine.State.PENDING,
        final=[position_machine.State.WITHDRAWN],
    )
    assert rebuilt.edges == POSITION_EDGES
    assert position_machine.MACHINE.edges == POSITION_EDGES
    assert rebuilt.describe() == position_machine.MACHINE.describe()


def test_the_operation_table_is_the_design() -> None:
    state = operation_machine.State
    rebuilt = TableMachine(
        operation_machine.MACHINE_NAME,
        state,
        operation_machine.TABLE,
        initial=state.RECORDED,
        final=[state.SOLIDIFIED, state.REJECTED, state.EXPIRED],
    )
    assert rebuilt.edges == OPERATION_EDGES
    assert operation_machine.MACHINE.edges == OPERATION_EDGES
    assert rebuilt.describe() == operation_machine.MACHINE.describe()
    assert rebuilt.fire(state.RECORDED, "sent", operation_machine.Facts()) is state.BROADCAST
