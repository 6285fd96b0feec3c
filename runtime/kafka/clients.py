"""Factories for aiokafka clients configured for Front Door's delivery guarantees."""

from __future__ import annotations

import re
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.producer import sender as _sender

from runtime.kafka.settings import KafkaSettings

# Larger than any record but a rejected oversized message (intake raises it for those),
# with room for batching.
MAX_REQUEST_BYTES = 4 * 1024 * 1024

# After a commit the coordinator still writes the transaction's markers; a new transaction
# started meanwhile is answered CONCURRENT_TRANSACTIONS and retried after a pause. aiokafka
# pauses 20 ms (100 ms for some requests), which made that pause most of every batch's cost
# (measured: back-to-back one-batch transactions took 24 ms at the median, 126 ms at worst;
# with these pauses, 3 ms and 19 ms). A retry on the local connection costs well under 1 ms.
_sender.BACKOFF_OVERRIDE = 0.005
RETRY_BACKOFF_MS = 10


def make_producer(
    kafka: KafkaSettings,
    *,
    client_id: str,
    transactional_id: str | None = None,
    linger_ms: int = 5,
    max_request_bytes: int | None = None,
) -> AIOKafkaProducer:
    """A producer with ``acks=all`` and idempotence; transactional when given an id."""
    options: dict[str, Any] = kafka.client_options()
    return AIOKafkaProducer(
        **options,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        transactional_id=transactional_id,
        # A killed process's open transaction blocks read_committed readers until it is
        # aborted; restarts fence it at once, this bounds the wait when nothing restarts.
        transaction_timeout_ms=15_000,
        linger_ms=linger_ms,
        retry_backoff_ms=RETRY_BACKOFF_MS,
        max_batch_size=256 * 1024,
        max_request_size=max(max_request_bytes or 0, MAX_REQUEST_BYTES),
        compression_type=None,
    )


def make_consumer(
    kafka: KafkaSettings,
    *,
    group_id: str | None,
    client_id: str,
    topics: list[str] | None = None,
    max_partition_fetch_bytes: int | None = None,
    auto_offset_reset: str = "earliest",
) -> AIOKafkaConsumer:
    """A ``read_committed`` consumer that never commits on its own.

    ``auto_offset_reset="none"`` for a consumer whose positions its owner sets itself: aiokafka
    then never moves it to the start on its own (it would, on an out-of-range answer).
    """
    return AIOKafkaConsumer(
        *(topics or []),
        **kafka.client_options(),
        client_id=client_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset=auto_offset_reset,
        isolation_level="read_committed",
        max_partition_fetch_bytes=max_partition_fetch_bytes or MAX_REQUEST_BYTES,
        # New partner topics are found within this many milliseconds, without a restart.
        metadata_max_age_ms=5_000,
        # A killed member is noticed within 6 s, so its partitions move on quickly.
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_500,
        fetch_max_wait_ms=50,
    )


def make_admin(kafka: KafkaSettings, *, client_id: str = "frontdoor-admin") -> AIOKafkaAdminClient:
    """An admin client for topics and cluster checks."""
    return AIOKafkaAdminClient(**kafka.client_options(), client_id=client_id)


def safe_client_id(*parts: str) -> str:
    """A client or transactional id built from parts, limited to characters Kafka accepts."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", "-".join(p for p in parts if p))
