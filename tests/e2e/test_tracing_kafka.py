"""One referral is one trace through the pipeline, across the real processes, linked to the
request that brought it: a caller is not trusted with Front Door's traces (third review, item
6), so the gateway's request span starts a trace of its own (linked to the partner's, if it
sent a ``traceparent``), and intake, reading a partner's topic, starts the pipeline's trace
linked to the record's; that trace is carried in Kafka headers through triage, the notifier and
the records service, and is on the referrer's status updates.

Every process exports by OTLP (``OTEL_EXPORTER_OTLP_ENDPOINT``) to a collector in the test,
which decodes what the SDK sends with OpenTelemetry's own protobuf definitions.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from factories import encode, recently, referral
from frontdoor.broker.local import free_port
from schemas.contact import contact_id_for
from schemas.status import StatusUpdate

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
POLICE = "cleveland-police"
PIPELINE = ("intake", "triage", "notifier", "records")
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
SUBMIT = "POST /api/v1/referrals"


class Collector:
    """An OTLP/HTTP trace receiver: every span sent to it, as (service, trace id, span)."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, object]] = []
        self.lock = threading.Lock()
        collector = self

        class Receive(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                with collector.lock:
                    for resource_spans in request.resource_spans:
                        service = next(
                            a.value.string_value
                            for a in resource_spans.resource.attributes
                            if a.key == "service.name"
                        )
                        for scope in resource_spans.scope_spans:
                            collector.spans.extend(
                                (service, span.trace_id.hex(), span) for span in scope.spans
                            )
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Receive)

    def services_in(self, trace_id: str) -> set[str]:
        with self.lock:
            return {service for service, traced, _ in self.spans if traced == trace_id}

    def linked_to(self, trace_id: str) -> list[str]:
        """Trace ids of the spans linked to a span of ``trace_id``."""
        with self.lock:
            return [
                traced
                for _, traced, span in self.spans
                if any(link.trace_id.hex() == trace_id for link in span.links)  # type: ignore[attr-defined]
            ]

    def started(self, service: str, name: str) -> list[str]:
        """Trace ids of ``service``'s spans called ``name`` that have no parent: traces it
        started."""
        with self.lock:
            return [
                traced
                for s, traced, span in self.spans
                if s == service and span.name == name and not span.parent_span_id  # type: ignore[attr-defined]
            ]


@pytest.fixture
def collector() -> Iterator[Collector]:
    receiver = Collector()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


async def test_one_referral_is_one_trace_through_the_pipeline_linked_to_its_request(
    topics_ready, services, collector: Collector, reader, tmp_path: Path
) -> None:
    exporting = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server.server_port}",
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # milliseconds between the SDK's exports
    }
    key = services.api_key(POLICE, tmp_path / "api-keys.yaml")
    for name in PIPELINE:
        services.start(name, **exporting)
    base = await services.start_gateway(tmp_path / "api-keys.yaml", **exporting)
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        partner = await client.post(  # the partner's own system started the trace
            "/api/v1/referrals",
            content=encode(referral(referral_id="CP-TRACE-1", submitted_at=recently())),
            headers=auth
            | {"traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01", "tracestate": "v=secret"},
        )
        ours = await client.post(  # no traceparent: the gateway starts one
            "/api/v1/referrals",
            content=encode(referral(referral_id="CP-TRACE-2", submitted_at=recently())),
            headers=auth,
        )
    assert (partner.status_code, ours.status_code) == (202, 202)

    pipeline = {f"frontdoor-{name}" for name in PIPELINE}
    async with asyncio.timeout(90):
        while len(collector.started("frontdoor-gateway", SUBMIT)) < 2:
            await asyncio.sleep(0.5)
    requests = collector.started("frontdoor-gateway", SUBMIT)  # both: ours, never the partner's
    assert TRACE_ID not in requests
    (partners_request,) = collector.linked_to(TRACE_ID)  # their trace: a link, not the parent
    (plain_request,) = set(requests) - {partners_request}
    referrals = {}
    async with asyncio.timeout(90):
        for request in (partners_request, plain_request):
            while not collector.linked_to(request):  # intake's trace, linked to the request
                await asyncio.sleep(0.5)
            (referrals[request],) = collector.linked_to(request)
            while collector.services_in(referrals[request]) != pipeline:
                await asyncio.sleep(0.5)
    assert collector.services_in(TRACE_ID) == set()  # no span of ours is in the partner's trace

    # the referrer's status updates carry each referral's own trace, and never a tracestate
    updates = await reader([topics_ready.topics.status(POLICE)], count=4)
    traces: dict[str, set[str]] = {}
    for record in updates:
        contact = StatusUpdate.model_validate_json(record.value).contact_id
        assert [k for k, _ in record.headers if k == "tracestate"] == []
        (traceparent,) = [v.decode() for k, v in record.headers if k == "traceparent"]
        traces.setdefault(contact, set()).add(traceparent.split("-")[1])
    assert traces == {
        contact_id_for(POLICE, "CP-TRACE-1"): {referrals[partners_request]},
        contact_id_for(POLICE, "CP-TRACE-2"): {referrals[plain_request]},
    }
