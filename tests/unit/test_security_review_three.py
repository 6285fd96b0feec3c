"""The third security and robustness review's findings (issue 38), each reproduced and refused.

Items 1 and 2's end-to-end halves are in tests/integration/test_processor.py (a refused record
aborts the transaction), tests/unit/test_case_bounds.py (a case always fits one record) and
tests/integration/test_records_refusals.py (PostgreSQL refusing data never stops the records).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain.validation import (
    AnswerRejected,
    NoticeRejected,
    Rejected,
    validate_acknowledgement,
    validate_answer,
    validate_notice,
    validate_referral,
)
from factories import NOW, encode, notice, referral, with_path
from schemas.triage import ActionKind, ManagerAction

# 2. Control characters are refused in every text field of every contract, the field named.

CONTROLS = ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085"]
CONTROL_SAYS = "contains a control character (U+{:04X})"


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize(
    "path",
    [
        "summary",
        "child.given_name",
        "child.address.line1",
        "referrer.name",
        "concerns.0.detail",
        "consent.reason",
    ],
)
def test_a_referral_with_a_control_character_is_refused_by_field(path: str, control: str) -> None:
    document = with_path(referral(), path, f"Officers{control}attended")
    result = validate_referral(encode(document), now=NOW + timedelta(minutes=20))
    assert isinstance(result, Rejected)
    errors = {e.loc: e.msg for e in result.errors}
    loc = path.replace(".0.", "[0].")  # errors name a list's item as a partner's code would
    assert CONTROL_SAYS.format(ord(control)) in errors[loc]
    assert "Officers" not in json.dumps(errors)  # never repeats what was sent


def test_tab_and_new_line_are_allowed_in_text() -> None:
    document = referral(summary="First line.\nSecond line.\r\n\tIndented.")
    result = validate_referral(encode(document), now=NOW + timedelta(minutes=20))
    assert not isinstance(result, Rejected)


def test_a_notice_an_answer_and_an_acknowledgement_refuse_control_characters() -> None:
    child = {"given_name": "Mia\u0000", "family_name": "Hartley", "date_of_birth": "2017-05-09"}
    result = validate_notice(
        encode(notice(child=child)), organisation_id="cleveland-police", now=NOW
    )
    assert isinstance(result, NoticeRejected)
    assert [(e.loc, CONTROL_SAYS.format(0) in e.msg) for e in result.errors] == [
        ("child.given_name", True)
    ]

    answer = {
        "request_id": "chk-808-00000000000000000000",
        "result": "information",
        "information": "Known to us\u0000",
        "answered_by": {"name": "Sam", "role": "Researcher"},
        "answered_at": NOW.isoformat(),
    }
    refused = validate_answer(encode(answer), now=NOW)
    assert isinstance(refused, AnswerRejected)
    assert [e.loc for e in refused.errors] == ["information"]

    problems = validate_acknowledgement(encode({"acknowledged_by": "Key\u0007Adult"}))
    assert isinstance(problems, list)
    assert [e.loc for e in problems] == ["acknowledged_by"]


def test_a_managers_action_refuses_control_characters() -> None:
    with pytest.raises(ValidationError, match="control character"):
        ManagerAction(
            action_id="a-1",
            kind=ActionKind.CLOSE,
            case_id="case-1",
            local_authority="808",
            actor="duty.manager@808",
            reason="closed\u0000",
            submitted_at=NOW,
        )


# 3. The emergency duty role is enforced on every route and action, not on the queue page only.

EDT_PASSWORD = "an edt password"  # noqa: S105 - a test account's


@pytest.fixture
async def edt_dashboard(tmp_path, records_url: str, monkeypatch):
    """A dashboard over records holding one red and one green case of 808, an EDT signed in."""
    import httpx  # noqa: PLC0415

    from conftest import sign_in_over_http  # noqa: PLC0415
    from domain.policies import PolicyBook  # noqa: PLC0415
    from domain.policy import load_policy  # noqa: PLC0415
    from factories import accepted, managers_file  # noqa: PLC0415
    from fakes import FakeRecord  # noqa: PLC0415
    from runtime.records_db.database import make_engine  # noqa: PLC0415
    from schemas.topics import Topics  # noqa: PLC0415
    from services.dashboard.app import create_app  # noqa: PLC0415
    from services.dashboard.settings import DashboardSettings  # noqa: PLC0415
    from services.records.projection import Projection  # noqa: PLC0415
    from services.records.store import RecordsStore  # noqa: PLC0415
    from services.triage.engine import TriageEngine  # noqa: PLC0415

    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", records_url)
    engine = TriageEngine(PolicyBook.single(load_policy()))
    risk = {"immediate_risk": True, "injury_observed": True, "dash_risk": "high"}
    red = engine.on_referral(accepted(referral(risk=risk)), 0)
    green_child = referral()["child"] | {"given_name": "Ava", "nhs_number": None, "upn": None}
    green = engine.on_referral(
        accepted(
            referral(
                referral_id="SRA-1",
                child=green_child,
                referrer={"organisation_id": "stockton-riverside-academy", "source": "2A"},
                concerns=[{"factor": "14A", "detail": "Behaviour in class."}],
                risk={"immediate_risk": False, "injury_observed": False},
                consent={"status": "given"},
            ),
            offset=1,
        ),
        0,
    )
    topics = Topics()
    records = [FakeRecord(topics.cases, json) for json in [*red.case_json.values()]]
    records += [FakeRecord(topics.cases, json) for json in [*green.case_json.values()]]
    rows, _ = Projection(topics).rows(records)
    store_engine = make_engine(records_url)
    RecordsStore(store_engine).write(rows, {})
    store_engine.dispose()
    cases = {"red": red.cases[-1][0], "green": green.cases[-1][0]}
    assert (cases["red"].rag.value, cases["green"].rag.value) == ("red", "green")

    managers = managers_file(tmp_path, "eve.edt", EDT_PASSWORD, ["808"], role="edt")
    app = create_app(DashboardSettings(environment="development", managers_file=managers))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        assert (await sign_in_over_http(client, "eve.edt", EDT_PASSWORD)).status_code == 303
        yield client, app, cases
    app.state.engine.dispose()


async def test_an_edt_account_is_refused_every_page_but_its_queue_and_red_cases(
    edt_dashboard,
) -> None:
    from starlette.routing import Route  # noqa: PLC0415

    client, app, cases = edt_dashboard
    red, green = cases["red"].case_id, cases["green"].case_id
    params = {"case_id": red, "notice_ref": "enc-808-x", "child_id": cases["red"].child_id}
    allowed = {"/", "/login", "/logout", "/queues", "/cases/{case_id}", "/events", "/health"}
    allowed |= {"/cases/{case_id}/actions"}  # actions: by kind, below
    walked = []
    for route in app.routes:
        if not isinstance(route, Route) or route.path in allowed:
            continue
        for method in sorted(route.methods - {"HEAD"}):
            answer = await client.request(method, route.path.format(**params))
            walked.append(route.path)
            assert answer.status_code == 403, (method, route.path, answer.status_code)
            assert "Your role does not give you this page" in answer.text
    assert set(walked) >= {"/search", "/returns/annex-a", "/children/{child_id}", "/checks"}

    assert (await client.get(f"/cases/{red}")).status_code == 200
    assert (await client.get(f"/cases/{green}")).status_code == 404  # not red: not theirs
    page = (await client.get(f"/cases/{red}")).text
    assert 'value="close"' not in page  # offered nothing it may not do
    assert 'value="hand-to-day-team"' in page or 'value="ask-checks"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    for kind in ("close", "override", "confirm-match", "reject-match"):
        refused = await client.post(
            f"/cases/{red}/actions",
            data={"kind": kind, "reason": "closing it", "csrf_token": token, "outcome": "nfa"},
        )
        assert refused.status_code == 403, kind
    refused = await client.post(
        f"/cases/{green}/actions",
        data={"kind": "hand-to-day-team", "reason": "x", "csrf_token": token},
    )
    assert refused.status_code == 404


# 4. A malformed school roll never stops triage: the last good roll is kept and /health warns.

GOOD_ROLL = "upn,given_name,family_name,date_of_birth,urn\n,Jayden,Smith,2016-03-04,149001\n"


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (GOOD_ROLL.replace("149001", "12345\u00b2"), "line 2: urn is not a six-digit URN"),
        (GOOD_ROLL + ',"' + "x" * (129 * 1024) + '",Smith,2016-03-04,149001\n', "line 3: a field"),
        (GOOD_ROLL + ",Ava,Smith,2016-03-04,149001\x00\n", "line 3"),
    ],
    ids=["superscript-digit", "field-over-128KiB", "nul"],
)
def test_a_malformed_roll_keeps_the_last_good_one_and_warns_until_mended(
    tmp_path, edit: str, says: str
) -> None:
    import os  # noqa: PLC0415
    from datetime import date  # noqa: PLC0415

    from domain.school_roll import SchoolRoll, load_roll  # noqa: PLC0415
    from runtime.watched_file import WatchedFile  # noqa: PLC0415

    path = tmp_path / "roll.csv"
    path.write_text(GOOD_ROLL)
    watched = WatchedFile(path, SchoolRoll, "school roll", recheck_s=0, parse=load_roll)
    path.write_text(edit)
    os.utime(path, ns=(1, 10**18))  # a change the file's time shows, however fast the edit
    for _ in range(2):  # looked at again and again: the warning stays, nothing raises
        assert watched.current.school_of("Jayden", "Smith", date(2016, 3, 4)) == "149001"
        assert says in (watched.problem or ""), watched.problem
    assert "x" * 20 not in (watched.problem or "")  # never the file's content
    path.write_text(GOOD_ROLL.replace("Jayden", "Jaden"))
    os.utime(path, ns=(1, 2 * 10**18))
    assert watched.problem is None
    assert watched.current.school_of("Jaden", "Smith", date(2016, 3, 4)) == "149001"


def test_a_roll_that_cannot_be_parsed_at_start_is_refused_in_one_line(tmp_path) -> None:
    from domain.school_roll import SchoolRoll, load_roll  # noqa: PLC0415
    from runtime.watched_file import WatchedFile  # noqa: PLC0415
    from schemas.yaml_files import ConfigFileError  # noqa: PLC0415

    path = tmp_path / "roll.csv"
    path.write_text(GOOD_ROLL.replace("149001", "12345\u00b2"))
    with pytest.raises(ConfigFileError, match="line 2: urn"):
        WatchedFile(path, SchoolRoll, "school roll", recheck_s=0, parse=load_roll)


# 7. The demo files hold only the documented demo accounts (an account `x.y` / `p` from a test
# run had been committed into the demo managers file).

DOCUMENTED = {"managers": {"duty.manager"}, "referrers": {"dsl.riverside", "researcher.police"}}


def test_the_demo_files_hold_only_the_accounts_the_readme_documents() -> None:
    import yaml  # noqa: PLC0415

    from conftest import ROOT  # noqa: PLC0415
    from runtime.demo import DEMO_MANAGERS_FILE, DEMO_REFERRERS_FILE  # noqa: PLC0415

    readme = " ".join((ROOT / "README.md").read_text().split())
    for kind, path in (("managers", DEMO_MANAGERS_FILE), ("referrers", DEMO_REFERRERS_FILE)):
        held = {account["username"] for account in yaml.safe_load(path.read_text())[kind]}
        assert held == DOCUMENTED[kind], path.name
        for username in held:
            assert f"`{username}` / `frontdoor-demo`" in readme, username


# 9 is tested in tests/unit/test_web_headers.py (Cache-Control: no-store but on static files).

# 10. Server-side sessions are pruned when expired and capped, per person and in all.


def test_sessions_are_pruned_when_expired_and_capped_per_person_and_in_all(monkeypatch) -> None:
    from runtime.web import sign_in  # noqa: PLC0415

    now = [0.0]
    sessions = sign_in.Sessions(clock=lambda: now[0])
    first = sessions.start("kim.duty")
    many = [sessions.start("kim.duty") for _ in range(sign_in.MAX_SESSIONS_EACH)]
    assert len(sessions) == sign_in.MAX_SESSIONS_EACH  # the oldest ended
    assert sessions.username(first) is None
    assert sessions.username(many[-1]) == "kim.duty"
    assert sessions.username(many[0]) == "kim.duty"

    now[0] += sign_in.SESSION_HOURS * 3600 + 1  # all expired: gone at the next sign-in
    sessions.start("sam.duty")
    assert len(sessions) == 1

    monkeypatch.setattr(sign_in, "MAX_SESSIONS", 5)
    people = [sessions.start(f"person.{n}") for n in range(7)]
    assert len(sessions) == 5
    assert [sessions.username(sid) for sid in people[:2]] == [None, None]
    assert sessions.username(people[-1]) == "person.6"


# 13 is tested in tests/unit/test_wording.py (a decision due "at the latest, sooner if urgent").

# 14. Every API answer is JSON in the documented shape, also for a path or method it lacks.


async def test_an_api_path_or_method_that_does_not_exist_answers_json(tmp_path) -> None:
    import httpx  # noqa: PLC0415
    from gateway_app import gateway  # noqa: PLC0415

    running = gateway(tmp_path)
    transport = httpx.ASGITransport(app=running.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        missing = await client.get("/api/v1/no/such/path")
        wrong = await client.delete("/api/v1/referrals")
        page = await client.get("/no/such/page")
    assert (missing.status_code, missing.json()) == (404, {"error": "no such path in the API"})
    assert missing.headers["content-type"] == "application/json"
    assert (wrong.status_code, wrong.json()) == (
        405,
        {"error": "this path does not take that method"},
    )
    assert "allow" in wrong.headers
    assert (page.status_code, page.headers["content-type"].split(";")[0]) == (404, "text/plain")


# 8. Webhook keys live in the notifier's own secrets file, never the registry every workload
# (the internet-facing gateway included) mounts; the page servers read the database read-only.

KEY = "k" * 40


def dispatcher(tmp_path, *, production: bool, registry_key: str | None, file_key: str | None):
    from test_handlers import partners  # noqa: PLC0415

    from runtime.health import Health  # noqa: PLC0415
    from runtime.kafka.settings import KafkaSettings  # noqa: PLC0415
    from schemas.partners import WebhookSecrets  # noqa: PLC0415
    from services.notifier.webhooks import RetryPolicy, WebhookDispatcher  # noqa: PLC0415

    partner = {
        "id": "hooked-academy",
        "name": "Hooked Academy",
        "source": "2A",
        "local_authorities": ["808"],
        "webhook": "https://hooks.example.org/frontdoor",
    } | ({"webhook_secret": registry_key} if registry_key else {})
    secrets = WebhookSecrets.model_validate(
        {"secrets": {"hooked-academy": file_key}} if file_key else {}
    )
    health = Health("notifier")
    running = WebhookDispatcher(
        KafkaSettings(),
        partners(tmp_path, partner),
        RetryPolicy(max_attempts=1, initial_backoff_s=0.1, max_backoff_s=0.1, timeout_s=1),
        health,
        production=production,
        secrets=lambda: secrets,
    )
    return running, health


@pytest.mark.parametrize(
    ("production", "registry_key", "file_key", "signed_with"),
    [
        (True, None, KEY, KEY),  # the notifier's own file: used
        (True, KEY, None, None),  # in the registry every service reads: refused in production
        (True, "r" * 40, KEY, KEY),  # the file's wins
        (False, KEY, None, KEY),  # a demo or a test may keep it in the registry
        (False, None, None, None),  # no key anywhere: never delivered unsigned
    ],
)
def test_a_webhook_is_signed_only_with_a_key_from_the_notifiers_own_file_in_production(
    tmp_path, production: bool, registry_key: str | None, file_key: str | None, signed_with
) -> None:
    running, health = dispatcher(
        tmp_path, production=production, registry_key=registry_key, file_key=file_key
    )
    partner = running.allowed("hooked-academy")
    if signed_with is None:
        assert partner is None
        assert health.counters["webhooks_refused"] == 1
    else:
        assert partner is not None
        assert partner.webhook_secret is not None
        assert partner.webhook_secret.get_secret_value() == signed_with
