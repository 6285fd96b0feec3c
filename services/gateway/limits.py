"""How often one caller may come: a token bucket per key (an organisation, a client address)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEYS = 100_000  # buckets kept; the fullest (idle longest) are forgotten first


@dataclass
class RateLimit:
    """``rate`` a second on average, ``burst`` at once; :meth:`take` says how long to wait."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str) -> float:
        """Spend one token of ``key``'s bucket: 0 if there was one, else seconds until there is."""
        now = self.clock()
        tokens, then = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens < 1:
            self._buckets.pop(key, None)
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        if len(self._buckets) >= MAX_KEYS and key not in self._buckets:
            self._buckets.pop(next(iter(self._buckets)))  # the longest idle: see below
        self._buckets.pop(key, None)  # re-inserted last: the dict's order is last use
        self._buckets[key] = (tokens - 1, now)
        return 0.0
