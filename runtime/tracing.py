"""Traces: one referral's path from partner to queue to referrer is one OpenTelemetry trace.

The W3C ``traceparent`` travels in each Kafka record's headers: every service continues the
trace of the record it handles and stamps what it writes with its own span. What a partner or
an anonymous caller sends is not trusted: their request (or the record they publish) starts a
new trace of Front Door's own, *linked* to theirs, so a caller neither forces nor suppresses
sampling, and their ``tracestate`` never travels on (to another organisation's status records
and webhooks, say); Front Door writes ``traceparent`` only. Off by default; spans are exported
by OTLP (HTTP) when ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
is set, with the SDK's other ``OTEL_*`` variables as documented by OpenTelemetry.

Spans carry topics, partitions, offsets and route templates: never a name, a reference or
anything a referral says.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from runtime.messages import Outgoing, Record

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
TRACE_HEADERS = frozenset({"traceparent", "tracestate"})
WRITTEN = "traceparent"  # what Front Door writes on: never a caller's tracestate
NEW_TRACE = otel_context.Context()  # no parent: a root span
PROPAGATOR = TraceContextTextMapPropagator()
TRACER = trace.get_tracer("frontdoor")


class _KafkaHeaders(Getter[Sequence[tuple[str, bytes]]]):
    """Reads a W3C header from a Kafka record's ``(name, bytes)`` headers."""

    def get(self, carrier: Sequence[tuple[str, bytes]], key: str) -> list[str] | None:
        found = [value.decode("latin-1") for name, value in carrier if name == key and value]
        return found or None

    def keys(self, carrier: Sequence[tuple[str, bytes]]) -> list[str]:
        return [name for name, _ in carrier]


class _HttpHeaders(Getter[Mapping[str, str]]):
    """Reads a W3C header from an HTTP request's headers (lower-case names)."""

    def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
        value = carrier.get(key)
        return [value] if value else None

    def keys(self, carrier: Mapping[str, str]) -> list[str]:
        return list(carrier)


def enabled() -> bool:
    """Whether this process was told where to export spans."""
    return any(os.environ.get(name) for name in ENDPOINT_VARIABLES)


def configure(service: str) -> bool:
    """Export this process's spans by OTLP as ``frontdoor-<service>`` if an endpoint is set.

    Whether it does. Spans are batched and sent in the background; what is left is sent when
    the process exits normally.
    """
    if not enabled():
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415

    provider = TracerProvider(resource=Resource.create({"service.name": f"frontdoor-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return True


def record_context(record: Record) -> otel_context.Context | None:
    """The trace a consumed record belongs to (from its headers); None if it carries none."""
    headers = getattr(record, "headers", None) or ()
    if not any(name == "traceparent" for name, _ in headers):
        return None
    return PROPAGATOR.extract(headers, getter=_KafkaHeaders())


def http_context(headers: Iterable[tuple[bytes, bytes]]) -> otel_context.Context | None:
    """The trace an HTTP request (ASGI headers) belongs to; None if it carries none."""
    carrier = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in headers}
    if "traceparent" not in carrier:
        return None
    return PROPAGATOR.extract(carrier, getter=_HttpHeaders())


def current_headers() -> tuple[tuple[str, bytes], ...]:
    """The current span as Kafka headers: its ``traceparent`` only (none if not recording)."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return tuple(
        (name, value.encode("latin-1")) for name, value in carrier.items() if name == WRITTEN
    )


def _linked(caller: otel_context.Context | None) -> list[trace.Link]:
    """A link to the caller's span, if they sent a valid one."""
    if caller is None:
        return []
    span = trace.get_current_span(caller).get_span_context()
    return [trace.Link(span)] if span.is_valid else []


def stamped(outputs: list[Outgoing]) -> list[Outgoing]:
    """``outputs`` carrying the current span, in place of any trace headers they had."""
    headers = current_headers()
    if not headers:
        return outputs
    return [
        replace(
            out,
            headers=tuple(h for h in out.headers if h[0] not in TRACE_HEADERS) + headers,
        )
        for out in outputs
    ]


def _processing(record: Record) -> dict[str, str | int]:
    """What a span of handling ``record`` says about it: where it was, never what it held."""
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": record.topic,
        "messaging.destination.partition.id": str(record.partition),
        "messaging.kafka.offset": record.offset,
    }


@contextmanager
def consuming(record: Record, *, from_partner: bool = False) -> Iterator[None]:
    """A span for handling one record, in the trace the record carries (a new one if none).

    A record a partner wrote (``from_partner``) starts a new trace, linked to the one it says.
    """
    said = record_context(record)
    with TRACER.start_as_current_span(
        f"process {record.topic}",
        context=NEW_TRACE if from_partner else said,
        links=_linked(said) if from_partner else None,
        kind=SpanKind.CONSUMER,
        attributes=_processing(record),
    ):
        yield


@contextmanager
def delivering(record: Record) -> Iterator[None]:
    """A span for posting one record to a partner's webhook, in the record's trace."""
    with TRACER.start_as_current_span(
        "POST webhook",
        context=record_context(record),
        kind=SpanKind.CLIENT,
        attributes=_processing(record) | {"http.request.method": "POST"},
    ):
        yield


def http_headers() -> dict[str, str]:
    """The current span as HTTP headers, for a request that continues its trace."""
    return {name: value.decode("latin-1") for name, value in current_headers()}


@contextmanager
def producing(topic: str) -> Iterator[tuple[tuple[str, bytes], ...]]:
    """A span for sending one record to ``topic``; yields the headers the record carries."""
    with TRACER.start_as_current_span(
        f"send {topic}",
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    ):
        yield current_headers()


@contextmanager
def serving(
    method: str, route: str, headers: Iterable[tuple[bytes, bytes]]
) -> Iterator[trace.Span]:
    """A span for one HTTP request: a new trace, linked to the caller's if it sent one.

    The caller is not trusted with Front Door's sampling, nor its ``tracestate`` carried on.
    """
    with TRACER.start_as_current_span(
        f"{method} {route}",
        context=NEW_TRACE,
        links=_linked(http_context(headers)),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": method, "http.route": route},
    ) as span:
        yield span


def answered(span: trace.Span, status: int) -> None:
    """Record an HTTP request's response status on its span (a 5xx marks it failed)."""
    span.set_attribute("http.response.status_code", status)
    if status >= 500:  # noqa: PLR2004 - a server error
        span.set_status(Status(StatusCode.ERROR))


def recorded(records: Sequence[Record], started_ns: int) -> None:
    """One span per traced record a batch wrote to the database, from ``started_ns`` to now.

    Nothing when this process does not export (the records service writes no records on).
    """
    if not enabled():
        return
    ended = time.time_ns()
    for record in records:
        parent = record_context(record)
        if parent is not None:
            TRACER.start_span(
                f"record {record.topic}",
                context=parent,
                kind=SpanKind.CONSUMER,
                start_time=started_ns,
                attributes=_processing(record),
            ).end(end_time=ended)
