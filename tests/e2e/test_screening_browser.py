"""A person decides (DOMAIN B "Who decides"): the screening page in Chromium, without JavaScript.

On the real pipeline: the policy's proposals wait on the screening page, red first; a duty
manager confirms three at once and changes one with a reason; each is its own decision with
the manager's name, the queues and the referrers follow, and the performance page counts how
often people agreed with each rule.
"""

from __future__ import annotations

import asyncio

import pytest
from test_dashboard_browser import browser, dashboard, publish, sign_in  # noqa: F401 - fixtures
from test_referral_forms_browser import no_serious_violations

from conftest import read_topics, screenshot
from factories import recently, referral
from schemas.status import Status, StatusUpdate
from schemas.triage import Decision, DecisionKind

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SCHOOL = {"organisation_id": "stockton-riverside-academy", "source": "2A"}
QUIET = {"immediate_risk": False, "injury_observed": False}


def child(given: str, born: str) -> dict:
    return referral()["child"] | {
        "given_name": given,
        "date_of_birth": born,
        "nhs_number": None,
        "upn": None,
    }


def universal(given: str, born: str) -> dict:
    """A school's universal-level worry: the policy proposes no further action."""
    return referral(
        referral_id=f"S-{given}",
        referrer=SCHOOL,
        child=child(given, born),
        concerns=[{"factor": "21", "detail": "Tired in class some mornings."}],
        risk=QUIET,
        consent={"status": "given"},
        summary=f"{given} is tired in class some mornings; the family has a new baby.",
        submitted_at=recently(),
    )


async def rows_shown(page, base: str, count: int) -> None:
    """Reload the screening page until it shows ``count`` proposals (it is not live)."""
    async with asyncio.timeout(60):
        while await page.locator("tr[data-screening]").count() != count:
            await asyncio.sleep(0.5)
            await page.goto(f"{base}/screening?la=808")


async def test_a_duty_manager_confirms_three_at_once_and_changes_one_with_a_reason(  # noqa: PLR0915 - one journey
    topics_ready,
    dashboard,  # noqa: F811 - the fixture imported above
    browser,  # noqa: F811 - the fixture imported above
) -> None:
    kafka, base = topics_ready, dashboard
    names = (("Ada", "2016-01-02"), ("Ben", "2015-03-04"), ("Cy", "2014-05-06"))
    for given, born in names:
        await publish(kafka, universal(given, born))
    acute = referral(
        referral_id="CP-RED",
        child=child("Dot", "2019-07-08"),
        risk={"immediate_risk": True, "injury_observed": False},
        submitted_at=recently(),
    )
    await publish(kafka, acute)

    context = await browser.new_context(java_script_enabled=False)  # works without script
    page = await context.new_page()
    await sign_in(page, base)
    await page.goto(f"{base}/screening?la=808")
    await rows_shown(page, base, 4)
    rows = page.locator("tr[data-screening]")
    assert "RED" in await rows.first.inner_text()  # red first
    assert "level 4, enquiry-assessment" in await rows.first.inner_text()
    assert "on the E&A queue already" in await rows.first.inner_text()
    for given, _ in names:
        row = rows.filter(has_text=f"{given} Smith")
        assert "level 1, no-further-action" in await row.inner_text()
        assert "L1-UNIVERSAL" in await row.inner_text()
        assert "tired in class" in await row.inner_text()
    # a level-1 contact is on no team's queue, and its referrer has heard only "received"
    await page.goto(f"{base}/queues?la=808")
    assert await page.locator("tr", has_text="Ada Smith").count() == 0
    assert await page.locator("section[data-queue=enquiry-assessment] tr", has_text="Dot").count()
    await page.goto(f"{base}/screening?la=808")
    await screenshot(page, "dashboard-screening")
    # axe-clean in Chromium (axe runs as a script: a page with script on, beside this one)
    scripted = await browser.new_page()
    await sign_in(scripted, base)
    await scripted.goto(f"{base}/screening?la=808")
    await no_serious_violations(scripted)
    await scripted.goto(f"{base}/performance?la=808")

    # a case page shows the proposal and the same two choices
    await rows.filter(has_text="Ada Smith").get_by_role("link", name="Ada Smith").click()
    assert await page.get_by_role("heading", name="Screening decision").is_visible()
    assert "waiting for a person" in await page.locator("[data-field=screening]").inner_text()
    assert await page.get_by_role("button", name="Record the decision").count() == 1
    await page.goto(f"{base}/screening?la=808")

    # select the three and confirm them together
    for given, _ in names:
        await rows.filter(has_text=f"{given} Smith").get_by_role("checkbox").check()
    await page.get_by_role("button", name="Confirm the selected proposals").click()
    assert "3 screening decisions sent" in await page.get_by_role("status").inner_text()

    # change the red one: early help, with a reason
    red = page.locator("tr[data-screening]", has_text="Dot Smith")
    await red.locator("summary").click()
    await red.get_by_label("Level").select_option("2")
    await red.get_by_label("Outcome").select_option("early-help")
    await red.get_by_label("Why (required)").fill("Spoke to the officer: Dot is with her nan")
    await red.get_by_role("button", name="Record the change").click()
    await rows_shown(page, base, 0)

    decisions = [
        Decision.model_validate_json(r.value)
        for r in await read_topics(kafka, [kafka.topics.decisions], count=8, timeout=60)
    ]
    screened = [d for d in decisions if d.kind is DecisionKind.SCREENED]
    assert len(screened) == 4  # each its own decision, with the manager's name
    assert {d.decided_by for d in screened} == {"sam.duty"}
    assert sorted(d.agreed for d in screened) == [False, True, True, True]
    (changed,) = [d for d in screened if not d.agreed]
    assert "Dot is with her nan" in changed.reason
    assert changed.proposal is not None
    assert changed.proposal.level == 4

    # the red case left the E&A queue for early help; the three closed, their referrer told
    await page.goto(f"{base}/queues?la=808")
    async with asyncio.timeout(30):
        while not await page.locator("section[data-queue=early-help] tr", has_text="Dot").count():
            await asyncio.sleep(0.5)
            await page.reload()
    assert not await page.locator(
        "section[data-queue=enquiry-assessment] tr", has_text="Dot"
    ).count()
    updates = [
        StatusUpdate.model_validate_json(r.value)
        for r in await read_topics(
            kafka, [kafka.topics.status(SCHOOL["organisation_id"])], count=6, timeout=60
        )
    ]
    for given, _ in names:
        told = [u for u in updates if u.referral_id == f"S-{given}"]
        assert [u.status for u in told] == [Status.RECEIVED, Status.TRIAGED]
        assert "No further action" in told[1].message

    # the agreement figures: L1-UNIVERSAL confirmed 3 of 3, L4-IMMEDIATE changed 1 of 1
    await page.goto(f"{base}/performance?la=808")
    table = page.locator("table.agreement")
    universal_row = await table.locator("tr", has_text="L1-UNIVERSAL").inner_text()
    assert universal_row.split("\t")[2:] == ["3", "0", "100 %"]
    immediate = await table.locator("tr", has_text="L4-IMMEDIATE").inner_text()
    assert immediate.split("\t")[2:] == ["0", "1", "0 %"]
    await no_serious_violations(scripted)
    await context.close()
