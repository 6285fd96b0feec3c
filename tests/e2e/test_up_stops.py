"""`frontdoor up` stops everything on SIGTERM, and refuses at once when its ports are taken.

Third review, item 11: stopped with SIGTERM (what systemd and container runtimes send) it used
to exit alone and leave intake, triage, notifier and records running; and a second stack on the
machine crash-looped its services on "address already in use".
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import migrated_sqlite
from frontdoor.broker.local import free_port

pytestmark = pytest.mark.kafka


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc (Linux)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (not zombies)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def _up(tmp_path: Path, ports: dict[str, int], *args: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "FRONTDOOR_TOPIC_PREFIX": f"up{time.time_ns()}.",
        "FRONTDOOR_DATABASE_URL": migrated_sqlite(tmp_path / "records.db"),
        **{f"FRONTDOOR_{name.upper()}_HEALTH_PORT": str(port) for name, port in ports.items()},
    }
    with (tmp_path / "up.out").open("wb") as out:  # the child keeps its own copy
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "frontdoor", "up", "--no-simulate"),
                *("--dashboard-port", "0", "--gateway-port", "0"),
                *("--log-dir", str(tmp_path / "logs"), *args),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_sigterm_stops_every_service_it_started(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("intake", "triage", "notifier", "records")}
    up = _up(tmp_path, ports, "--duration", "600")
    try:
        deadline = time.monotonic() + 180
        while True:  # every service answers on its health port
            assert up.poll() is None, (tmp_path / "up.out").read_text()
            try:
                for port in ports.values():
                    httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the stack did not start"
                time.sleep(0.5)
        services = descendants(up.pid)
        assert len(services) >= 4
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=60) == 0
        deadline = time.monotonic() + 30
        while alive(services) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert alive(services) == set()
    finally:
        if up.poll() is None:
            up.kill()
        for pid in alive(descendants(up.pid)):
            os.kill(pid, signal.SIGKILL)


def test_a_port_in_use_is_refused_at_once_naming_it_and_its_setting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {name: free_port() for name in ("intake", "triage", "notifier")}
        up = _up(tmp_path, ports | {"records": port})
        up.wait(timeout=60)
    said = " ".join((tmp_path / "up.out").read_text().split())
    assert up.returncode == 2
    assert f"port {port}, records's metrics (FRONTDOOR_RECORDS_HEALTH_PORT)" in said
