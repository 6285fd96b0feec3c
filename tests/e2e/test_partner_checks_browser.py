"""Partner checks end to end, in headless Chromium: a level-3 referral on the real broker asks
three agencies; education answers by the API, the police researcher at the gateway's ``/checks``
page (errors first, beside their fields; axe-clean; without JavaScript), health never; the duty
manager's case page shows each check and the checks page counts what is open."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from test_dashboard_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    needs_chromium,
    publish,
    sign_in,
    whole_stack,
)
from test_referral_forms_browser import no_serious_violations

from conftest import screenshot
from factories import recently, referral

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
EDUCATION = "tees-education-services"


async def sign_in_at_gateway(page, gateway: str, username: str = "researcher.police") -> None:
    """Sign in at the gateway as one of the demo's referrer accounts."""
    await page.goto(f"{gateway}/refer/sign-in")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill("frontdoor-demo")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{gateway}/refer")


async def open_checks(client: httpx.AsyncClient, key: str, count: int = 1) -> list[dict]:
    async with asyncio.timeout(60):
        while True:
            listed = await client.get("/api/v1/checks", headers={"Authorization": f"Bearer {key}"})
            checks = listed.json()["checks"]
            if len(checks) >= count:
                return checks
            await asyncio.sleep(0.5)


async def test_checks_are_asked_answered_by_api_and_page_and_shown_to_the_duty_manager(  # noqa: PLR0915 - one journey
    topics_ready, services, tmp_path: Path
) -> None:
    needs_chromium()
    from playwright.async_api import async_playwright  # noqa: PLC0415

    keys = tmp_path / "keys.yaml"
    education_key = services.api_key(EDUCATION, keys)
    dashboard, gateway = await whole_stack(services, tmp_path, keys)

    document = referral(
        submitted_at=recently(), child=referral()["child"] | {"given_name": "Ottilie"}
    )
    await publish(topics_ready, document)  # police: domestic abuse, DASH medium: level 3

    async with httpx.AsyncClient(base_url=gateway) as client:
        (asked,) = await open_checks(client, education_key)
        assert asked["child"]["given_name"] == "Ottilie"
        assert asked["agency"] == "education"
        sent = await client.post(
            asked["answer_url"],
            json={
                "result": "information",
                "information": "Attendance 62 % this term; two unexplained absences this month.",
                "flags": ["known-to-agency"],
                "answered_by": {"name": "Jo Bell", "role": "Education safeguarding officer"},
                "answered_at": recently(),
            },
            headers={"Authorization": f"Bearer {education_key}"},
        )
        assert sent.status_code == 202, sent.text

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # the police researcher: axe on each page (axe needs JavaScript), then answers without
        with_js = await browser.new_page()
        await sign_in_at_gateway(with_js, gateway)
        async with asyncio.timeout(60):
            while True:
                await with_js.goto(f"{gateway}/checks")
                if await with_js.locator("tr[data-request]").count():
                    break
                await asyncio.sleep(0.5)
        await no_serious_violations(with_js)
        await screenshot(with_js, "partner-checks")
        await with_js.locator("tr[data-request] a").first.click()
        await with_js.wait_for_url(f"{gateway}/checks/chk-808-*")
        assert "Ottilie" in await with_js.content()
        request_url = with_js.url
        await no_serious_violations(with_js)
        await with_js.get_by_role("button", name="Send answer").click()  # nothing chosen
        summary = with_js.locator("[data-error-summary]")
        assert "Choose what your records hold" in await summary.inner_text()
        await no_serious_violations(with_js)

        page = await (await browser.new_context(java_script_enabled=False)).new_page()
        await sign_in_at_gateway(page, gateway)
        await page.goto(request_url)
        await page.get_by_label("We hold information about the child or household").check()
        await page.get_by_role("button", name="Send answer").click()  # no information
        assert "Say what your records hold" in await page.locator("#information-error").inner_text()
        await page.get_by_label("What your records hold").fill(
            "Attended the address twice this year for domestic incidents; no arrests."
        )
        await page.get_by_label("Known to our agency").check()
        await page.get_by_role("button", name="Send answer").click()
        await page.wait_for_url(f"{gateway}/checks?answered=*")
        assert "Answer sent" in await page.content()

        # the duty manager's case page: two answers, health's awaited
        manager = await browser.new_page()
        await sign_in(manager, dashboard)
        row = manager.locator("section[data-queue=enquiry-assessment] tr", has_text="Ottilie")
        await row.wait_for(timeout=30_000)
        await row.get_by_role("link", name="Ottilie Smith").click()
        answered = manager.locator("table.checks tr[data-check=answered]")
        async with asyncio.timeout(60):
            while await answered.count() < 2:
                await asyncio.sleep(0.5)
                await manager.reload()
        text = await manager.locator("table.checks").inner_text()
        assert "Attendance 62 %" in text
        assert "Attended the address twice" in text
        assert "Alex Reid, MASH police researcher" in text
        assert await manager.locator("table.checks tr[data-check=open]").count() == 1  # health
        await no_serious_violations(manager)
        await manager.goto(f"{dashboard}/checks?la=808")
        await manager.get_by_role(
            "heading", name="How long each partner takes to answer"
        ).wait_for()
        times = manager.locator("tr[data-times]")
        assert await times.count() == 2  # police and education, amber
        await no_serious_violations(manager)
        await browser.close()
