"""Every process serves Prometheus metrics, and no label value comes from outside a closed set.

The pipeline, the records service, the gateway and the dashboard run as real processes on the
real broker; referrals go through (a child's name, a referral id and a case id each travel in
paths and bodies); then every ``/metrics`` is scraped and each label value checked against the
set it may come from: service names, topic names, registry ids, LA numbers, codes, rule ids,
route templates. A name, an id or free text in a label fails the test.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_dashboard_browser import PASSWORD, publish

from conftest import serving, sign_in_over_http
from domain.policy import load_policy
from factories import managers_file, recently, referral
from frontdoor.broker.local import free_port
from runtime.partners import load_registry
from schemas.local_authorities import LOCAL_AUTHORITIES
from schemas.status import Outcome
from schemas.topics import Topics
from schemas.triage import ActionKind, DecisionKind, Rag
from services.triage.assessment import OVERRIDE_RULE

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
PIPELINE = ("intake", "triage", "notifier", "records")
SEGMENT = re.compile(r"^(?:[a-z-]+|v1|openapi\.json|\{[a-z_]+(?::path)?\})$")


def closed_sets(prefix: str) -> dict[str, set[str] | re.Pattern[str]]:
    registry = load_registry()
    policy = load_policy()
    topics = {name for name, _ in registry.topic_specs(Topics(prefix))}
    return {
        "service": {*PIPELINE, "gateway", "dashboard"},
        "topic": topics,
        "partition": re.compile(r"^\d{1,3}$"),
        "event": re.compile(r"^[a-z_]{3,40}$"),
        "kind": {k.value for k in DecisionKind} | {k.value for k in ActionKind},
        "outcome": {o.value for o in Outcome} | {"none"},
        "queue": {o.value for o in Outcome},
        "rag": {r.value for r in Rag} | {"none"},
        "rule": {rule.id for rule in policy.rules} | {OVERRIDE_RULE},
        "local_authority": set(LOCAL_AUTHORITIES),
        "partner": set(registry.ids),
        "result": {
            "delivered",
            "failed-attempt",
            "dead-lettered",
            "signed-in",
            "refused",
            "locked-out",
        },
        "method": {"GET", "POST", "HEAD", "other"},
        "code": re.compile(r"^[1-5]\d\d$"),
        "le": re.compile(r"^(?:\d+(?:\.\d+)?|\+Inf)$"),
    }


def route_ok(value: str) -> bool:
    return value == "unmatched" or all(SEGMENT.match(part) for part in value.strip("/").split("/"))


def allowed_value(
    allowed: dict[str, set[str] | re.Pattern[str]], name: str, label: str, value: str
) -> bool:
    if label == "route":
        return route_ok(value)
    rule = allowed.get(label)
    assert rule is not None, f"{name} has a label nobody checks: {label}"
    return rule.match(value) is not None if isinstance(rule, re.Pattern) else value in rule


async def scrape(client: httpx.AsyncClient, url: str) -> list:
    answer = await client.get(url)
    assert answer.status_code == 200, url
    return list(text_string_to_metric_families(answer.text))


async def test_every_process_serves_metrics_whose_labels_are_all_from_closed_sets(
    topics_ready, services, tmp_path: Path
) -> None:
    kafka = topics_ready
    ports = {name: free_port() for name in PIPELINE}
    for name in PIPELINE:
        services.start(
            name,
            **{f"FRONTDOOR_{name.upper()}_HEALTH_PORT": str(ports[name])},
            FRONTDOOR_TRIAGE_OVERDUE_CHECK_S="1",  # the gauges are set on triage's clock tick
        )
    dashboard_port, web_ports = free_port(), {"dashboard": free_port(), "gateway": free_port()}
    services.start(
        "dashboard",
        "dashboard",
        FRONTDOOR_DASHBOARD_PORT=str(dashboard_port),
        FRONTDOOR_DASHBOARD_HEALTH_PORT=str(web_ports["dashboard"]),
        FRONTDOOR_DASHBOARD_MANAGERS_FILE=str(
            managers_file(tmp_path, "sam.duty", PASSWORD, ["808"])
        ),
    )
    gateway = await services.start_gateway(
        tmp_path / "keys.yaml", FRONTDOOR_GATEWAY_HEALTH_PORT=str(web_ports["gateway"])
    )
    dashboard = f"http://127.0.0.1:{dashboard_port}"
    await serving(dashboard)
    child = referral()["child"] | {"given_name": "Philippa", "family_name": "Quennell"}
    for n in range(5):
        await publish(kafka, referral(referral_id=f"M-{n}", submitted_at=recently(), child=child))

    async with httpx.AsyncClient() as client:
        # wait until the records hold the case, then use paths that carry ids and names (5 s
        # alone; a clean-clone run beside the fault test's own broker took over 60)
        async with asyncio.timeout(180):
            while True:
                health = (await client.get(f"http://127.0.0.1:{ports['records']}/health")).json()
                if health["counters"].get("records_in", 0) >= 10:
                    break
                await asyncio.sleep(0.5)
        await client.get(f"{gateway}/api/v1/referrals/M-1", headers={"Authorization": "Bearer x"})
        await client.get(f"{gateway}/refer/sent/WEB-ABCDEF0123456789")
        await client.get(f"{gateway}/no/such/Philippa")
    async with httpx.AsyncClient(base_url=dashboard) as manager:
        assert (await sign_in_over_http(manager, "sam.duty", PASSWORD)).status_code == 303
        await manager.get("/search", params={"q": "Philippa Quennell"})
        await manager.get("/cases/case-0123456789abcdef0123")
        await manager.get("/children/Quennell")

    await asyncio.sleep(2)  # the batches' counters
    allowed = closed_sets(kafka.topic_prefix)
    samples = []
    async with httpx.AsyncClient() as client:
        # the page servers' public ports never answer /metrics (third review, item 5): their
        # health ports do, on 127.0.0.1, as every service's
        for public in (gateway, dashboard):
            assert (await client.get(f"{public}/metrics")).status_code == 404
        urls = [
            f"http://127.0.0.1:{port}/metrics" for port in [*ports.values(), *web_ports.values()]
        ]
        for url in urls:
            samples += [s for family in await scrape(client, url) for s in family.samples]
    bad = [
        (sample.name, label, value)
        for sample in samples
        if sample.name.startswith("frontdoor_")  # not the library's own process metrics
        for label, value in sample.labels.items()
        if not allowed_value(allowed, sample.name, label, value)
    ]
    assert bad == []

    def total(name: str, **labels: str) -> float:
        return sum(
            s.value
            for s in samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    assert total("frontdoor_records_in_total", service="intake") >= 5
    assert total("frontdoor_triage_decisions_total", kind="triaged") >= 1
    assert total("frontdoor_triage_decisions_total", kind="linked") >= 1
    assert total("frontdoor_batches_total", service="records") >= 1
    assert total("frontdoor_http_requests_total", service="gateway", route="unmatched") >= 1
    assert (
        total("frontdoor_http_requests_total", service="dashboard", route="/cases/{case_id}") >= 1
    )
    assert total("frontdoor_sign_ins_total", service="dashboard", result="signed-in") == 1
    assert total("frontdoor_cases_open", local_authority="808", queue="enquiry-assessment") >= 1
    assert total("frontdoor_checks_open", partner="cleveland-police") >= 1
    assert total("frontdoor_transaction_duration_seconds_count", service="triage") >= 1
    names = " ".join(f"{s.labels}" for s in samples)
    assert "Philippa" not in names
    assert "Quennell" not in names
