"""Exactly-once batches: consume, transform, and write outputs plus offsets in one transaction.

Every pipeline service is a pure batch handler inside this loop. Outputs and the consumed
offsets commit together, so a crash at any point either loses the whole batch's effects
(it is read again) or keeps all of them (it is never read again). Downstream readers use
``read_committed`` and never see an aborted batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import NoOffsetForPartitionError, OffsetOutOfRangeError

from runtime import metrics
from runtime.health import Health
from runtime.heap import Heap
from runtime.kafka.clients import make_consumer, make_producer, safe_client_id
from runtime.kafka.settings import KafkaSettings
from runtime.records import BatchHandler, Outgoing, Record

log = structlog.get_logger(__name__)

PartitionsHook = Callable[[set[TopicPartition]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a processor reads: fixed topics, or every topic matching a pattern."""

    topics: tuple[str, ...] = ()
    pattern: str | None = None


class Positions:
    """Where the processor reads each partition from: never aiokafka's guess.

    The consumer runs with ``auto_offset_reset="none"``; every position is set here, at
    assignment, after a dropped batch and after an out-of-range answer (a restarting broker
    gives those: aiokafka would go back to the start and process everything again). It is the
    group's committed offset, or this process's own last commit if that is further: the group
    answers without waiting for a commit's markers (aiokafka cannot ask for stable offsets),
    so just after our own commit it can still give the one before.
    """

    def __init__(self) -> None:
        """No consumer yet (the processor sets it) and nothing committed by this process."""
        self.consumer: AIOKafkaConsumer | None = None
        self.committed: dict[TopicPartition, int] = {}

    async def seek(self, partitions: set[TopicPartition]) -> None:
        """Move each partition to where processing goes on; the start if nothing was done."""
        consumer = self.consumer
        assert consumer is not None  # noqa: S101 - set while running
        for tp in partitions:
            group = await consumer.committed(tp)
            ours = self.committed.get(tp)
            known = [offset for offset in (group, ours) if offset is not None]
            if known:
                consumer.seek(tp, max(known))
            else:
                await consumer.seek_to_beginning(tp)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Keeps batches and partition moves apart.

    aiokafka runs these callbacks in its coordinator task, concurrently with the processing
    loop, so both sides take the same lock: a revoke waits for the batch in flight to commit,
    and no batch is processed while the service restores the state of new partitions. Each
    assignment starts a new generation; a batch fetched under an older one is dropped (its
    records are fetched again from the group's committed offsets: the partition may have been
    another member's meanwhile, which committed past the batch's first record).
    """

    def __init__(
        self, lock: asyncio.Lock, on_assigned: PartitionsHook | None, positions: Positions
    ) -> None:
        self._lock = lock
        self._on_assigned = on_assigned
        self._positions = positions
        self.generation = 0
        self.failure: Exception | None = None

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self._lock:
            self.generation += 1
            log.info("partitions revoked", partitions=len(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        async with self._lock:
            self.generation += 1
            log.info("partitions assigned", partitions=len(assigned))
            try:
                await self._positions.seek(assigned)
                if self._on_assigned is not None:
                    await self._on_assigned(set(assigned))
            except Exception as error:  # aiokafka would only log it and carry on
                self.failure = error
                raise


class TransactionalProcessor:
    """Runs one service's handler over its subscription with one transaction per batch."""

    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        service: str,
        instance_id: str,
        subscription: Subscription,
        handler: BatchHandler,
        health: Health,
        on_assigned: PartitionsHook | None = None,
        max_batch: int = 500,
        fetch_bytes: int | None = None,
        tick: Callable[[], list[Outgoing]] | None = None,
        tick_every_s: float = 30.0,
        commit_interval_s: float = 0.0,
    ) -> None:
        """Wire the processor; nothing connects until :meth:`run`.

        ``commit_interval_s`` paces the transactions: a batch is taken no sooner than that after
        the last commit (what arrives meanwhile waits in the consumer's buffer, up to
        ``max_batch`` a batch), so a trickle of records does not cost a transaction each.
        """
        self.kafka = kafka
        self.service = service
        self.group_id = safe_client_id(kafka.topic_prefix + "frontdoor", service)
        # Stable per instance, so a restarted process fences its killed predecessor's
        # open transaction at once instead of waiting for it to time out.
        self.transactional_id = safe_client_id(self.group_id, instance_id)
        self.subscription = subscription
        self.handler = handler
        self.health = health
        self.max_batch = max_batch
        self.fetch_bytes = fetch_bytes
        self.tick = tick
        self.tick_every_s = tick_every_s
        self.commit_interval_s = commit_interval_s
        self._last_commit = 0.0
        self._next_tick = 0.0
        self._lock = asyncio.Lock()
        self._positions = Positions()
        self._rebalance = _Rebalance(self._lock, on_assigned, self._positions)
        self.heap = Heap()

    async def run(self, stop: asyncio.Event) -> None:
        """Process batches until ``stop`` is set, then finish the batch in hand and close."""
        producer = make_producer(
            self.kafka,
            client_id=self.transactional_id,
            transactional_id=self.transactional_id,
            max_request_bytes=self.fetch_bytes,
        )
        consumer = make_consumer(
            self.kafka,
            group_id=self.group_id,
            client_id=self.group_id,
            max_partition_fetch_bytes=self.fetch_bytes,
            auto_offset_reset="none",  # positions are set by Positions, never guessed
        )
        self._positions.consumer = consumer
        await producer.start()
        try:
            await consumer.start()
            try:
                self._subscribe(consumer)
                self.health.ready = True
                log.info("processing", group=self.group_id, transactional_id=self.transactional_id)
                await self._loop(consumer, producer, stop)
            finally:
                self.health.ready = False
                await consumer.stop()
        finally:
            await producer.stop()

    def _subscribe(self, consumer: AIOKafkaConsumer) -> None:
        if self.subscription.pattern is not None:
            consumer.subscribe(pattern=self.subscription.pattern, listener=self._rebalance)
        else:
            consumer.subscribe(topics=list(self.subscription.topics), listener=self._rebalance)

    async def _loop(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        stop: asyncio.Event,
    ) -> None:
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                paced = self._last_commit + self.commit_interval_s - time.monotonic()
                if paced > 0:  # let the batch fill: one transaction for what came meanwhile
                    await asyncio.wait({stopping}, timeout=paced)
                    if stop.is_set():
                        break
                generation = self._rebalance.generation
                fetch = asyncio.create_task(
                    consumer.getmany(timeout_ms=500, max_records=self.max_batch),
                )
                done, _ = await asyncio.wait({fetch, stopping}, return_when="FIRST_COMPLETED")
                if fetch not in done:
                    fetch.cancel()
                    break
                try:
                    batch = fetch.result()
                except (OffsetOutOfRangeError, NoOffsetForPartitionError) as error:
                    async with self._lock:
                        await self._reposition(consumer, error)
                    continue
                if self._rebalance.failure is not None:
                    # Restoring state for new partitions failed: processing without it could
                    # decide wrongly, so stop here and let the restart try again.
                    raise RuntimeError("restoring partitions failed") from self._rebalance.failure
                if self.tick is not None and time.monotonic() >= self._next_tick:
                    async with self._lock:
                        await self._tick(producer)
                if not batch:
                    self.heap.idle()
                    continue
                async with self._lock:
                    if generation != self._rebalance.generation:
                        await self._refetch(consumer, batch)
                        continue
                    await self._process(batch, producer, consumer)
                self.heap.after_batch()
        finally:
            stopping.cancel()

    async def _refetch(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[Record]]
    ) -> None:
        """Drop a batch fetched across a rebalance; read on from what was committed.

        Not from the batch's first record: between the fetch and now the partition may have
        moved to another member, which processed and committed past it, and back again.
        ``getmany`` has moved the position past the batch, so every partition still ours is
        sought back to the committed offset (:class:`Positions`).
        """
        await self._positions.seek(set(batch) & consumer.assignment())
        log.info("batch from before a rebalance dropped", records=sum(map(len, batch.values())))

    async def _reposition(
        self, consumer: AIOKafkaConsumer, error: OffsetOutOfRangeError | NoOffsetForPartitionError
    ) -> None:
        """Set the positions aiokafka would have guessed: from what was committed, or the start.

        Out of range comes from a restarting broker (what was committed was processed exactly
        once: never go back to the start); no offset, from a partition nothing has committed.
        """
        said = error.args[0] if error.args else None
        partitions = set(said) if isinstance(said, dict) else {said} if said else set()
        log.info("positions set from the committed offsets", error=type(error).__name__)
        self.health.count("positions_set")
        await self._positions.seek((partitions or consumer.assignment()) & consumer.assignment())

    async def _tick(self, producer: AIOKafkaProducer) -> None:
        """Write what the service's clock says is due, in a transaction of its own."""
        assert self.tick is not None  # noqa: S101 - only called when set
        self._next_tick = time.monotonic() + self.tick_every_s
        outputs = self.tick()
        if not outputs:
            return
        async with producer.transaction():
            await _send_all(producer, outputs)
        self.health.count("tick_records_out", len(outputs))

    async def _process(
        self,
        batch: dict[TopicPartition, list[Record]],
        producer: AIOKafkaProducer,
        consumer: AIOKafkaConsumer,
    ) -> None:
        started = time.perf_counter()
        records = [record for partition_records in batch.values() for record in partition_records]
        outputs = await self.handler(records)
        handled = time.perf_counter()
        try:
            async with producer.transaction():
                await _send_all(producer, outputs)
                offsets = {tp: recs[-1].offset + 1 for tp, recs in batch.items() if recs}
                await producer.send_offsets_to_transaction(offsets, self.group_id)
        except BaseException:
            metrics.ABORTED.labels(service=self.service).inc()
            raise
        committed = time.perf_counter()
        self._last_commit = time.monotonic()
        metrics.TRANSACTION_SECONDS.labels(service=self.service).observe(committed - handled)
        metrics.BATCH_SECONDS.labels(service=self.service).observe(committed - started)
        assigned = consumer.assignment()  # a rebalance may have moved some meanwhile
        for tp, offset in offsets.items():
            highwater = consumer.highwater(tp) if tp in assigned else None
            if highwater is not None:
                metrics.LAG.labels(
                    service=self.service, topic=tp.topic, partition=str(tp.partition)
                ).set(max(0, highwater - offset))
        self._positions.committed |= offsets  # committed: the transaction's commit returned
        self.health.count("records_in", len(records))
        self.health.count("records_out", len(outputs))
        self.health.count("batches")
        log.debug(
            "batch committed",
            records=len(records),
            outputs=len(outputs),
            ms=round((time.perf_counter() - started) * 1000, 1),
            handler_ms=round((handled - started) * 1000, 1),
        )


async def _send_all(producer: AIOKafkaProducer, outputs: list[Outgoing]) -> None:
    """Send every output and wait until the broker has taken each one.

    A record the broker refuses (too large, say) fails only its own delivery future: the
    transaction's commit would not notice and would commit the batch without it. So every
    delivery is awaited here, inside the transaction, and the first failure raises: the
    transaction aborts, no offset is committed and the batch is read again on restart.
    """
    deliveries = [
        await producer.send(
            out.topic,
            out.value,
            key=out.key,
            headers=list(out.headers),
            partition=out.partition,
        )
        for out in outputs
    ]
    if not deliveries:
        return
    results = await asyncio.gather(*deliveries, return_exceptions=True)
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        log.error(
            "records refused by the broker; the transaction is aborted",
            refused=len(failures),
            outputs=len(outputs),
            error=type(failures[0]).__name__,
        )
        raise failures[0]
