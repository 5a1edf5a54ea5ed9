"""The production clock of the store: aware UTC wall time.

The composition root passes a :class:`WallClock` wherever a
:class:`~tron_staking.store.ports.Clock` is wanted; tests pass a clock they move themselves.
"""

from __future__ import annotations

import datetime as dt


class WallClock:
    """Reads the system clock; every value is an aware UTC datetime."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)
