"""How cached values are written: compact JSON text, with a positive, finite TTL.

Shared by :mod:`~tron_staking.cache.redis_cache` and :mod:`~tron_staking.cache.null`, so that
both caches refuse the same bad arguments (a bug must not hide behind a disabled cache).
"""

from __future__ import annotations

import json
import math
from typing import Any


def encode(value: Any) -> str:
    """``value`` as JSON text; TypeError / ValueError when it is not JSON-serialisable."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def decode(text: str | bytes) -> Any:
    """The value of JSON ``text``; ValueError when it is not JSON."""
    return json.loads(text)


def check_ttl(ttl_s: float) -> None:
    """ValueError unless ``ttl_s`` is a positive, finite number of seconds."""
    if not (ttl_s > 0 and math.isfinite(ttl_s)):
        raise ValueError(f"ttl_s must be positive, not {ttl_s}")
