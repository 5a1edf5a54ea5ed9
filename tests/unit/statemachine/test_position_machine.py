"""The position machine: every allowed transition, every forbidden trigger, history entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from tests.unit.controller.builders import T0, position, spec, txid
from tron_staking.domain.enums import StakingStatusType
from tron_staking.errors import InvalidTransitionError
from tron_staking.statemachine import engine
from tron_staking.statemachine import position as machine
from tron_staking.statemachine.position import Facts, Trigger

State = StakingStatusType
GUARD_FIELDS: dict[engine.Guard, str] = {
    machine.votes_cast: "votes_cast",
    machine.unstake_requested: "unstake_requested",
    machine.freeze_in_flight: "freeze_in_flight",
}


def facts_for(row: engine.TransitionSpec, *, satisfied: bool = True) -> Facts:
    """Facts under which ``row``'s guards all pass (or, with ``satisfied=False``, the first
    guard fails)."""
    facts = Facts(chain_time_ms=1_000, unfreeze_expire_time_ms=2_000)
    wanted = [(g, True) for g in row.get("conditions", [])] + [
        (g, False) for g in row.get("unless", [])
    ]
    for index, (guard, value) in enumerate(wanted):
        if not satisfied and index == 0:
            value = not value
        if guard is machine.unfreeze_matured:
            facts = dataclasses.replace(facts, chain_time_ms=3_000 if value else 1_000)
        else:
            facts = dataclasses.replace(facts, **{GUARD_FIELDS[guard]: value})
    return facts


def edges() -> list[tuple[State, str, State, engine.TransitionSpec]]:
    result = []
    for row in machine.TABLE:
        source = row["source"]
        sources = source if isinstance(source, list) else [source]
        for one in sources:
            assert isinstance(one, State)
            dest = row["dest"]
            result.append((one, str(row["trigger"]), one if dest == "=" else State(str(dest)), row))
    return result


EDGES = edges()


@pytest.mark.parametrize(
    ("source", "trigger", "dest", "row"),
    EDGES,
    ids=[f"{s.value}-{t}-{d.value}" for s, t, d, _ in EDGES],
)
def test_every_allowed_transition(
    source: State, trigger: str, dest: State, row: engine.TransitionSpec
) -> None:
    p = position("p", spec(10), state=source, generation=3)
    at = T0 + dt.timedelta(seconds=1)
    new_state, record = machine.fire(
        p, trigger, at=at, reason="why", txid=txid("t"), block=42, facts=facts_for(row)
    )
    assert new_state is dest
    assert record.machine == "position"
    assert record.subject_id == p.id
    assert (record.from_state, record.to_state, record.trigger) == (
        source.value,
        dest.value,
        trigger,
    )
    assert (record.reason, record.txid, record.block, record.generation, record.at) == (
        "why",
        txid("t"),
        42,
        3,
        at,
    )
    assert p.with_transition(record).state is dest
    assert p.state is source  # firing never changes the record itself


GUARDED = [
    (s, t, row)
    for s, t, _, row in EDGES
    if (row.get("conditions") or row.get("unless"))
    # complementary rows (votes cast → voting, else → frozen) together accept every case
    and sum(1 for s2, t2, _, _ in EDGES if (s2, t2) == (s, t)) == 1
]


@pytest.mark.parametrize(
    ("source", "trigger", "row"), GUARDED, ids=[f"{s.value}-{t}" for s, t, _ in GUARDED]
)
def test_guards_refuse_with_a_clear_message(
    source: State, trigger: str, row: engine.TransitionSpec
) -> None:
    failing = facts_for(row, satisfied=False)
    with pytest.raises(engine.GuardRefusedError) as info:
        machine.fire(position("p", spec(10), state=source), trigger, at=T0, facts=failing)
    message = str(info.value)
    assert f"trigger {trigger!r} refused in state {source.value!r}: requires" in message
    assert info.value.state == source.value
    assert info.value.trigger == trigger


ALLOWED = {(s, t) for s, t, _, _ in EDGES}
FORBIDDEN = [
    (s, t) for s, t in itertools.product(State, [str(t) for t in Trigger]) if (s, t) not in ALLOWED
]


@pytest.mark.parametrize(
    ("state", "trigger"), FORBIDDEN, ids=[f"{s.value}-{t}" for s, t in FORBIDDEN]
)
def test_every_forbidden_trigger_is_rejected(state: State, trigger: str) -> None:
    with pytest.raises(InvalidTransitionError) as info:
        machine.fire(position("p", spec(10), state=state), trigger, at=T0, facts=Facts())
    assert not isinstance(info.value, engine.GuardRefusedError)
    message = str(info.value)
    assert message.startswith(
        f"position: trigger {trigger!r} is not allowed in state {state.value!r}"
    )
    assert "allowed:" in message
    assert machine.next_state(state, trigger, Facts()) is None


def test_unknown_triggers_and_auto_transitions_do_not_exist() -> None:
    for name in ("to_frozen", "freeze", "nonsense"):
        with pytest.raises(InvalidTransitionError):
            machine.fire(position("p", spec(10)), name, at=T0)
    assert "to_frozen" not in machine.MACHINE.triggers


def test_allowed_triggers_follow_the_table() -> None:
    for state in State:
        expected = {t for s, t, _, _ in EDGES if s == state}
        assert set(machine.allowed_triggers(state)) == expected
    assert machine.allowed_triggers(State.WITHDRAWN) == ()
    assert set(machine.allowed_triggers(State.PENDING)) == {
        "freeze_included",
        "unstake",
        "spec_changed",
    }


def test_complementary_guards_cover_every_case() -> None:
    complementary = {(s, t) for s, t, _, _ in EDGES} - {(s, t) for s, t, _ in GUARDED}
    for state, trigger in complementary:
        for cast in (True, False):
            facts = Facts(votes_cast=cast, unstake_requested=True, chain_time_ms=1)
            assert machine.next_state(state, trigger, facts) is not None, (state, trigger)


def test_destinations_chosen_by_guards() -> None:
    delegated = position("p", spec(10), state=State.DELEGATED)
    assert (
        machine.next_state(State.DELEGATED, Trigger.UNDELEGATE_INCLUDED, Facts(votes_cast=True))
        is State.VOTING
    )
    assert machine.next_state(State.DELEGATED, Trigger.UNDELEGATE_INCLUDED, Facts()) is State.FROZEN
    assert (
        machine.next_state(State.DELEGATED, Trigger.DELEGATION_LOST, Facts(votes_cast=True))
        is State.VOTING
    )
    # default facts come from the position itself
    assert machine.fire(delegated, Trigger.UNDELEGATE_INCLUDED, at=T0)[0] is State.FROZEN


def test_the_happy_path_and_the_unstake_path() -> None:
    p = position("p", spec(10), unstake=False)
    path = [
        (Trigger.FREEZE_INCLUDED, Facts()),
        (Trigger.VOTE_INCLUDED, Facts(votes_cast=True)),
        (Trigger.DELEGATE_INCLUDED, Facts(votes_cast=True)),
        (Trigger.UNDELEGATE_INCLUDED, Facts(votes_cast=True, unstake_requested=True)),
        (Trigger.VOTES_REMOVED, Facts(unstake_requested=True)),
        (Trigger.UNFREEZE_INCLUDED, Facts(unstake_requested=True)),
        (Trigger.MATURED, Facts(chain_time_ms=5, unfreeze_expire_time_ms=5)),
        (Trigger.WITHDRAW_INCLUDED, Facts()),
    ]
    states = []
    for trigger, facts in path:
        _, record = machine.fire(p, trigger, at=T0, facts=facts)
        p = p.with_transition(record)
        states.append(p.state.value)
    assert states == [
        "frozen",
        "voting",
        "delegated",
        "voting",
        "frozen",
        "unfreezing",
        "claimable",
        "withdrawn",
    ]


def test_pending_unstake_goes_straight_to_withdrawn() -> None:
    p = position("p", spec(10), unstake=True)
    assert machine.fire(p, Trigger.UNSTAKE, at=T0)[0] is State.WITHDRAWN
    with pytest.raises(engine.GuardRefusedError, match="not freeze in flight"):
        machine.fire(
            p, Trigger.UNSTAKE, at=T0, facts=Facts(unstake_requested=True, freeze_in_flight=True)
        )


def test_one_machine_drives_many_records_without_keeping_them() -> None:
    records = [position(f"p{i}", spec(10)) for i in range(50)]
    for p in records:
        machine.fire(p, Trigger.FREEZE_INCLUDED, at=T0)
    assert machine.MACHINE._machine.models == []
    assert all(p.state is State.PENDING for p in records)


def test_describe_lists_every_edge() -> None:
    described = machine.MACHINE.describe()
    assert described["initial"] == "pending"
    assert described["final"] == ["withdrawn"]
    assert len(described["edges"]) == len(EDGES)  # type: ignore[arg-type]
