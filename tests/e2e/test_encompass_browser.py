"""Operation Encompass in headless Chromium, on the real broker: the school's key adult reads
the notice at the gateway's ``/encompass`` page and acknowledges it without JavaScript (each
page axe-clean), the police force hears it was acknowledged; the duty manager's Encompass page
lists the notice with no school found and records what a person did about it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD
from test_encompass import POLICE, recent_notice, send_notices
from test_referral_forms_browser import no_serious_violations

from conftest import read_topics, serving
from factories import managers_file
from frontdoor.broker.local import free_port
from schemas.encompass import notice_ref_for
from schemas.status import StatusUpdate

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def test_the_key_adult_acknowledges_and_the_council_records_what_it_did(  # noqa: PLR0915 - one journey
    topics_ready, services, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed (make setup installs it)")
        pytest.skip("Chromium is not installed")
    from playwright.async_api import async_playwright  # noqa: PLC0415

    for name in ("intake", "triage", "notifier"):
        services.start(name)
    dashboard_port = free_port()
    services.start_dashboard(
        dashboard_port,
        FRONTDOOR_DASHBOARD_MANAGERS_FILE=str(
            managers_file(tmp_path, "sam.duty", PASSWORD, ["808"])
        ),
    )
    gateway = await services.start_gateway(tmp_path / "keys.yaml")
    dashboard = f"http://127.0.0.1:{dashboard_port}"
    await serving(dashboard)
    child = {"given_name": "Rosalind", "family_name": "Ashby", "date_of_birth": "2016-02-11"}
    await send_notices(
        topics_ready,
        recent_notice("ENC-B-1", child=child),
        recent_notice("ENC-B-2", school_urn=None, child=child | {"given_name": "Perdita"}),
    )

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with_js = await browser.new_page()
        await sign_in(with_js, gateway)
        async with asyncio.timeout(60):
            while True:
                await with_js.goto(f"{gateway}/encompass")
                if await with_js.locator("tr[data-notice]").count():
                    break
                await asyncio.sleep(0.5)
        assert "Rosalind Ashby" in await with_js.locator("table").inner_text()
        assert "Perdita" not in await with_js.content()  # the council's, not the school's
        await no_serious_violations(with_js)

        page = await (await browser.new_context(java_script_enabled=False)).new_page()
        await sign_in(page, gateway)
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
        await manager.goto(f"{dashboard}/login")
        await manager.get_by_label("Username").fill("sam.duty")
        await manager.get_by_label("Password").fill(PASSWORD)
        await manager.get_by_role("button", name="Sign in").click()
        await manager.wait_for_url(f"{dashboard}/queues")
        await manager.get_by_role("link", name="Encompass").click()
        row = manager.locator("table.encompass-queue tr[data-notice]", has_text="Perdita")
        await row.wait_for(timeout=30_000)
        assert "No school found" in await row.inner_text()
        assert "Rosalind" not in await manager.locator("table.encompass-queue").inner_text()
        week = manager.locator("table.encompass-weeks tbody tr").first
        assert (await week.locator("td").all_inner_texts())[1:3] == ["2", "1"]  # 2 in, 1 delivered
        await no_serious_violations(manager)

        quiet = await (await browser.new_context(java_script_enabled=False)).new_page()
        await quiet.goto(f"{dashboard}/login")
        await quiet.get_by_label("Username").fill("sam.duty")
        await quiet.get_by_label("Password").fill(PASSWORD)
        await quiet.get_by_role("button", name="Sign in").click()
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


async def sign_in(page, gateway: str) -> None:
    await page.goto(f"{gateway}/refer/sign-in")
    await page.get_by_label("Username").fill("dsl.riverside")
    await page.get_by_label("Password").fill("frontdoor-demo")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{gateway}/refer")
