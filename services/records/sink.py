"""The records service's loop: read a batch, write its rows and offsets in one transaction.

The consumer's own committed offsets are never used: on every assignment each partition is
moved to the offset stored in the database with the last rows written from it, so a restart
reads only what is new and a crash at any moment neither loses nor doubles a row. A record
that cannot be read goes to the dead letters (and is counted as read), and so does one whose
data the database refuses (found record by record, with the kind of error). While the database
is unreachable the batch is retried with backoff and ``/health`` says not ready; nothing is
skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from enum import Enum

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from runtime import metrics, tracing
from runtime.health import Health
from runtime.kafka.clients import make_consumer, make_producer, safe_client_id
from runtime.kafka.settings import KafkaSettings
from runtime.records import Record
from services.records.projection import Projection, Rows
from services.records.store import RecordsStore, TopicPartitionKey

log = structlog.get_logger(__name__)
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 10.0
# What the database says of the data itself, not of being reachable: retrying cannot help.
REFUSED_DATA = (DataError, IntegrityError)


class Written(Enum):
    """What came of writing a batch."""

    DONE = "done"
    STOPPED = "stopped"  # the service stopped while the database was unreachable
    REFUSED = "refused"  # the database refused the data


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    """Moves each newly assigned partition to where the database says it was left."""

    def __init__(self, sink: RecordsSink) -> None:
        self.sink = sink

    async def on_partitions_revoked(self, _revoked: set[TopicPartition]) -> None:
        async with self.sink.lock:
            self.sink.generation += 1

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        async with self.sink.lock:
            self.sink.generation += 1
            known = await self.sink.seek_to_stored(assigned)
            log.info("partitions assigned", partitions=len(assigned), known=known)


class RecordsSink:
    """Consumes the records topics into the records database."""

    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        pattern: str,
        store: RecordsStore,
        projection: Projection,
        health: Health,
        max_batch: int = 1000,
    ) -> None:
        """Wire the sink; nothing connects until :meth:`run`."""
        self.kafka = kafka
        self.pattern = pattern
        self.store = store
        self.projection = projection
        self.health = health
        self.max_batch = max_batch
        self.group_id = safe_client_id(kafka.topic_prefix + "frontdoor", "records")
        self.lock = asyncio.Lock()
        self.generation = 0
        self.consumer: AIOKafkaConsumer | None = None
        self.refusal = ""  # the kind of the database's last refusal of data

    async def run(self, stop: asyncio.Event) -> None:
        """Write batches until ``stop`` is set, then finish the one in hand."""
        self.consumer = make_consumer(self.kafka, group_id=self.group_id, client_id=self.group_id)
        self.consumer.subscribe(pattern=self.pattern, listener=_SeekToStored(self))
        producer = make_producer(self.kafka, client_id=self.group_id + "-dead-letter")
        await producer.start()
        try:
            await self.consumer.start()
            try:
                self.health.ready = True
                log.info("recording", group=self.group_id)
                while not stop.is_set():
                    generation = self.generation
                    batch = await self.consumer.getmany(timeout_ms=500, max_records=self.max_batch)
                    if batch:
                        async with self.lock:
                            if generation == self.generation:
                                await self._record(batch, producer, stop)
                            else:
                                await self._read_again(batch)
            finally:
                self.health.ready = False
                await self.consumer.stop()
        finally:
            await producer.stop()

    async def _read_again(self, batch: dict[TopicPartition, list[Record]]) -> None:
        """Drop a batch fetched across a rebalance and read it again from the database's offsets.

        ``getmany`` has already moved the consumer past the batch, and it may have been fetched
        after the new assignment's seek: skipping it without a seek would lose its rows for ever.
        The database's offsets are the source of truth (another member may have written some of
        it meanwhile), so each partition still ours goes back to where the database says.
        """
        assert self.consumer is not None  # noqa: S101 - set while running
        await self.seek_to_stored(set(batch) & self.consumer.assignment())
        log.info("batch from before a rebalance read again", records=sum(map(len, batch.values())))

    async def seek_to_stored(self, partitions: set[TopicPartition]) -> int:
        """Move each partition to the offset stored with its last rows (the start if none).

        Returns how many of them the database knew. Called under :attr:`lock`.
        """
        consumer = self.consumer
        assert consumer is not None  # noqa: S101 - set while running
        stored = await asyncio.to_thread(self.store.next_offsets)
        for tp in partitions:
            if (tp.topic, tp.partition) in stored:
                consumer.seek(tp, stored[tp.topic, tp.partition])
            else:
                await consumer.seek_to_beginning(tp)
        return sum((tp.topic, tp.partition) in stored for tp in partitions)

    async def _record(
        self,
        batch: dict[TopicPartition, list[Record]],
        producer: AIOKafkaProducer,
        stop: asyncio.Event,
    ) -> None:
        started = time.perf_counter()
        started_ns = time.time_ns()
        records = [record for partition in batch.values() for record in partition]
        rows, unreadable = self.projection.rows(records)
        for record in unreadable:
            await self._dead_letter(producer, record, "records: unreadable record")
        offsets: dict[TopicPartitionKey, int] = {
            (tp.topic, tp.partition): recs[-1].offset + 1 for tp, recs in batch.items() if recs
        }
        writing = time.perf_counter()
        written = await self._write(rows, offsets, stop)
        if written is Written.REFUSED:
            # Something in the batch is data the database will not take: find it record by
            # record, set it aside with the reason, and write the rest. Never retried forever.
            written = await self._record_one_by_one(batch, producer, stop)
        if written is Written.STOPPED:
            return  # stopping: the batch is read again on the next start
        done = time.perf_counter()
        tracing.recorded(records, started_ns)
        metrics.TRANSACTION_SECONDS.labels(service="records").observe(done - writing)
        metrics.BATCH_SECONDS.labels(service="records").observe(done - started)
        # aiokafka's records carry the time they were written (a test's stand-ins may not)
        stamps = [t for r in records if isinstance(t := getattr(r, "timestamp", None), int)]
        newest = max(stamps, default=None)
        if newest is not None:  # how far behind Kafka the database is, by the newest record
            metrics.RECORDS_LAG_SECONDS.set(max(0.0, time.time() - newest / 1000))
        self.health.count("records_in", len(records))
        self.health.count("rows_written", rows.count())
        self.health.count("batches")
        log.debug("batch recorded", records=len(records), rows=rows.count())

    async def _record_one_by_one(
        self,
        batch: dict[TopicPartition, list[Record]],
        producer: AIOKafkaProducer,
        stop: asyncio.Event,
    ) -> Written:
        """Write each record of a refused batch on its own, with its offset.

        Those the database refuses go to the dead letters with the kind of error; the rest are
        written.
        """
        for tp, records in batch.items():
            for record in records:
                rows, _unreadable = self.projection.rows([record])  # already set aside
                offset = {(tp.topic, tp.partition): record.offset + 1}
                written = await self._write(rows, offset, stop)
                if written is Written.STOPPED:
                    return written
                if written is Written.REFUSED:
                    await self._dead_letter(
                        producer, record, f"records: the database refused it ({self.refusal})"
                    )
                    if await self._write(Rows(), offset, stop) is not Written.DONE:
                        return Written.STOPPED  # the offset alone cannot be refused
        return Written.DONE

    async def _dead_letter(self, producer: AIOKafkaProducer, record: Record, reason: str) -> None:
        await producer.send_and_wait(
            self.kafka.topics.dead_letter,
            record.value,
            key=record.key,
            headers=[("frontdoor-reason", reason.encode())],
        )
        log.warning(
            "record set aside", topic=record.topic, partition=record.partition, reason=reason
        )
        self.health.count("records_dead_lettered")

    async def _write(
        self, rows: Rows, offsets: dict[TopicPartitionKey, int], stop: asyncio.Event
    ) -> Written:
        """Write, retrying with backoff while the database is unreachable.

        DONE once written; STOPPED if the service stopped first; REFUSED if the database
        refused the data itself (a NUL in text, a value too long, a broken constraint): that
        is not retried, since it would be refused for ever.
        """
        wait = RETRY_FIRST_S
        while True:
            try:
                await asyncio.to_thread(self.store.write, rows, offsets)
            except REFUSED_DATA as error:
                self.refusal = type(error.orig or error).__name__
                log.error("the database refused a batch's data", error=self.refusal)  # noqa: TRY400
                return Written.REFUSED
            except (OperationalError, DBAPIError) as error:
                self.health.ready = False
                self.health.count("database_retries")
                log.error(  # noqa: TRY400 - the kind of failure, not a traceback of a known case
                    "database unavailable; retrying the batch", error=type(error).__name__
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                if stop.is_set():
                    return Written.STOPPED
                wait = min(RETRY_MAX_S, wait * 2)
            else:
                self.health.ready = True
                return Written.DONE
