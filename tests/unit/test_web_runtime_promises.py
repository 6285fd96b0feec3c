"""The web runtime's promises, each with a test that fails when the promise goes (issue 32,
items 4, 5 and 10): the gateway's sign-in lockout, the public form's CSRF check, strict
session cookies, the 8-hour server-side expiry, unknown names hashed like known ones, and the
lockout logged."""

from __future__ import annotations

from pathlib import Path

import structlog
from gateway_app import gateway
from test_gateway_forms import PUBLIC_ANSWERS, csrf

from runtime.web import passwords
from runtime.web.passwords import hash_password, password_matches
from runtime.web.sign_in import SESSION_HOURS, Sessions


async def sign_in(client, password: str):
    page = (await client.get("/refer/sign-in")).text
    return await client.post(
        "/refer/sign-in",
        data={"username": "dsl.riverside", "password": password, "csrf_token": csrf(page)},
    )


async def test_the_gateway_locks_a_name_out_after_five_wrong_passwords_and_logs_it(
    tmp_path: Path,
) -> None:
    running = gateway(tmp_path)
    with structlog.testing.capture_logs() as logged:
        async with running.client() as client:
            for _ in range(5):
                assert (await sign_in(client, "wrong")).status_code == 401
            refused = await sign_in(client, "frontdoor-demo")  # the right one, now too late
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert any(e["event"] == "referrer sign-in refused" and e["locked"] for e in logged)
    assert any("locked out" in e["event"] for e in logged)


async def test_the_public_form_refuses_a_post_without_its_token(tmp_path: Path) -> None:
    running = gateway(tmp_path)
    async with running.client() as client:
        await client.get("/refer/public")  # a session with a token exists...
        answer = await client.post("/refer/public", data=PUBLIC_ANSWERS)  # ...but not sent
    assert answer.status_code == 403
    assert running.producer.sent == []


async def test_the_session_cookie_is_strict_same_site_and_http_only(tmp_path: Path) -> None:
    running = gateway(tmp_path)
    async with running.client() as client:
        answer = await client.get("/refer/sign-in")
    cookie = answer.headers["set-cookie"].lower()
    assert "samesite=strict" in cookie
    assert "httponly" in cookie


def test_a_session_ends_on_the_server_after_eight_hours() -> None:
    now = [0.0]
    sessions = Sessions(clock=lambda: now[0])
    session = sessions.start("kim.duty")
    now[0] += SESSION_HOURS * 3600 - 1
    assert sessions.username(session) == "kim.duty"
    now[0] += 2
    assert sessions.username(session) is None  # whatever the cookie still says
    assert sessions._sessions == {}  # and it is gone from memory, not only refused


def test_an_unknown_name_costs_a_hash_like_a_known_one(monkeypatch) -> None:
    verified: list[str] = []
    real = passwords._hasher
    known = hash_password("right")

    class Counting:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, stored: str, password: str) -> bool:
            verified.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    assert not password_matches(None, "right")  # no account by that name
    assert password_matches(known, "right")
    assert len(verified) == 2  # an Argon2 verification each: the answer's time says nothing


def test_failures_older_than_the_window_no_longer_count() -> None:
    from runtime.web.sign_in import SignInThrottle  # noqa: PLC0415

    now = [0.0]
    throttle = SignInThrottle(clock=lambda: now[0])
    for at in (0, 1, 2, 850):  # three long ago, one recent...
        now[0] = at
        throttle.failed("kim.duty", "203.0.113.7")
    now[0] = 1000  # ...and a fifth: only two are within the last 15 minutes
    assert throttle.failed("kim.duty", "203.0.113.7") == []  # no lockout
    assert throttle.wait_s("kim.duty", "203.0.113.7") == 0


def test_signing_in_starts_a_fresh_session_no_fixation() -> None:
    sessions = Sessions()
    old = sessions.start("someone.before")
    cookie = {"sid": old, "csrf": "planted-token", "draft": "left over"}
    sessions.sign_in(cookie, "kim.duty")
    assert set(cookie) == {"sid", "csrf"}  # nothing the cookie held before survives
    assert cookie["sid"] != old
    assert cookie["csrf"] != "planted-token"
    assert len(cookie["csrf"]) >= 40
    assert sessions.username(old) is None  # the old session is over everywhere
    assert sessions.username(cookie["sid"]) == "kim.duty"
    sessions.end(cookie["sid"])
    assert sessions.username(cookie["sid"]) is None
    assert sessions.username(None) is None


def test_a_right_password_clears_that_names_failures_from_that_address_whatever_its_case() -> None:
    from runtime.web.sign_in import SignInThrottle  # noqa: PLC0415

    throttle = SignInThrottle(clock=lambda: 0.0)
    for _ in range(4):
        throttle.failed("Kim.Duty", "203.0.113.7")
    throttle.succeeded("kim.duty", "203.0.113.7")
    for _ in range(4):
        assert throttle.failed("kim.duty", "203.0.113.7") == []  # counting from zero again
    assert throttle.failed("KIM.DUTY", "203.0.113.7") == ["user"]  # one name, any case


def test_the_throttle_forgets_at_its_bounds_and_caps_locked_keys_too() -> None:
    from runtime.web.sign_in import SignInThrottle  # noqa: PLC0415

    now = [0.0]
    throttle = SignInThrottle(clock=lambda: now[0], per_address=1, max_keys=3)
    for n in range(6):  # each address locked at its first failure
        assert throttle.failed("x.y", f"198.51.100.{n}") == ["address"]
    assert len(throttle) <= 2 * 3  # capped, locks included
    assert len(throttle) == len(throttle._failures) + len(throttle._locked_until)
    now[0] = throttle.lockout_s  # a lock ends exactly at its end
    throttle.failed("a.b", "192.0.2.1")
    assert throttle.wait_s("x.y", "198.51.100.5") == 0


def test_a_session_is_live_to_its_last_second_and_ending_an_unknown_one_is_harmless() -> None:
    now = [0.0]
    sessions = Sessions(clock=lambda: now[0])
    session = sessions.start("kim.duty")
    now[0] = SESSION_HOURS * 3600  # exactly eight hours: still live
    assert sessions.username(session) == "kim.duty"
    sessions.end("no-such-session")
    sessions.end(None)
