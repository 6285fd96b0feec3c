"""Traces at the seams: a handler continues the trace its record carries and stamps what it
writes; a partner's record or request starts a trace of Front Door's own, linked to the
caller's, under the route's template; a caller's sampling flag and ``tracestate`` never travel
on (third review, item 6).

The spans go to the SDK's in-memory exporter; the end-to-end test follows one referral's trace
across the real processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from test_handlers import POLICE, TOPICS, intake

from factories import encode, referral
from fakes import FakeRecord
from runtime import tracing
from runtime.records import Outgoing
from runtime.web.measured import Measured

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """Tracing on for the test: every span ends up in the returned exporter."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "TRACER", provider.get_tracer("test"))
    yield exporter
    provider.shutdown()


def trace_headers(out: Outgoing) -> dict[str, str]:
    return {name: value.decode() for name, value in out.headers if name in tracing.TRACE_HEADERS}


def inbound(**headers: str) -> FakeRecord:
    return FakeRecord(
        TOPICS.inbound(POLICE),
        encode(referral()),
        headers=tuple((name, value.encode()) for name, value in headers.items()),
    )


async def test_what_intake_writes_starts_a_trace_linked_to_the_one_a_partners_record_says(
    tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    said = f"00-{TRACE_ID}-00f067aa0ba902b7-00"  # not sampled: the partner's say, not ours
    outputs = await intake(tmp_path)([inbound(traceparent=said, tracestate="vendor=secret")])

    (span,) = spans.get_finished_spans()
    assert span.name == f"process {TOPICS.inbound(POLICE)}"
    assert span.kind is trace.SpanKind.CONSUMER
    assert span.parent is None  # a trace of our own...
    assert f"{span.context.trace_id:032x}" != TRACE_ID
    (link,) = span.links  # ...linked to the partner's
    assert (f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}") == (
        TRACE_ID,
        "00f067aa0ba902b7",
    )
    assert span.context.trace_flags.sampled  # sampled as we decide, not as they asked
    flags = f"{int(span.context.trace_flags):02x}"
    ours = f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-{flags}"
    # only our traceparent goes on: never the partner's tracestate
    assert [trace_headers(out) for out in outputs] == [{"traceparent": ours}] * len(outputs)
    # where the record was, never what it said
    said_attributes = " ".join(str(value) for value in (span.attributes or {}).values())
    assert referral()["child"]["family_name"] not in said_attributes
    assert set(span.attributes or {}) == {
        "messaging.system",
        "messaging.operation.type",
        "messaging.destination.name",
        "messaging.destination.partition.id",
        "messaging.kafka.offset",
    }


async def test_a_service_reading_a_services_record_continues_its_trace(
    spans: InMemorySpanExporter,
) -> None:
    with tracing.consuming(
        FakeRecord("referrals.accepted", b"", headers=(("traceparent", PARENT.encode()),))
    ):
        (out,) = tracing.stamped([Outgoing("t", b"")])
    (span,) = spans.get_finished_spans()
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == "00f067aa0ba902b7"
    assert trace_headers(out)["traceparent"].split("-")[1] == TRACE_ID


async def test_a_record_without_a_trace_starts_one(
    tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    outputs = await intake(tmp_path)([inbound(), inbound()])

    first, second = spans.get_finished_spans()
    assert first.parent is None
    assert first.context.trace_id != second.context.trace_id  # one trace per referral
    assert len({trace_headers(out)["traceparent"] for out in outputs}) == 2


async def test_with_tracing_off_nothing_of_a_partners_trace_travels_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracing, "TRACER", trace.NoOpTracer())

    traced = await intake(tmp_path)([inbound(traceparent=PARENT, tracestate="vendor=secret")])
    untraced = await intake(tmp_path)([inbound()])

    assert [trace_headers(out) for out in traced] == [{}] * len(traced)
    assert [trace_headers(out) for out in untraced] == [{}] * len(untraced)


def test_stamping_replaces_the_trace_headers_an_output_had(spans: InMemorySpanExporter) -> None:
    old = Outgoing("t", b"", headers=(("traceparent", b"00-old"), ("frontdoor-reason", b"x")))
    with tracing.consuming(inbound()):
        (out,) = tracing.stamped([old])
    names = [name for name, _ in out.headers]
    assert names == ["frontdoor-reason", "traceparent"]
    assert trace_headers(out)["traceparent"] != "00-old"
    assert len(spans.get_finished_spans()) == 1


async def test_a_request_starts_a_trace_linked_to_the_callers_under_the_routes_template(
    spans: InMemorySpanExporter,
) -> None:
    sent: list[tuple[tuple[str, bytes], ...]] = []

    async def publish(request: Request) -> PlainTextResponse:
        with tracing.producing("referrals.inbound.x") as headers:
            sent.append(headers)
        return PlainTextResponse(request.path_params["reference"], status_code=202)

    routes = [Route("/referrals/{reference}", publish, methods=["POST"])]
    app = Starlette(
        routes=routes, middleware=[Middleware(Measured, service="gateway", routes=routes)]
    )
    unsampled = f"00-{TRACE_ID}-00f067aa0ba902b7-00"  # an anonymous caller asking not to be
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        answer = await client.post(
            "/referrals/CP-SECRET-1",
            headers={"traceparent": unsampled, "tracestate": "vendor=secret"},
        )

    assert answer.status_code == 202
    producer, server = spans.get_finished_spans()  # exported: the caller cannot suppress it
    assert server.name == "POST /referrals/{reference}"  # the template: no reference in it
    assert server.kind is trace.SpanKind.SERVER
    assert (server.attributes or {})["http.response.status_code"] == 202
    assert server.parent is None
    assert f"{server.context.trace_id:032x}" != TRACE_ID
    assert [f"{link.context.trace_id:032x}" for link in server.links] == [TRACE_ID]
    assert producer.parent is not None
    assert producer.parent.span_id == server.context.span_id
    ((name, value),) = sent[0]  # our traceparent only: no tracestate
    assert (name, value.decode()) == (
        "traceparent",
        (
            f"00-{server.context.trace_id:032x}-{producer.context.span_id:016x}-"
            f"{int(producer.context.trace_flags):02x}"
        ),
    )


def test_exporting_is_off_unless_an_endpoint_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in tracing.ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert tracing.configure("intake") is False
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces")
    assert tracing.enabled()
