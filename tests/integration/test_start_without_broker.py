"""A service started while the broker is down waits, not ready, and starts once it is up.

It used to exit 1 (the records service did, twice in a row, during the fault test's broker
restart): under a supervisor or Kubernetes each exit adds a growing restart delay.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest

from conftest import ServiceProcesses
from frontdoor.broker.local import LocalBroker, LocalBrokerSettings, free_port
from runtime.kafka.settings import KafkaSettings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def health_of(port: int) -> tuple[int, dict[str, object]] | None:
    async with httpx.AsyncClient() as client:
        try:
            answer = await client.get(f"http://127.0.0.1:{port}/health", timeout=2)
        except httpx.TransportError:
            return None
    return answer.status_code, answer.json()


@pytest.mark.parametrize("service", ["records", "triage"])
async def test_a_service_waits_for_the_broker_instead_of_exiting(
    service: str, tmp_path: Path
) -> None:
    kafka_port = free_port()
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{kafka_port}", topic_prefix="late.")
    processes = ServiceProcesses(kafka, tmp_path)
    health_port = free_port()
    processes.start(service, **{f"FRONTDOOR_{service.upper()}_HEALTH_PORT": str(health_port)})
    data_dir = Path(tempfile.mkdtemp(prefix="frontdoor-late-kafka-"))
    broker = LocalBroker(
        LocalBrokerSettings(
            port=kafka_port, controller_port=free_port(), data_dir=data_dir, sasl=False
        )
    )
    try:
        await asyncio.sleep(6)  # several attempts, no broker
        assert processes.alive(service), processes.logs(service)[-2000:]
        answer = await health_of(health_port)
        assert answer is not None
        assert answer[0] == 503
        assert answer[1]["counters"]["kafka_unreachable_at_start"] >= 2  # type: ignore[index]
        broker.start()
        await broker.wait_ready(timeout=120)
        async with asyncio.timeout(60):
            while (answer := await health_of(health_port)) is None or answer[0] != 200:
                assert processes.alive(service), processes.logs(service)[-2000:]
                await asyncio.sleep(0.25)
    finally:
        processes.stop_all()
        broker.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
