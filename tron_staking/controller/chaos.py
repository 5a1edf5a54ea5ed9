"""Chaos testing: make the process die at a chosen step of the transaction pipeline.

``STAKING_CHAOS_CRASH_AT`` (read by the CLI for ``serve``; off by default) names one step;
the first time the controller reaches it, the process exits at once with
:data:`CRASH_EXIT_CODE` — no cleanup, no flushing, no lease release, as a SIGKILL or a power
cut would leave it. Restarted without the setting, the controller must converge every position
with exactly one effective transaction per intent. Steps:

* ``after_record`` — the operation is stored, not yet signed;
* ``after_sign`` — signed, not yet broadcast;
* ``after_broadcast`` — broadcast, the node's answer not yet stored;
* ``after_include`` — the inclusion is stored, the position transition not yet.

Never set it in production.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import sys

from tron_staking.errors import ConfigurationError

CRASH_EXIT_CODE = 86


class CrashPoint(enum.StrEnum):
    AFTER_RECORD = "after_record"
    AFTER_SIGN = "after_sign"
    AFTER_BROADCAST = "after_broadcast"
    AFTER_INCLUDE = "after_include"


@dataclasses.dataclass(frozen=True)
class Chaos:
    """Where to crash (None: never)."""

    crash_at: CrashPoint | None = None

    @classmethod
    def parse(cls, text: str | None) -> Chaos:
        """The chaos of ``STAKING_CHAOS_CRASH_AT``; ConfigurationError for an unknown step."""
        if text is None or not text.strip():
            return cls()
        try:
            return cls(CrashPoint(text.strip().lower()))
        except ValueError:
            steps = ", ".join(point.value for point in CrashPoint)
            raise ConfigurationError(
                f"invalid STAKING_CHAOS_CRASH_AT: {text!r} is not one of {steps}"
            ) from None

    def reached(self, point: CrashPoint) -> None:
        """Exit the process now if ``point`` is the configured step."""
        if self.crash_at is point:
            sys.stderr.write(f"chaos: crashing {point.value}\n")
            sys.stderr.flush()
            os._exit(CRASH_EXIT_CODE)
