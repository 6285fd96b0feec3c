"""The referral forms without JavaScript: every page a plain form post, as a browser sends it.

A real browser (with and without JavaScript, keyboard only, axe-core) walks them in
``tests/e2e/test_referral_forms_browser.py``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from gateway_app import Gateway, gateway

from domain.policy import DEFAULT_POLICY
from domain.validation import Accepted, validate_referral
from runtime.partners import load_registry

SCHOOL = "stockton-riverside-academy"
CHILD = {
    "local_authority": "808",
    "given_name": "Amara",
    "family_name": "Okoye",
    "date_of_birth": "2016-05-04",
    "sex": "F",
    "postcode": "ts18 1ab",
    "address_line1": "4 Mill Lane",
}


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def signed_in(client: httpx.AsyncClient) -> str:
    page = (await client.get("/refer/sign-in")).text
    answer = await client.post(
        "/refer/sign-in",
        data={"username": "dsl.riverside", "password": "frontdoor-demo", "csrf_token": csrf(page)},
    )
    assert answer.status_code == 303, answer.text
    return csrf((await client.get("/refer")).text)


async def answer(
    client: httpx.AsyncClient, token: str, step: str, **fields: object
) -> httpx.Response:
    return await client.post(f"/refer/step/{step}", data={"csrf_token": token, **fields})


@pytest.fixture
def gw(tmp_path: Path) -> Gateway:
    return gateway(tmp_path)


async def test_the_form_asks_to_sign_in_and_refuses_a_wrong_password(gw: Gateway) -> None:
    async with gw.client() as client:
        assert (await client.get("/refer")).headers["location"] == "/refer/sign-in"
        page = (await client.get("/refer/sign-in")).text
        wrong = await client.post(
            "/refer/sign-in",
            data={"username": "dsl.riverside", "password": "guess", "csrf_token": csrf(page)},
        )
    assert wrong.status_code == 401
    assert "There is a problem" in wrong.text
    assert 'href="#username"' in wrong.text


async def test_a_referral_made_page_by_page_is_published_as_the_referrers_organisation(
    gw: Gateway,
) -> None:
    async with gw.client() as client:
        token = await signed_in(client)
        await client.get("/refer/new")
        missing = await answer(
            client, token, "child", local_authority="808", date_of_birth="2016-05-04"
        )
        assert missing.status_code == 400
        assert 'href="#given_name"' in missing.text
        assert "Enter the child&#39;s first name" in missing.text
        moved = await answer(client, token, "child", **CHILD)
        assert moved.headers["location"] == "/refer/step/concerns"
        assert (await answer(client, token, "concerns", factors=["3B", "17A"])).status_code == 303
        risk_page = (await client.get("/refer/step/risk")).text
        assert 'name="dash_risk"' in risk_page  # asked because domestic abuse was ticked
        await answer(
            client, token, "risk", immediate_risk="no", injury_observed="no", dash_risk="high"
        )
        no_reason = await answer(client, token, "consent", consent="not_sought")
        assert no_reason.status_code == 400
        assert 'href="#consent_reason"' in no_reason.text
        await answer(
            client, token, "consent", consent="not_sought", consent_reason="Risk to mother"
        )
        done = await answer(client, token, "summary", summary="Police attended overnight.")
        assert done.headers["location"] == "/refer/check"
        check = (await client.get("/refer/check")).text
        assert "Level 4: acute" in check
        assert "Domestic abuse graded high risk (DASH)." in check
        assert "4 May 2016" in check  # dates for people, not 2016-05-04
        assert "2016-05-04" not in check
        assert "<dd>Not given</dd>" in check  # no NHS number or UPN was given
        assert "—, —" not in check
        sent = await client.post("/refer/send", data={"csrf_token": token})
        assert sent.status_code == 303
        reference = sent.headers["location"].rsplit("/", 1)[1]
        confirmation = (await client.get(sent.headers["location"])).text
    assert reference in confirmation
    [(topic, raw, key)] = gw.producer.sent
    assert topic == f"referrals.inbound.{SCHOOL}"
    assert key == reference.encode()
    verdict = validate_referral(raw, organisation_id=SCHOOL, registry=load_registry())
    assert isinstance(verdict, Accepted)
    sent_referral = verdict.referral
    assert sent_referral.referrer.name == "Sam Okafor"
    assert sent_referral.referrer.source.value == "2A"
    assert [c.factor.value for c in sent_referral.concerns] == ["3B", "17A"]
    assert sent_referral.risk.dash_risk is not None
    assert sent_referral.risk.dash_risk.value == "high"
    assert sent_referral.child.address is not None
    assert sent_referral.child.address.postcode == "TS18 1AB"


async def test_an_unborn_baby_needs_no_name_or_sex(gw: Gateway) -> None:
    expected = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    async with gw.client() as client:
        token = await signed_in(client)
        moved = await answer(
            client, token, "child", local_authority="808", expected_date_of_birth=expected
        )
        assert moved.status_code == 303, moved.text
        await answer(client, token, "concerns", factors=["2B"])
        await answer(client, token, "risk", immediate_risk="no", injury_observed="no")
        await answer(client, token, "consent", consent="given")
        await answer(client, token, "summary", summary="Mother using heroin in pregnancy.")
        assert "Level 3" in (await client.get("/refer/check")).text  # L3-PARENT-UNDER5
        await client.post("/refer/send", data={"csrf_token": token})
    [(_, raw, _)] = gw.producer.sent
    child = json.loads(raw)["child"]
    assert child == {"expected_date_of_birth": expected}


async def test_a_date_of_birth_in_the_future_is_shown_beside_that_field(gw: Gateway) -> None:
    future = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    async with gw.client() as client:
        token = await signed_in(client)
        page = await answer(client, token, "child", **(CHILD | {"date_of_birth": future}))
    assert page.status_code == 400
    assert 'href="#date_of_birth"' in page.text
    assert "The date of birth must be today or in the past" in page.text


async def test_without_the_forms_token_nothing_is_kept_or_sent(gw: Gateway) -> None:
    async with gw.client() as client:
        await signed_in(client)
        refused = await client.post("/refer/step/child", data=CHILD)
        sent = await client.post("/refer/send", data={})
    assert refused.headers["location"] == "/refer"
    assert sent.headers["location"] == "/refer/check"
    assert gw.producer.sent == []


async def test_the_guidance_follows_the_answers_and_signposts_level_one(gw: Gateway) -> None:
    async with gw.client() as client:
        token = await signed_in(client)
        await answer(client, token, "child", **CHILD)
        advice = await client.post(
            "/refer/guidance", data={"csrf_token": token, "step": "concerns", "factors": ["21"]}
        )
        acute = await client.post(
            "/refer/guidance", data={"csrf_token": token, "step": "concerns", "factors": ["19C"]}
        )
    assert "Level 1: universal" in advice.text
    assert "NSPCC helpline" in advice.text
    assert "Level 4: acute" in acute.text
    assert "Sexual abuse (19B or 19C)." in acute.text
    assert "NSPCC" not in acute.text


async def test_the_guidance_is_the_councils_own_policy(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    own = yaml.safe_load(DEFAULT_POLICY.read_text()) | {"version": "stockton-2026.7"}
    for rule in own["rules"]:  # this council meets neglect with early help first
        if rule["id"] == "L3-NEGLECT":
            rule["level"] = 2
            rule["description"] = "Stockton: neglect is met with early help first."
    (policies / "808.yaml").write_text(yaml.safe_dump(own))
    gw = gateway(tmp_path, policy={"dir": policies})
    async with gw.client() as client:
        token = await signed_in(client)
        await answer(client, token, "child", **CHILD)
        panel = await client.post(
            "/refer/guidance", data={"csrf_token": token, "step": "concerns", "factors": ["16A"]}
        )
    assert "stockton-2026.7" in panel.text
    assert "Level 2" in panel.text  # the council's level, not the default policy's 3
    assert "Level 3" not in panel.text
    assert "Stockton: neglect is met with early help first." in panel.text


PUBLIC_ANSWERS = {
    "local_authority": "808",
    "relationship": "1B",
    "given_name": "not known",
    "family_name": "Brown",
    "age": "6",
    "factors": ["16A"],
    "summary": "The little boy next door is often outside alone late at night.",
}


async def test_the_public_form_says_999_first_and_sends_as_the_councils_public_organisation(
    gw: Gateway,
) -> None:
    async with gw.client() as client:
        page = (await client.get("/refer/public")).text
        assert page.index("call 999") < page.index("<h1>")
        sent = await client.post("/refer/public", data={"csrf_token": csrf(page), **PUBLIC_ANSWERS})
        assert sent.status_code == 303, sent.text
        thanks = (await client.get(sent.headers["location"])).text
    [(topic, raw, _)] = gw.producer.sent
    assert topic == "referrals.inbound.stockton-public"
    document = json.loads(raw)
    assert document["referrer"] == {"organisation_id": "stockton-public", "source": "1B"}
    assert "about 6" in document["summary"]
    assert document["consent"]["status"] == "not_sought"
    assert "Thank you for telling us" in thanks
    assert sent.headers["location"].rsplit("/", 1)[1] in thanks


async def test_the_public_form_is_throttled_per_address(tmp_path: Path) -> None:
    gw = gateway(tmp_path, public_per_hour=2)
    async with gw.client("198.51.100.4") as client, gw.client("198.51.100.5") as neighbour:
        token = csrf((await client.get("/refer/public")).text)
        codes = [
            (
                await client.post("/refer/public", data={"csrf_token": token, **PUBLIC_ANSWERS})
            ).status_code
            for _ in range(3)
        ]
        other = csrf((await neighbour.get("/refer/public")).text)
        theirs = await neighbour.post("/refer/public", data={"csrf_token": other, **PUBLIC_ANSWERS})
    assert codes == [303, 303, 429]
    assert theirs.status_code == 303
    assert len(gw.producer.sent) == 3


async def test_the_public_form_puts_each_problem_beside_its_field(gw: Gateway) -> None:
    async with gw.client() as client:
        page = (await client.get("/refer/public")).text
        answer_page = await client.post(
            "/refer/public", data={"csrf_token": csrf(page), "local_authority": "808", "age": "4"}
        )
    assert answer_page.status_code == 400
    for field in ("relationship", "given_name", "factors", "summary"):
        assert f'href="#{field}"' in answer_page.text
    assert gw.producer.sent == []


async def test_a_form_referrals_page_shows_what_its_referrer_has_been_told(gw: Gateway) -> None:
    """The page after sending follows the referral: its updates, from the records database."""
    from test_gateway_api import _told  # noqa: PLC0415

    _told(gw.database_url, SCHOOL, "SRA-FORM-1", "received", "triaged")
    _told(gw.database_url, "cleveland-police", "SRA-FORM-1", "received", "closed")  # not theirs
    async with gw.client() as client:
        await signed_in(client)
        page = (await client.get("/refer/sent/SRA-FORM-1")).text
    assert "received." in page
    assert "triaged." in page
    assert "closed." not in page  # another organisation's referral of the same reference
