"""Vote arithmetic: per-position allocation, account lists, and java-tron's rescaling."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.controller.builders import W1, W2, W3, WITNESSES, pid, wv
from tron_staking.domain import votes
from tron_staking.domain.addresses import Address
from tron_staking.domain.spec import VoteWeight
from tron_staking.domain.votes import VoteWarning, WitnessVote

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)
SUN = 1_000_000


def test_allocation_by_weight_with_largest_remainder() -> None:
    # 100 votes at 1:1:1 → 33.33 each; the leftover vote goes to the smallest address.
    shares = votes.allocate_position_votes(
        100 * SUN, [VoteWeight(W3, 1), VoteWeight(W1, 1), VoteWeight(W2, 1)]
    )
    assert shares == (wv(W1, 34), wv(W2, 33), wv(W3, 33))
    assert votes.allocate_position_votes(
        1000 * SUN + 999_999, [VoteWeight(W1, 70), VoteWeight(W2, 30)]
    ) == (wv(W1, 700), wv(W2, 300))
    assert votes.allocate_position_votes(10 * SUN, []) == ()
    # a share that rounds to 0 is left out
    assert votes.allocate_position_votes(1 * SUN, [VoteWeight(W1, 99), VoteWeight(W2, 1)]) == (
        wv(W1, 1),
    )


def test_java_tron_rescaling_example() -> None:
    # Reference §3.2: 2,000 TP voting 600/400, unstake 1,500 → TP 500 → 300/200.
    before = (wv(W1, 600), wv(W2, 400))
    assert votes.predict_unfreeze_rescale(before, 500 * SUN) == (wv(W1, 300), wv(W2, 200))
    # still covered: unchanged
    assert votes.predict_unfreeze_rescale(before, 1000 * SUN) == before
    # zeros dropped, list order and duplicates kept
    assert votes.predict_unfreeze_rescale((wv(W2, 1), wv(W1, 998), wv(W2, 1)), 10 * SUN) == (
        wv(W1, 9),
    )
    assert votes.predict_unfreeze_rescale((), 0) == ()


def test_rescaling_uses_double_arithmetic() -> None:
    # Exact arithmetic gives 7/10 × 90 = 63, but 7/10 is 0.69999… in doubles and java-tron
    # truncates 62.99999… to 62; the planner must predict what the chain does.
    before = (wv(W1, 7_000), wv(W2, 3_000))
    assert votes.predict_unfreeze_rescale(before, 90 * SUN) == (wv(W1, 62), wv(W2, 27))


def test_account_votes_sum_positions_and_keep_unmanaged() -> None:
    a, b_ = pid("a"), pid("b")
    account = votes.allocate_account_votes(
        {a: (wv(W1, 70), wv(W2, 30)), b_: (wv(W2, 50),)}, {W3: 20}, 1000
    )
    assert account.votes == (wv(W1, 70), wv(W2, 80), wv(W3, 20))
    assert account.per_position == {a: (wv(W1, 70), wv(W2, 30)), b_: (wv(W2, 50),)}
    assert account.unmanaged == (wv(W3, 20),)
    assert account.warnings == ()


def test_account_votes_fit_the_tron_power() -> None:
    a = pid("a")
    scaled_unmanaged = votes.allocate_account_votes({a: (wv(W1, 100),)}, {W2: 50, W3: 50}, 150)
    assert scaled_unmanaged.votes == (wv(W1, 100), wv(W2, 25), wv(W3, 25))
    assert scaled_unmanaged.warnings == (VoteWarning.UNMANAGED_SCALED_DOWN,)
    scaled_managed = votes.allocate_account_votes({a: (wv(W1, 100), wv(W2, 50))}, {W3: 5}, 30)
    assert votes.total(scaled_managed.votes) == 30
    assert scaled_managed.per_position[a] == (wv(W1, 20), wv(W2, 10))
    assert set(scaled_managed.warnings) == {
        VoteWarning.MANAGED_SCALED_DOWN,
        VoteWarning.UNMANAGED_DROPPED,
    }


def test_account_votes_witness_limit() -> None:
    many = {pid(f"p{i}"): (wv(w, 1),) for i, w in enumerate(WITNESSES[:31])}
    refused = votes.allocate_account_votes(many, {}, 1000)
    assert refused.refused
    assert refused.votes == ()
    thirty = dict(list(many.items())[:29])
    unmanaged = {WITNESSES[35]: 5, WITNESSES[36]: 9, WITNESSES[0]: 1}
    account = votes.allocate_account_votes(thirty, unmanaged, 1000)
    assert len(account.votes) == 30
    assert wv(WITNESSES[36], 9) in account.votes  # the larger unmanaged vote keeps the slot
    assert WITNESSES[35] not in {v.witness for v in account.votes}
    assert account.warnings == (VoteWarning.UNMANAGED_DROPPED,)


def test_apportion() -> None:
    assert votes.apportion({"a": 1, "b": 1}, 3) == {"a": 2, "b": 1}
    assert votes.apportion({"a": 0}, 5) == {"a": 0}
    assert votes.apportion({}, 5) == {}


weights = st.lists(
    st.tuples(st.sampled_from(WITNESSES), st.integers(1, 100)),
    min_size=1,
    max_size=30,
    unique_by=lambda item: item[0],
)


@PROPERTY
@given(st.integers(1 * SUN, 10**17), weights, st.randoms(use_true_random=False))
def test_allocation_properties(amount_sun: int, pairs: list[tuple[str, int]], rnd: object) -> None:
    spec_votes = [VoteWeight(Address(w), x) for w, x in pairs]
    shares = votes.allocate_position_votes(amount_sun, spec_votes)
    assert votes.total(shares) == amount_sun // SUN
    assert list(shares) == sorted(shares)
    assert all(share.count > 0 for share in shares)
    shuffled = list(spec_votes)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert votes.allocate_position_votes(amount_sun, shuffled) == shares
    # each share is within one vote of the exact proportion
    total_weight = sum(x for _, x in pairs)
    by = votes.by_witness(shares)
    for witness, weight in pairs:
        exact = (amount_sun // SUN) * weight / total_weight
        assert abs(by.get(Address(witness), 0) - exact) < 1


@PROPERTY
@given(
    st.lists(st.tuples(st.sampled_from(WITNESSES[:5]), st.integers(1, 10**6)), max_size=8),
    st.integers(0, 10**13),
)
def test_rescale_never_exceeds_the_new_tron_power(
    entries: list[tuple[str, int]], tron_power_sun: int
) -> None:
    before = tuple(WitnessVote(Address(w), c) for w, c in entries)
    after = votes.predict_unfreeze_rescale(before, tron_power_sun)
    if votes.total(before) * SUN <= tron_power_sun:
        assert after == before
    else:
        assert votes.total(after) * SUN <= tron_power_sun
        assert all(v.count > 0 for v in after)


@PROPERTY
@given(
    st.dictionaries(st.sampled_from(WITNESSES[:8]), st.integers(1, 10**6), max_size=8),
    st.dictionaries(st.sampled_from(WITNESSES[5:12]), st.integers(1, 10**6), max_size=6),
    st.integers(0, 10**7),
)
def test_account_votes_never_exceed_tron_power(
    managed: dict[str, int], unmanaged: dict[str, int], limit: int
) -> None:
    per_position = {pid("p"): votes.vote_list({Address(w): c for w, c in managed.items()})}
    account = votes.allocate_account_votes(
        per_position, {Address(w): c for w, c in unmanaged.items()}, limit
    )
    assert votes.total(account.votes) <= limit
    assert len(account.votes) <= 30
    assert votes.by_witness(account.votes) == votes.add(
        *(votes.by_witness(v) for v in account.per_position.values()),
        votes.by_witness(account.unmanaged),
    )


def test_apportion_edges() -> None:
    assert votes.apportion({"a": 1}, 5) == {"a": 5}  # one weight of 1 takes every seat
    assert votes.apportion({"a": 1, "b": 0}, 0) == {"a": 0, "b": 0}
    with pytest.raises(ValueError, match=r"^seats must not be negative$"):
        votes.apportion({"a": 1}, -1)


def test_thirty_managed_witnesses_fit_and_thirty_one_do_not() -> None:
    thirty = {pid(f"p{i}"): (wv(w, 1),) for i, w in enumerate(WITNESSES[:30])}
    account = votes.allocate_account_votes(thirty, {}, 1000)
    assert account.refused is None
    assert len(account.votes) == 30
    refused = votes.allocate_account_votes(
        {**thirty, pid("x"): (wv(WITNESSES[30], 1),)}, {W1: 3}, 1000
    )
    assert refused.refused == (
        "the positions name 31 witnesses; an account can vote for at most 30"
    )
    assert (refused.votes, refused.per_position, refused.unmanaged) == ((), {}, ())
    assert refused.warnings == ()


def test_unmanaged_counts_of_zero_and_one() -> None:
    a = pid("a")
    # a zero unmanaged count is no vote at all: nothing to drop, no warning
    over = votes.allocate_account_votes({a: (wv(W1, 100),)}, {W2: 0}, 50)
    assert over.warnings == (VoteWarning.MANAGED_SCALED_DOWN,)
    assert over.votes == (wv(W1, 50),)
    # a single unmanaged vote is kept
    kept = votes.allocate_account_votes({a: (wv(W1, 10),)}, {W2: 1}, 100)
    assert kept.unmanaged == (wv(W2, 1),)
    assert kept.votes == (wv(W1, 10), wv(W2, 1))


def test_exactly_enough_tron_power_changes_nothing() -> None:
    a = pid("a")
    managed_only = votes.allocate_account_votes({a: (wv(W1, 60), wv(W2, 40))}, {}, 100)
    assert managed_only.warnings == ()
    both = votes.allocate_account_votes({a: (wv(W1, 100),)}, {W2: 50}, 150)
    assert both.warnings == ()
    assert both.votes == (wv(W1, 100), wv(W2, 50))


def test_no_tron_power_leaves_no_votes() -> None:
    a = pid("a")
    for limit in (0, -5):
        account = votes.allocate_account_votes({a: (wv(W1, 3), wv(W2, 1))}, {W3: 2}, limit)
        assert account.votes == ()
        assert account.per_position == {a: ()}
        assert account.warnings == (
            VoteWarning.MANAGED_SCALED_DOWN,
            VoteWarning.UNMANAGED_DROPPED,
        )


def test_rescaling_at_the_edges() -> None:
    # Tron power exactly covering the votes keeps them as they are, even where the double
    # arithmetic of a rescale would lose a vote (1/49 × 49 TRX → 0.99999…).
    before = (wv(W1, 1), wv(W2, 48))
    assert votes.predict_unfreeze_rescale(before, 49 * SUN) == before
    assert votes.predict_unfreeze_rescale(before, 49 * SUN - 1) == (wv(W2, 47),)
    # counts of exactly one survive a rescale
    assert votes.predict_unfreeze_rescale((wv(W1, 2), wv(W2, 2)), 2 * SUN) == (
        wv(W1, 1),
        wv(W2, 1),
    )
