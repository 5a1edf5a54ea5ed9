"""The devnet's wall clock, the one place that reads the system time.

Chain time is the head block's timestamp and never comes from here. The wall clock only
stamps what java-tron stamps with the node's local time: the ``timestamp`` of a node-built
transaction and the default genesis time. Tests inject a fixed clock.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock time in milliseconds since the epoch."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The system's wall clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
