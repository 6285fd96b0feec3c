"""Keeps the garbage collector's full passes off the hot path of a service.

A service's state (triage's cases) is a large heap of long-lived objects, and each of
CPython's full collections scans all of it. Measured in triage: 4 full passes of up to 244 ms
over 20,000 referrals, a sixth of its time, and the cause of the pipeline's latency tail.
After each batch the survivors are moved out of the collector's sight (``gc.freeze``, which
costs nothing); objects still free themselves by reference counting as before. A full
collection runs when the service is idle, and at the latest every ``full_every_s`` under
load, so cyclic garbage cannot pile up.
"""

from __future__ import annotations

import gc
import time

import structlog

log = structlog.get_logger(__name__)


class Heap:
    """When to collect fully, for one service process."""

    def __init__(self, *, idle_every_s: float = 60.0, full_every_s: float = 600.0) -> None:
        """Collect fully when idle (at most every ``idle_every_s``) or every ``full_every_s``."""
        self.idle_every_s = idle_every_s
        self.full_every_s = full_every_s
        self.last_full = time.monotonic()

    def after_batch(self) -> None:
        """A batch is done: what survived it is long-lived; stop scanning it."""
        if time.monotonic() - self.last_full > self.full_every_s:
            self.collect()
        gc.freeze()

    def idle(self) -> None:
        """Nothing to do: a good moment for a full collection, now and then."""
        if time.monotonic() - self.last_full > self.idle_every_s:
            self.collect()

    def collect(self) -> None:
        """Scan everything once, frozen objects included, and free what is garbage."""
        started = time.perf_counter()
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        self.last_full = time.monotonic()
        log.debug("full collection", freed=freed, ms=round((time.perf_counter() - started) * 1000))
