"""A clock the tests move by hand; satisfies tron_staking.store.ports.Clock."""

from __future__ import annotations

import datetime as dt


class ManualClock:
    """Starts at the current time (millisecond precision, as MongoDB stores it)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        now = start or dt.datetime.now(dt.UTC)
        self._now = now.replace(microsecond=now.microsecond // 1000 * 1000)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, seconds: float) -> dt.datetime:
        self._now += dt.timedelta(seconds=seconds)
        return self._now
