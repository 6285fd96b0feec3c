"""Records in, records out: the shape of every handler the processor runs.

A handler turns a batch of consumed records into the records to write and never does I/O
itself, so it can be tested in milliseconds with plain objects in place of Kafka's records.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Protocol

from runtime import tracing
from runtime.messages import Outgoing, Record

__all__ = ["BatchHandler", "Outgoing", "Record", "RecordHandler", "dead_letter"]


class BatchHandler(Protocol):
    """Turns a batch of consumed records into the records to write; never does I/O itself."""

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        """Outputs for ``records``, in the order they must be written."""
        ...


class RecordHandler(ABC):
    """A batch handler that handles each record on its own, in order.

    ``partner_input``: it reads what partners write, whose trace headers are not trusted (each
    record starts a trace of its own, linked to the one it says).
    """

    partner_input: ClassVar[bool] = False

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        """Outputs for a batch, in input order."""
        outputs: list[Outgoing] = []
        for record in records:
            # what it writes continues the record's trace (or a new one, linked to a partner's)
            with tracing.consuming(record, from_partner=self.partner_input):
                outputs.extend(tracing.stamped(self.handle(record)))
        return outputs

    @abstractmethod
    def handle(self, record: Record) -> list[Outgoing]:
        """The outputs of one record."""


def dead_letter(topic: str, record: Record, reason: str) -> Outgoing:
    """An input that cannot be handled, kept whole on a dead-letter topic with the reason."""
    return Outgoing(
        topic,
        record.value or b"",
        key=record.key,
        headers=(("frontdoor-reason", reason.encode()),),
    )
