"""A consumed record and an output record, as every handler and the tracing around it see them.

A module of its own so that the handler shapes (:mod:`runtime.records`) and the spans around
them (:mod:`runtime.tracing`) can both use these names without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Record(Protocol):
    """A consumed record as handlers see it (aiokafka's ``ConsumerRecord`` is one)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record a handler wants written, in the same transaction as its input's offset."""

    topic: str
    value: bytes | None  # None: a tombstone on a compacted topic
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None  # None: the key decides
