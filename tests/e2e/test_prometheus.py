"""A real Prometheus (Debian's package) scrapes the running services, with Front Door's alert
rules loaded, and answers queries about what the test sent."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from test_dashboard_browser import publish

from conftest import ROOT
from factories import recently, referral
from frontdoor.broker.local import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
SERVICES = ("intake", "triage", "notifier", "records")
CHILDREN = ("Ada", "Bea", "Cy", "Dot", "Eli", "Flo")


def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        missing = "prometheus is not installed (make setup installs Debian's prometheus package)"
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return found


async def query(client: httpx.AsyncClient, base: str, expr: str) -> list[dict]:
    answer = await client.get(f"{base}/api/v1/query", params={"query": expr})
    answer.raise_for_status()
    return answer.json()["data"]["result"]


async def total(client: httpx.AsyncClient, base: str, expr: str) -> float | None:
    found = await query(client, base, expr)
    return float(found[0]["value"][1]) if found else None


async def test_prometheus_scrapes_every_service_and_counts_what_was_sent(
    topics_ready, services, tmp_path: Path
) -> None:
    binary = prometheus_binary()
    ports = {name: free_port() for name in SERVICES}
    for name in SERVICES:
        services.start(name, **{f"FRONTDOOR_{name.upper()}_HEALTH_PORT": str(ports[name])})
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    config["global"] |= {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(ROOT / "deploy" / "prometheus" / "alerts.yml")]
    config["scrape_configs"] = [
        {"job_name": f"frontdoor-{name}", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        for name, port in ports.items()
    ]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    web = free_port()
    with (tmp_path / "prometheus.log").open("wb") as log:
        server = subprocess.Popen(  # noqa: ASYNC220 - a server for the test's length
            [
                binary,
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{web}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    base = f"http://127.0.0.1:{web}"
    try:
        for number, name in enumerate(CHILDREN):  # six children: six new cases
            child = referral()["child"] | {"given_name": name, "nhs_number": None, "upn": None}
            await publish(
                topics_ready,
                referral(referral_id=f"PROM-{number}", submitted_at=recently(), child=child),
            )
        async with httpx.AsyncClient() as client:
            # A scrape on a loaded two-core machine can miss its one-second timeout (and a
            # failed scrape marks the target's series stale), so wait until every service has
            # been scraped successfully and the latest samples hold what was sent
            expected = {
                "decided": float(len(CHILDREN)),
                "received": float(len(CHILDREN)),
                "scraped": sorted(SERVICES),
            }
            seen: dict[str, object] = {}
            deadline = asyncio.get_running_loop().time() + 90
            while seen != expected and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(1)
                try:
                    seen = {
                        "decided": await total(
                            client, base, 'sum(frontdoor_triage_decisions_total{kind="triaged"})'
                        ),
                        "received": await total(
                            client, base, 'sum(frontdoor_records_in_total{service="intake"})'
                        ),
                        "scraped": sorted(
                            s["metric"]["job"].removeprefix("frontdoor-")
                            for s in await query(
                                client, base, 'max_over_time(up{job=~"frontdoor-.*"}[10m])'
                            )
                            if s["value"][1] == "1"
                        ),
                    }
                except httpx.HTTPError:
                    continue
            assert seen == expected
            rules = (await client.get(f"{base}/api/v1/rules")).json()["data"]["groups"]
            assert len(rules[0]["rules"]) == 7  # FrontDoorScreeningOverdue among them
            assert all(rule["health"] == "ok" for rule in rules[0]["rules"])
    finally:
        server.terminate()
        server.wait(timeout=30)
