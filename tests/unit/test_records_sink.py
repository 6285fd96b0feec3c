"""The records sink never skips a batch: while the database is down it retries, not ready."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError

from runtime.health import Health
from runtime.kafka.settings import KafkaSettings
from schemas.topics import Topics
from services.records import sink as sink_module
from services.records.projection import Projection, Rows
from services.records.sink import RecordsSink


class FlakyStore:
    """A store whose database is down for the first ``failures`` writes."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.written: list[dict[tuple[str, int], int]] = []

    def write(self, _rows: Rows, offsets: dict[tuple[str, int], int]) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("INSERT ...", {}, ConnectionRefusedError("database down"))
        self.written.append(offsets)


def sink_with(store: FlakyStore, health: Health) -> RecordsSink:
    return RecordsSink(
        kafka=KafkaSettings(),
        pattern="^x$",
        store=store,  # type: ignore[arg-type]
        projection=Projection(Topics()),
        health=health,
    )


async def test_a_batch_is_retried_until_the_database_is_back(monkeypatch) -> None:
    monkeypatch.setattr(sink_module, "RETRY_FIRST_S", 0.01)
    store, health = FlakyStore(failures=3), Health("records")
    readiness: list[bool] = []
    original = store.write

    def watching(rows: Rows, offsets: dict[tuple[str, int], int]) -> None:
        readiness.append(health.ready)
        original(rows, offsets)

    store.write = watching  # type: ignore[method-assign]
    health.ready = True
    written = await sink_with(store, health)._write(Rows(), {("t", 0): 5}, asyncio.Event())
    assert written is sink_module.Written.DONE
    assert store.written == [{("t", 0): 5}]  # written once, after three refusals
    assert readiness == [True, False, False, False]  # not ready while the database was down
    assert health.ready
    assert health.counters["database_retries"] == 3


async def test_stopping_while_the_database_is_down_leaves_the_batch_to_be_read_again() -> None:
    store, health = FlakyStore(failures=10**6), Health("records")
    stop = asyncio.Event()
    stop.set()
    written = await sink_with(store, health)._write(Rows(), {("t", 0): 5}, stop)
    assert written is sink_module.Written.STOPPED
    assert store.written == []
    assert not health.ready


@pytest.mark.parametrize("failures", [0])
async def test_a_healthy_database_is_written_at_once(failures: int) -> None:
    store, health = FlakyStore(failures), Health("records")
    written = await sink_with(store, health)._write(Rows(), {}, asyncio.Event())
    assert written is sink_module.Written.DONE
    assert health.ready
