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
import itertools
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import sign_in_over_http
from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import NOW, accepted, household, managers_file, referral
from fakes import FakeRecord
from schemas.codes import Ethnicity, Factor, Relationship
from schemas.contact import contact_id_for
from schemas.status import Status, StatusUpdate
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
        "school_urn": "149001",
        "gp_practice": "A81001",
    }
    document["household"] = household()
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


async def seen(
    tmp_path: Path,
    store: Any,
    path: Callable[[Case], str],
    document: dict[str, Any] | None = None,
    *,
    councils: tuple[str, ...] = ("808",),
    expect: int = 200,
) -> str:
    """The page at ``path(case)`` as a signed-in duty manager of 808 sees it, for the case a
    referral (``document``, else one with every field) opened (through the triage engine, the
    records' projection and store)."""
    sent = accepted(document or everything(), at=NOW)
    fx = TriageEngine(PolicyBook.single(load_policy())).on_referral(sent, 0)
    records = [FakeRecord(TOPICS.cases, json) for json in fx.case_json.values()]
    records.append(FakeRecord(TOPICS.accepted, sent.model_dump_json().encode()))
    rows, unreadable = Projection(TOPICS).rows(records)
    assert unreadable == []
    store.write(rows, {})

    managers = managers_file(tmp_path, "kim.duty", PASSWORD, list(councils))
    app = create_app(DashboardSettings(environment="development", managers_file=managers))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
            assert (await sign_in_over_http(client, "kim.duty", PASSWORD)).status_code == 303
            page = await client.get(path(fx.cases[-1][0]))
    finally:
        app.state.engine.dispose()  # no lifespan here to dispose of it
    assert page.status_code == expect
    return page.text


@pytest.fixture
async def case_page(tmp_path: Path, database_url: str, store: Any, monkeypatch) -> str:
    """The case page of the case :func:`everything` opened."""
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", database_url)
    return await seen(tmp_path, store, lambda case: f"/cases/{case.case_id}")


def not_shown(page: str, document: dict[str, Any]) -> list[tuple[str, Any]]:
    """Each field of ``document`` whose value is not in the page's referral section."""
    section = re.search(r'<section class="referral".*?</section>', page, re.DOTALL)
    assert section is not None
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.group())).split())
    return [
        (path, value)
        for path, value in leaves(document)
        if path.rsplit(".", 1)[-1] not in NOT_VERBATIM
        and value is not None
        and not isinstance(value, bool)
        # a code of the contract is shown in words (not_sought, person-alleged-to-pose-a-risk)
        and not any(" ".join(str(value).replace(joiner, " ").split()) in shown for joiner in "_- ")
    ]


async def test_every_field_a_referrer_sent_is_on_the_case_page(case_page: str) -> None:
    assert not_shown(case_page, everything()) == []
    section = re.search(r'<section class="referral".*?</section>', case_page, re.DOTALL)
    assert section is not None
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.group())).split())
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


# Text as people type it, with the characters a page must escape (& < > " ')
TYPED = st.text(
    alphabet=st.characters(
        codec="utf-8",
        categories=("L", "N", "Zs"),
        include_characters="&<>\"'.,;:!?()/-",
    ),
    min_size=1,
    max_size=60,
).filter(lambda text: text.strip() != "")
FACTORS = sorted(factor.value for factor in Factor)
ETHNICITIES = sorted(code.value for code in Ethnicity)
RELATIONSHIPS = sorted(code.value for code in Relationship)
_examples = itertools.count()


@st.composite
def referrals(draw: st.DrawFn) -> dict[str, Any]:
    """A valid referral across the contract: each optional field given or not, any text."""
    n = next(_examples)

    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(st.none(), strategy))

    consent = draw(st.sampled_from(["given", "refused", "not_sought"]))
    document = referral(
        referral_id=f"PROP-{n}",
        summary=draw(TYPED),
        concerns=[
            {"factor": factor, "detail": draw(TYPED)}
            for factor in draw(st.lists(st.sampled_from(FACTORS), min_size=1, max_size=4))
        ],
        risk={
            "immediate_risk": draw(st.booleans()),
            "injury_observed": draw(st.booleans()),
            "dash_risk": maybe(st.sampled_from(["standard", "medium", "high"])),
        },
        consent={
            "status": consent,
            "reason": draw(TYPED) if consent == "not_sought" else maybe(TYPED),
        },
    )
    document["referrer"] |= {
        "name": maybe(TYPED),
        "role": maybe(TYPED),
        "email": maybe(st.sampled_from(["duty@cleveland.police.uk", "a.b-c@nhs.net"])),
        "phone": maybe(st.sampled_from(["01642 301234", "+44 (0)1642 301234"])),
    }
    document["child"] |= {
        # a child of its own each time, so no example links to another's case
        "given_name": f"{draw(TYPED)} {n}",
        "family_name": draw(TYPED),
        "nhs_number": None,
        "upn": None,
        "ethnicity": maybe(st.sampled_from(ETHNICITIES)),
        "first_language": maybe(TYPED),
        "school_urn": maybe(st.from_regex(r"\A[0-9]{6}\Z")),
        "gp_practice": maybe(st.from_regex(r"\A[A-Z][0-9]{5}\Z")),
        "address": maybe(
            st.fixed_dictionaries(
                {"line1": TYPED, "postcode": st.just("TS18 1AB")},
                optional={"line2": TYPED, "town": TYPED},
            )
        ),
    }
    document["household"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {"relationship": st.sampled_from(RELATIONSHIPS)},
                optional={
                    "given_name": TYPED,
                    "family_name": TYPED,
                    "approximate_age": st.integers(0, 120),
                    "lives_with_child": st.booleans(),
                    "parental_responsibility": st.sampled_from(["yes", "no", "unknown"]),
                    "first_language": TYPED,
                    "knows_of_referral": st.booleans(),
                },
            ),
            max_size=3,
        )
    )
    document["submitted_at"] = (NOW - timedelta(minutes=5)).isoformat()
    return {k: v for k, v in document.items() if v is not None}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=referrals())
async def test_any_valid_referral_shows_every_value_it_gave_on_the_case_page(
    document: dict[str, Any], tmp_path: Path, database_url: str, store: Any, monkeypatch
) -> None:
    """Property: whatever a valid referral gives, the duty manager's page shows, escaped."""
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", database_url)
    page = await seen(tmp_path, store, lambda case: f"/cases/{case.case_id}", document)
    assert not_shown(page, document) == []


def content() -> list[tuple[str, str]]:
    """What the referral says about the child and the concern (not the referrer's own ids)."""
    return [
        (path, value)
        for path, value in leaves(everything())
        if isinstance(value, str)
        and len(value) > 8
        and path not in {"referral_id", "submitted_at"}
        and not path.startswith("referrer.")
    ]


@pytest.mark.parametrize("where", ["/cases/{case_id}", "/children/{child_id}"])
async def test_another_councils_manager_never_sees_the_referral(
    where: str, tmp_path: Path, database_url: str, store: Any, monkeypatch
) -> None:
    """The referral is the council's it was sent to (808): a manager of 806 finds nothing."""
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", database_url)
    page = await seen(
        tmp_path,
        store,
        lambda case: where.format(case_id=case.case_id, child_id=case.child_id),
        councils=("806",),
        expect=404,
    )
    for path, value in content():
        assert value not in page, path


async def test_a_partners_key_reads_its_referrals_status_never_its_content(
    tmp_path: Path, monkeypatch
) -> None:
    """The gateway's API answers the police with what they were told, nothing they wrote."""
    from gateway_app import gateway  # noqa: PLC0415

    gw = gateway(tmp_path / "gateway")
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", gw.database_url)
    from runtime.records_db.database import make_engine  # noqa: PLC0415
    from services.records.store import RecordsStore  # noqa: PLC0415

    engine = make_engine(gw.database_url)
    store = RecordsStore(engine)
    await seen(tmp_path, store, lambda case: f"/cases/{case.case_id}")
    referral_id = everything()["referral_id"]
    told = StatusUpdate(
        contact_id=contact_id_for("cleveland-police", referral_id),
        referral_id=referral_id,
        organisation_id="cleveland-police",
        sequence=1,
        status=Status.RECEIVED,
        message="Received.",
        occurred_at=NOW,
    )
    rows, _ = Projection(TOPICS).rows(
        [FakeRecord(TOPICS.status("cleveland-police"), told.model_dump_json().encode())]
    )
    store.write(rows, {})
    engine.dispose()
    async with gw.client() as client:
        answer = await client.get(
            f"/api/v1/referrals/{referral_id}",
            headers={"Authorization": f"Bearer {gw.key_for('cleveland-police')}"},
        )
    assert answer.status_code == 200
    assert [u["status"] for u in answer.json()["updates"]] == ["received"]
    for path, value in content():
        assert value not in answer.text, path
