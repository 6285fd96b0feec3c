"""``frontdoor bench api``: the gateway's POST /api/v1/referrals at a fixed rate and flat out.

The gateway runs as its own process (``frontdoor gateway``) against the bench's broker, as in
production; each request carries a distinct valid referral, so every one is validated by
intake's code and published (``acks=all``) before its ``202``. Latency is from sending the
request to reading the answer, requests sent on a fixed schedule (open loop).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from frontdoor.broker.local import free_port
from runtime.kafka.admin import ensure_topics
from runtime.kafka.settings import KafkaSettings
from runtime.partners import load_registry
from runtime.records_db.database import make_engine, upgrade
from services.gateway.keys import ApiKeys, issue, write_keys

ORG = "cleveland-police"


def _referral(number: int) -> bytes:
    import json  # noqa: PLC0415

    return json.dumps(
        {
            "schema_version": "1",
            "referral_id": f"BENCH-{number:08d}",
            "submitted_at": datetime.now(UTC).isoformat(),
            "local_authority": "808",
            "referrer": {"organisation_id": ORG, "source": "6", "name": "PC Bench"},
            "child": {
                "given_name": "Alex",
                "family_name": "Bench",
                "date_of_birth": "2015-06-01",
                "sex": "U",
                "address": {"line1": "1 High Street", "postcode": "TS18 1AB"},
            },
            "concerns": [{"factor": "3B", "detail": "Officers attended an incident."}],
            "summary": "Police attended a domestic incident; the child was present.",
            "risk": {"immediate_risk": False, "dash_risk": "medium", "injury_observed": False},
            "consent": {"status": "not_sought", "reason": "Seeking consent could increase risk."},
        }
    ).encode()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _fixed_rate(
    client: httpx.AsyncClient, rate: float, seconds: float, first: int
) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    codes: dict[int, int] = {}

    async def one(number: int) -> None:
        started = time.perf_counter()
        answer = await client.post("/api/v1/referrals", content=_referral(number))
        latencies.append((time.perf_counter() - started) * 1000)
        codes[answer.status_code] = codes.get(answer.status_code, 0) + 1

    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(first + i)))
    await asyncio.gather(*tasks)
    return latencies, codes


async def _flat_out(client: httpx.AsyncClient, count: int, first: int, workers: int = 16) -> float:
    numbers = iter(range(first, first + count))

    async def worker() -> None:
        for number in numbers:
            await client.post("/api/v1/referrals", content=_referral(number))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return count / (time.perf_counter() - start)


async def run(bootstrap: str, rate: float = 100.0, seconds: float = 20.0) -> dict[str, Any]:
    """Measure the gateway; the figures as one dictionary."""
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:6]}.")
    await ensure_topics(kafka, load_registry().topic_specs(kafka.topics))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'records.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        keys = Path(folder) / "keys.yaml"
        token, stored = issue(ORG, datetime.now(UTC))
        write_keys(keys, ApiKeys(keys=(stored,)))
        port = free_port()
        env = os.environ | {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "FRONTDOOR_TOPIC_PREFIX": kafka.topic_prefix,
            "FRONTDOOR_DATABASE_URL": url,
            "FRONTDOOR_GATEWAY_ENVIRONMENT": "development",
            "FRONTDOOR_GATEWAY_KEYS_FILE": str(keys),
            "FRONTDOOR_GATEWAY_API_RATE": "100000",
            "FRONTDOOR_GATEWAY_API_BURST": "100000",
            "FRONTDOOR_GATEWAY_LOG_LEVEL": "WARNING",
        }
        gateway = subprocess.Popen(  # noqa: ASYNC220 - started once, stopped at the end
            [sys.executable, "-m", "frontdoor", "gateway", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            limits = httpx.Limits(max_connections=64)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits, timeout=30
            ) as client:
                async with asyncio.timeout(60):
                    while True:
                        try:
                            if (await client.get("/health")).status_code == 200:  # noqa: PLR2004
                                break
                        except httpx.TransportError:
                            await asyncio.sleep(0.2)
                await _flat_out(client, 200, 0, workers=4)  # warm up
                latencies, codes = await _fixed_rate(client, rate, seconds, 1_000_000)
                per_second = await _flat_out(client, 3000, 2_000_000)
        finally:
            gateway.terminate()
            gateway.wait(20)
    return {
        "api": {
            "offered_rate": rate,
            "requests": len(latencies),
            "answers": {str(code): n for code, n in sorted(codes.items())},
            "post_ms": {
                "p50": round(_percentile(latencies, 0.50), 1),
                "p95": round(_percentile(latencies, 0.95), 1),
                "p99": round(_percentile(latencies, 0.99), 1),
                "max": round(max(latencies), 1),
            },
            "flat_out_per_s": round(per_second, 1),
            "target_p99_ms": 50,
        }
    }
