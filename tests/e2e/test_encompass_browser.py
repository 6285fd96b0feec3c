"""Operation Encompass in headless Chromium, on the real broker: the school's key adult reads
the notice at the gateway's ``/encompass`` page and acknowledges it without JavaScript (each
page axe-clean), the police force hears it was acknowledged; the duty manager's Encompass page
lists the notice with no school found and records what a person did about it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, sign_in, whole_stack
from test_encompass_kafka import POLICE, recent_notice, send_notices
from test_partner_checks_browser import sign_in_at_gateway
from test_referral_forms_browser import no_serious_violations

from conftest import read_topics, screenshot
from schemas.encompass import notice_ref_for
from schemas.status import StatusUpdate

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_the_key_adult_acknowledges_and_the_council_records_what_it_did(
    topics_ready, services, tmp_path: Path
) -> None:
    needs_chromium()
    from playwright.async_api import async_playwright  # noqa: PLC0415

    dashboard, gateway = await whole_stack(services, tmp_path, tmp_path / "keys.yaml")
    child = {"given_name": "Rosalind", "family_name": "Ashby", "date_of_birth": "2016-02-11"}
    await send_notices(
        topics_ready,
        recent_notice("ENC-B-1", child=child),
        recent_notice("ENC-B-2", school_urn=None, child=child | {"given_name": "Perdita"}),
    )

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with_js = await browser.new_page()
        await sign_in_at_gateway(with_js, gateway, "dsl.riverside")
        async with asyncio.timeout(60):
            while True:
                await with_js.goto(f"{gateway}/encompass")
                if await with_js.locator("tr[data-notice]").count():
                    break
                await asyncio.sleep(0.5)
        assert "Rosalind Ashby" in await with_js.locator("table").inner_text()
        assert "Perdita" not in await with_js.content()  # the council's, not the school's
        await no_serious_violations(with_js)
        await screenshot(with_js, "encompass")

        page = await (await browser.new_context(java_script_enabled=False)).new_page()
        await sign_in_at_gateway(page, gateway, "dsl.riverside")
        await page.goto(f"{gateway}/encompass")
        await page.get_by_role("button", name="Acknowledge the notice about Rosalind Ashby").click()
        await page.wait_for_url(f"{gateway}/encompass?acknowledged=*")
        assert "Acknowledged" in await page.locator("[role=status]").inner_text()
        await no_serious_violations(with_js)

        delivered = notice_ref_for(POLICE, "ENC-B-1", "808")
        told = await read_topics(topics_ready, [topics_ready.topics.status(POLICE)], count=5)
        assert [
            u.status.value
            for u in map(StatusUpdate.model_validate_json, (r.value for r in told))
            if u.contact_id == delivered
        ] == ["received", "delivered", "acknowledged"]

        manager = await browser.new_page()
        await sign_in(manager, dashboard)
        await manager.get_by_role("link", name="Encompass").click()
        row = manager.locator("table.encompass-queue tr[data-notice]", has_text="Perdita")
        await row.wait_for(timeout=30_000)
        assert "No school found" in await row.inner_text()
        assert "Rosalind" not in await manager.locator("table.encompass-queue").inner_text()
        week = manager.locator("table.encompass-weeks tbody tr").first
        assert (await week.locator("td").all_inner_texts())[1:3] == ["2", "1"]  # 2 in, 1 delivered
        await no_serious_violations(manager)

        quiet = await (await browser.new_context(java_script_enabled=False)).new_page()
        await sign_in(quiet, dashboard)
        await quiet.goto(f"{dashboard}/encompass?la=808")
        await quiet.get_by_label("What you did about Perdita Ashby").fill(
            "Perdita is home educated: telephoned the family's early help worker."
        )
        await quiet.get_by_role("button", name="Record what you did about Perdita Ashby").click()
        await quiet.wait_for_url(f"{dashboard}/encompass?la=808&sent=*")
        async with asyncio.timeout(60):
            while "home educated" not in await quiet.locator("table.encompass-queue").inner_text():
                await asyncio.sleep(0.5)
                await quiet.reload()
        await browser.close()
