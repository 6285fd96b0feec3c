"""Sign-in: throttled, off the event loop, sessions that end everywhere, headers everywhere."""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import sign_in_over_http
from factories import managers_file
from runtime.web.sign_in import SignInThrottle
from services.dashboard import performance_charts
from services.dashboard.app import create_app
from services.dashboard.auth import Managers
from services.dashboard.settings import DashboardSettings

PASSWORD = "the right password"  # noqa: S105 - a test account's


@pytest.fixture(autouse=True)
def _records_database(records_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard reads every page from a records database whose schema is current."""
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", records_url)


@pytest.fixture
def managers(tmp_path: Path) -> Path:
    return managers_file(tmp_path, "kim.duty", PASSWORD, ["808"])


@pytest.fixture
async def client(managers: Path):
    app = create_app(DashboardSettings(environment="development", managers_file=managers))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        yield client


async def sign_in(client: httpx.AsyncClient, password: str = PASSWORD, user: str = "kim.duty"):
    return await sign_in_over_http(client, user, password)


async def test_five_wrong_passwords_lock_the_name_even_for_the_right_one(client) -> None:
    for _ in range(5):
        assert (await sign_in(client, "wrong")).status_code == 401
    refused = await sign_in(client)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text


async def test_a_lockout_says_the_same_whether_or_not_the_name_exists(client) -> None:
    for user in ("kim.duty", "nobody.here"):
        for _ in range(5):
            await sign_in(client, "wrong", user)
    known = await sign_in(client, "wrong", "kim.duty")
    unknown = await sign_in(client, "wrong", "nobody.here")
    assert known.status_code == unknown.status_code == 429
    assert known.text.replace("kim.duty", "") == unknown.text.replace("nobody.here", "")


def test_an_address_is_locked_after_many_names_fail_from_it() -> None:
    now = [0.0]
    throttle = SignInThrottle(clock=lambda: now[0])
    for n in range(19):
        assert throttle.failed(f"user{n}", "198.51.100.1") == []
    assert throttle.failed("user19", "198.51.100.1") == ["address"]
    assert throttle.wait_s("someone.else", "198.51.100.1") == pytest.approx(15 * 60)
    assert throttle.wait_s("someone.else", "198.51.100.2") == 0
    now[0] += 15 * 60 + 1
    assert throttle.wait_s("someone.else", "198.51.100.1") == 0


async def test_passwords_are_checked_off_the_event_loop(client, monkeypatch) -> None:
    threads: list[str] = []
    real = Managers.authenticate

    def spy(self, username: str, password: str):
        threads.append(threading.current_thread().name)
        return real(self, username, password)

    monkeypatch.setattr(Managers, "authenticate", spy)
    assert (await sign_in(client)).status_code == 303
    assert threads
    assert all(name.startswith("sign-in") for name in threads)


async def test_signing_out_ends_a_copied_session_too(client) -> None:
    assert (await sign_in(client)).status_code == 303
    copied = dict(client.cookies)
    page = (await client.get("/queues")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    await client.post("/logout", data={"csrf_token": token.group(1)})
    client.cookies.clear()
    client.cookies.update(copied)
    response = await client.get("/queues")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_removing_a_manager_from_the_file_ends_their_session(client, managers: Path) -> None:
    assert (await sign_in(client)).status_code == 303
    assert (await client.get("/queues")).status_code == 200
    managers.write_text(yaml.safe_dump({"managers": []}))
    await asyncio.sleep(2.1)  # the file is watched (looked at every 2 s), not pushed
    response = await client.get("/queues")
    assert response.status_code == 303


async def test_every_response_carries_the_security_headers(client) -> None:
    for path in ("/login", "/queues", "/static/style.css", "/nowhere"):
        headers = (await client.get(path)).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in headers  # plain HTTP here


async def test_over_tls_browsers_are_told_to_keep_to_https(managers: Path) -> None:
    app = create_app(DashboardSettings(environment="development", managers_file=managers))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://dashboard") as client:
        headers = (await client.get("/login")).headers
    assert headers["strict-transport-security"].startswith("max-age=")


def test_the_charts_carry_no_script() -> None:
    svg = performance_charts.contacts_per_day([], date(2026, 11, 17))
    svg += performance_charts.queue_depth([(datetime(2026, 11, 17, tzinfo=UTC), 1, 2)])
    assert "<script" not in svg
    assert "href=" not in svg
