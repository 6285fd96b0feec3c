"""The health endpoint says 503 until the service is processing, then 200."""

from __future__ import annotations

import socket

import httpx

from runtime.health import Health, serve_health


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_health_reflects_readiness_and_counters() -> None:
    health = Health("intake")
    port = _free_port()
    async with serve_health(health, port), httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{port}/health"
        assert (await client.get(url)).status_code == 503
        health.ready = True
        health.count("records_in", 3)
        response = await client.get(url)
    assert response.status_code == 200
    assert response.json() == {
        "service": "intake",
        "status": "ok",
        "counters": {"records_in": 3},
        "warnings": {},
    }


async def test_no_port_serves_nothing() -> None:
    async with serve_health(Health("x"), None) as server:
        assert server is None
