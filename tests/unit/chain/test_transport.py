"""Retry-After parsing (the transport's behaviour is tested against the devnet)."""

from __future__ import annotations

import email.utils

import pytest

from tron_staking.chain import transport


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, transport.DEFAULT_RETRY_AFTER_S),
        ("", transport.DEFAULT_RETRY_AFTER_S),
        ("2", 2.0),
        (" 0.5 ", 0.5),
        ("-3", 0.0),
        ("100000", 300.0),
        ("nan", transport.DEFAULT_RETRY_AFTER_S),
        ("soon", transport.DEFAULT_RETRY_AFTER_S),
    ],
)
def test_retry_after_seconds(header: str | None, seconds: float) -> None:
    assert transport.retry_after_s(header) == seconds


def test_retry_after_http_date() -> None:
    now_s = 1_800_000_000.0
    header = email.utils.formatdate(now_s + 7, usegmt=True)
    assert transport.retry_after_s(header, now_s=now_s) == pytest.approx(7.0)


@pytest.mark.parametrize(("qps", "timeout_s"), [(0.0, 1.0), (1.0, 0.0), (-1.0, 1.0)])
def test_budget_and_timeout_must_be_positive(qps: float, timeout_s: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        transport.NodeTransport("http://127.0.0.1:1", qps=qps, timeout_s=timeout_s)
