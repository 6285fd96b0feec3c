"""The duty manager's case page shows everything each referrer sent (issue 41, item 1 in part).

The case record keeps only what triage needs (and the start of each account: it must fit one
Kafka record); the records keep each referral whole from ``referrals.accepted``, and the case
page shows every field of it, grouped as a form would: how to call the referrer back, the
child's address and language, each concern's detail, the risk answers, consent and its reason.
Through the real triage engine, the records' projection and store (SQLite and PostgreSQL) and
the dashboard's page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import sign_in_over_http
from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import NOW, accepted, managers_file, referral
from fakes import FakeRecord
from schemas.topics import Topics
from schemas.triage import Case
from services.dashboard.app import create_app
from services.dashboard.settings import DashboardSettings
from services.records.projection import Projection
from services.triage.engine import TriageEngine

PASSWORD = "a duty manager's password"  # noqa: S105 - a test account's
TOPICS = Topics()
# What the page writes in words or another format rather than as sent (checked apart below)
NOT_VERBATIM = {"submitted_at", "schema_version", "local_authority", "interpreter_needed"}


def everything() -> dict[str, Any]:
    """A referral with every field of the contract given (two concerns, each with detail)."""
    document = referral(
        summary="Neighbours heard shouting; the child was seen at the window late at night.",
        concerns=[
            {"factor": "3B", "detail": "Officers attended a domestic incident at 23:40."},
            {"factor": "2B", "detail": "The child said she goes to bed hungry."},
        ],
        risk={"immediate_risk": False, "dash_risk": "medium", "injury_observed": True},
        consent={"status": "refused", "reason": "Mother declined: fears the partner's reaction."},
    )
    document["child"] |= {
        "ethnicity": "WBRI",
        "address": {
            "line1": "12 Church Street",
            "line2": "Flat 3",
            "town": "Stockton-on-Tees",
            "postcode": "TS18 1AB",
        },
        "first_language": "Polish",
        "interpreter_needed": True,
    }
    document["submitted_at"] = (NOW - timedelta(minutes=5)).isoformat()
    return document


def leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (dotted path, value) at the ends of a JSON document."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaves(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [
            leaf for index, item in enumerate(value) for leaf in leaves(item, f"{path}.{index}")
        ]
    return [(path.lstrip("."), value)]


async def seen(tmp_path: Path, store: Any, path: Callable[[Case], str]) -> str:
    """The page at ``path(case)`` as a signed-in duty manager of 808 sees it, for the case a
    referral with every field opened (through the triage engine, the records' projection and
    store)."""
    sent = accepted(everything(), at=NOW)
    fx = TriageEngine(PolicyBook.single(load_policy())).on_referral(sent, 0)
    records = [FakeRecord(TOPICS.cases, json) for json in fx.case_json.values()]
    records.append(FakeRecord(TOPICS.accepted, sent.model_dump_json().encode()))
    rows, unreadable = Projection(TOPICS).rows(records)
    assert unreadable == []
    store.write(rows, {})

    managers = managers_file(tmp_path, "kim.duty", PASSWORD, ["808"])
    app = create_app(DashboardSettings(environment="development", managers_file=managers))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
            assert (await sign_in_over_http(client, "kim.duty", PASSWORD)).status_code == 303
            page = await client.get(path(fx.cases[-1][0]))
    finally:
        app.state.engine.dispose()  # no lifespan here to dispose of it
    assert page.status_code == 200
    return page.text


@pytest.fixture
async def case_page(tmp_path: Path, database_url: str, store: Any, monkeypatch) -> str:
    """The case page of the case :func:`everything` opened."""
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", database_url)
    return await seen(tmp_path, store, lambda case: f"/cases/{case.case_id}")


async def test_every_field_a_referrer_sent_is_on_the_case_page(case_page: str) -> None:
    section = re.search(r'<section class="referral".*?</section>', case_page, re.DOTALL)
    assert section is not None
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.group())).split())
    document = everything()
    missing = [
        (path, value)
        for path, value in leaves(document)
        if path.rsplit(".", 1)[-1] not in NOT_VERBATIM
        and value is not None
        and not isinstance(value, bool)
        and str(value) not in shown
    ]
    assert missing == []
    # and what is worded rather than copied
    assert "an interpreter is needed" in shown
    assert "Immediate risk: no; injury seen: yes; DASH: medium" in shown
    assert "Consent refused: Mother declined" in shown


async def test_the_referrer_can_be_called_or_emailed_back_from_the_page(case_page: str) -> None:
    referrer = everything()["referrer"]
    assert f'href="tel:{referrer["phone"].replace(" ", "")}"' in case_page
    assert f'href="mailto:{referrer["email"]}"' in case_page


async def test_the_childs_history_shows_what_each_referrer_sent_too(
    tmp_path: Path, database_url: str, store: Any, monkeypatch
) -> None:
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", database_url)
    page = await seen(tmp_path, store, lambda case: f"/children/{case.child_id}")
    details = re.search(r'<details class="referral".*?</details>', page, re.DOTALL)
    assert details is not None
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", details.group())).split())
    assert "The child said she goes to bed hungry." in shown
    assert "Mother declined: fears the partner's reaction." in shown
    assert "Flat 3" in shown
