"""The watch journal's reading rules and the stream cursor (no server needed)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json

import pytest

from tron_staking.api import events, journal, problems


def entry(seq: int, kind: str, subject: str, key: str) -> dict[str, object]:
    return {"seq": seq, "kind": kind, "subject": subject, "key": key}


def test_a_change_recorded_twice_is_read_once_and_a_return_to_an_earlier_state_is_kept() -> None:
    log = [
        entry(1, "operation", "op_a", "recorded"),
        entry(2, "operation", "op_a", "recorded"),  # a second recorder, same change
        entry(3, "condition", "Ready", "pending"),
        entry(4, "operation", "op_a", "included"),
        entry(5, "operation", "op_a", "broadcast"),  # a reorg took it out
        entry(6, "operation", "op_a", "included"),
        entry(7, "condition", "Ready", "pending"),
    ]
    assert [e["seq"] for e in journal.significant(log)] == [1, 3, 4, 5, 6]


def test_a_state_older_than_its_subjects_last_kept_entry_is_not_read() -> None:
    t0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)
    t1, t2 = t0 + dt.timedelta(minutes=1), t0 + dt.timedelta(minutes=2)
    log = [
        {**entry(1, "operation", "op_a", "broadcast"), "version": 2, "at": t1},
        {**entry(2, "operation", "op_a", "included"), "version": 3, "at": t2},
        {**entry(3, "operation", "op_a", "broadcast"), "version": 2, "at": t1},  # late replica
        {**entry(4, "operation", "op_a", "broadcast"), "version": 4, "at": t0},  # version rules
        {**entry(5, "condition", "Ready", "true"), "at": t2},
        {**entry(6, "condition", "Ready", "false"), "at": t1},  # late replica
        {**entry(7, "condition", "Ready", "unknown"), "at": t2},  # same time: a new reason
    ]
    assert [e["seq"] for e in journal.significant(log)] == [1, 2, 4, 5, 7]
    fold = journal.Fold()
    assert [e["seq"] for e in fold.add(log[:3])] == [1, 2]
    assert [e["seq"] for e in fold.add(log[3:])] == [4, 5, 7]
    assert fold.seq == 7
    stale = journal.Change("operation", "op_a", "recorded", {}, t0, version=1)
    assert not fold.is_new(stale)
    assert fold.is_new(dataclasses.replace(stale, version=5, at=t2))
    assert not fold.is_new(journal.Change("condition", "Ready", "unknown", {}, t2))
    assert not fold.is_new(journal.Change("condition", "Ready", "true", {}, t1))
    assert fold.is_new(journal.Change("condition", "Ready", "true", {}, t2))


def test_the_journal_of_a_position_is_kept_apart_from_its_transitions() -> None:
    assert journal.journal_id("pos_x") == "watch:pos_x"


def _header(cursor: object) -> str:
    text = json.dumps(cursor)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_cursor_round_trip_and_the_earlier_form_resumes_its_journal_from_the_start() -> None:
    cursor = {"pos_a": {"t": 3, "j": 7}}
    assert events.decode(events.encode(cursor)) == cursor
    earlier = {"pos_a": {"t": 3, "c": 12, "o": [5, "op_a"]}}
    assert events.decode(_header(earlier)) == {"pos_a": {"t": 3, "j": 0}}
    assert events.decode(None) == {}


@pytest.mark.parametrize(
    "cursor",
    [[], {"pos_a": {"t": -1, "j": 0}}, {"pos_a": {"t": 1}}, {"pos_a": {"t": 1, "j": True}}],
)
def test_a_cursor_that_is_not_ours_is_a_422_naming_the_header(cursor: object) -> None:
    with pytest.raises(problems.Problem) as raised:
        events.decode(_header(cursor))
    assert raised.value.status == 422
