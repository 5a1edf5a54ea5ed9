"""Ids: prefixed random ids and transaction ids."""

from __future__ import annotations

import pytest

from tron_staking.domain import ids
from tron_staking.errors import ValidationError


def test_new_ids_are_prefixed_unique_and_parse() -> None:
    positions = {ids.new_position_id() for _ in range(200)}
    operations = {ids.new_operation_id() for _ in range(200)}
    assert len(positions) == 200
    assert len(operations) == 200
    for pid in positions:
        assert pid.startswith("pos_")
        assert len(pid) == 26
        assert ids.parse_position_id(pid) == pid
    for oid in operations:
        assert oid.startswith("op_")
        assert ids.parse_operation_id(oid) == oid


@pytest.mark.parametrize(
    "text", ["", "pos_", "pos_short", "op_" + "a" * 22, "pos_" + "-" * 22, None]
)
def test_bad_position_ids(text: object) -> None:
    with pytest.raises(ValidationError) as info:
        ids.parse_position_id(text, field="id")
    assert info.value.field == "id"


def test_txids() -> None:
    txid = "AB" * 32
    assert ids.parse_txid(txid) == "ab" * 32
    for bad in ("ab" * 31, "zz" * 32, 5):
        with pytest.raises(ValidationError):
            ids.parse_txid(bad)
