"""The position spec: every validation rule, with the field it names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.controller.builders import OWNER, RECEIVER, W1, W2, WITNESSES
from tron_staking.domain import addresses, spec
from tron_staking.domain.enums import StakingResourceType
from tron_staking.domain.spec import DelegateSpec, PositionSpec, VoteWeight
from tron_staking.errors import ValidationError

BODY = {
    "owner": OWNER,
    "resource": "ENERGY",
    "amount_sun": 100_000_000,
    "votes": [{"witness": W1, "weight": 70}, {"witness": W2, "weight": 30}],
    "delegate": {"receiver": RECEIVER, "lock": False, "lock_period_blocks": None},
    "auto_claim": False,
    "labels": {"team": "treasury"},
}


def test_parse_the_contract_example() -> None:
    parsed = spec.parse_spec(BODY)
    assert parsed.owner == OWNER
    assert parsed.resource is StakingResourceType.ENERGY
    assert parsed.amount_sun == 100_000_000
    assert parsed.amount_trx == "100"
    assert parsed.tron_power == 100
    assert parsed.votes == (VoteWeight(W1, 70), VoteWeight(W2, 30))
    assert parsed.delegate == DelegateSpec(receiver=RECEIVER)
    assert parsed.labels == {"team": "treasury"}


def test_amount_trx_and_hex_addresses() -> None:
    body = {k: v for k, v in BODY.items() if k != "amount_sun"} | {
        "amount_trx": "1000.5",
        "owner": addresses.to_hex(OWNER),
    }
    parsed = spec.parse_spec(body)
    assert parsed.amount_sun == 1_000_500_000
    assert parsed.owner == OWNER
    assert spec.parse_spec(body | {"amount_trx": Decimal("2")}).amount_sun == 2_000_000


def test_lock_period_default() -> None:
    assert DelegateSpec(RECEIVER, lock=True).effective_lock_period_blocks == 86_400
    assert DelegateSpec(RECEIVER, lock=True, lock_period_blocks=7).effective_lock_period_blocks == 7
    assert DelegateSpec(RECEIVER).effective_lock_period_blocks is None


def _without(key: str) -> dict[str, object]:
    return {k: v for k, v in BODY.items() if k != key}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (BODY | {"color": "red"}, "color"),
        (_without("owner"), "owner"),
        (_without("resource"), "resource"),
        (_without("amount_sun"), "amount_sun"),
        (BODY | {"amount_trx": "1"}, "amount_sun"),
        (BODY | {"owner": "T123"}, "owner"),
        (BODY | {"resource": "TRON_POWER"}, "resource"),
        (BODY | {"amount_sun": 999_999}, "amount_sun"),
        (BODY | {"amount_sun": 10**17 + 1}, "amount_sun"),
        (BODY | {"amount_sun": "100000000"}, "amount_sun"),
        (_without("amount_sun") | {"amount_trx": "0.5"}, "amount_trx"),
        (_without("amount_sun") | {"amount_trx": 1.5}, "amount_trx"),
        (BODY | {"votes": "W1"}, "votes"),
        (BODY | {"votes": [{"witness": W1}]}, "votes[0]"),
        (BODY | {"votes": [{"witness": W1, "weight": 0}]}, "votes[0].weight"),
        (BODY | {"votes": [{"witness": W1, "weight": 101}]}, "votes[0].weight"),
        (BODY | {"votes": [{"witness": W1, "weight": "1"}]}, "votes[0].weight"),
        (BODY | {"votes": [{"witness": "x", "weight": 1}]}, "votes[0].witness"),
        (BODY | {"votes": [{"witness": W1, "weight": 1, "x": 1}]}, "votes[0].x"),
        (
            BODY | {"votes": [{"witness": W1, "weight": 1}, {"witness": W1, "weight": 2}]},
            "votes[1].witness",
        ),
        (BODY | {"votes": [{"witness": w, "weight": 1} for w in WITNESSES[:31]]}, "votes"),
        (BODY | {"delegate": {"receiver": OWNER}}, "delegate.receiver"),
        (BODY | {"delegate": {"lock": True}}, "delegate.receiver"),
        (BODY | {"delegate": {"receiver": RECEIVER, "lock": "yes"}}, "delegate.lock"),
        (
            BODY | {"delegate": {"receiver": RECEIVER, "lock_period_blocks": 10}},
            "delegate.lock_period_blocks",
        ),
        (
            BODY | {"delegate": {"receiver": RECEIVER, "lock": True, "lock_period_blocks": 0}},
            "delegate.lock_period_blocks",
        ),
        (
            BODY
            | {"delegate": {"receiver": RECEIVER, "lock": True, "lock_period_blocks": 864_001}},
            "delegate.lock_period_blocks",
        ),
        (BODY | {"delegate": {"receiver": RECEIVER, "until": 1}}, "delegate.until"),
        (BODY | {"delegate": "T"}, "delegate"),
        (BODY | {"auto_claim": "true"}, "auto_claim"),
        (BODY | {"labels": {f"k{i}": "v" for i in range(17)}}, "labels"),
        (BODY | {"labels": {"k" * 64: "v"}}, "labels"),
        (BODY | {"labels": {"": "v"}}, "labels"),
        (BODY | {"labels": {"k": "v" * 256}}, "labels.k"),
        (BODY | {"labels": {"k": 1}}, "labels.k"),
        (BODY | {"labels": ["k"]}, "labels"),
    ],
)
def test_rejects_with_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        spec.parse_spec(body)
    assert info.value.field == field


def test_limits_are_inclusive() -> None:
    thirty = [{"witness": w, "weight": 100} for w in WITNESSES[:30]]
    assert len(spec.parse_spec(BODY | {"votes": thirty}).votes) == 30
    labels = {"k" * 63: "v" * 255} | {f"k{i}": "" for i in range(15)}
    assert len(spec.parse_spec(BODY | {"labels": labels}).labels) == 16
    locked = {"receiver": RECEIVER, "lock": True, "lock_period_blocks": 864_000}
    assert spec.parse_spec(BODY | {"delegate": locked}).delegate == DelegateSpec(
        RECEIVER, True, 864_000
    )
    assert spec.parse_spec(BODY | {"votes": None, "delegate": None}).votes == ()


def test_direct_construction_validates_and_normalises() -> None:
    made = PositionSpec(
        owner=addresses.Address(addresses.to_hex(OWNER)),
        resource=StakingResourceType.BANDWIDTH,
        amount_sun=5_000_000,
        votes=(VoteWeight(addresses.Address(addresses.to_hex(W1)), 5),),
    )
    assert made.owner == OWNER
    assert made.votes[0].witness == W1
    with pytest.raises(ValidationError):
        made.with_votes((VoteWeight(W1, 1), VoteWeight(W1, 2)))
    with pytest.raises(ValidationError):
        made.with_delegate(DelegateSpec(OWNER))
    assert made.with_auto_claim(True).auto_claim
    assert made.with_labels({"a": "b"}).labels == {"a": "b"}


def test_storage_shapes() -> None:
    delegate = DelegateSpec(RECEIVER, True, 10)
    assert DelegateSpec.from_storage(delegate.for_storage()) == delegate
    assert VoteWeight(W1, 3).for_storage() == {"witness": W1, "weight": 3}
