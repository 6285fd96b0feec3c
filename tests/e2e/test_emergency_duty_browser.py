"""Out of hours, end to end: a red referral reaches the emergency duty team's queue on the
dashboard (real broker, real services, headless Chromium, axe), its referrer is told EDT has
it, and EDT hands it to the day team with a note, recorded with its actor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from test_dashboard_browser import CHROMIUM, PASSWORD, browser, needs_chromium, publish  # noqa: F401 - fixture
from test_referral_forms_browser import no_serious_violations

from conftest import serving
from domain.policy import DEFAULT_POLICY
from domain.working_time import UK_TIME
from factories import recently, referral
from frontdoor.broker.local import free_port
from runtime.web.passwords import hash_password

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def closed_today(tmp_path: Path) -> Path:
    """808's policy with today and tomorrow closure days: whenever the test runs, it is out
    of office hours there."""
    today = datetime.now(UK_TIME).date()
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document |= {
        "version": "stockton-closed-today",
        "calendar": {"closure_days": [today.isoformat(), (today + timedelta(days=1)).isoformat()]},
    }
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "808.yaml").write_text(yaml.safe_dump(document))
    return folder


@pytest.fixture
async def dashboard(topics_ready, services, tmp_path: Path, closed_today: Path):  # noqa: ARG001
    needs_chromium()
    accounts = [
        {"username": "sam.duty", "role": "duty"},
        {"username": "edt.night", "role": "edt"},
    ]
    hashed = hash_password(PASSWORD)
    managers = tmp_path / "managers.yaml"
    managers.write_text(
        yaml.safe_dump(
            {
                "managers": [
                    a
                    | {"name": a["username"], "password_hash": hashed, "local_authorities": ["808"]}
                    for a in accounts
                ]
            }
        )
    )
    env = {"FRONTDOOR_POLICY_DIR": str(closed_today)}
    for name in ("intake", "triage", "notifier"):
        services.start(name, **env)
    port = free_port()
    services.start_dashboard(port, FRONTDOOR_DASHBOARD_MANAGERS_FILE=str(managers), **env)
    base = f"http://127.0.0.1:{port}"
    await serving(base)
    return base


async def signed_in(browser, base: str, username: str):  # noqa: F811 - the fixture's value
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{base}/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/queues")
    return page


async def test_a_red_referral_out_of_hours_reaches_the_emergency_duty_team(
    topics_ready,
    dashboard: str,
    browser,  # noqa: F811 - the fixture
) -> None:
    base = dashboard
    received = datetime.now(UTC)
    document = referral(
        submitted_at=recently(),
        child=referral()["child"] | {"given_name": "Ottilie"},
        risk={"immediate_risk": True, "injury_observed": False},  # L4-IMMEDIATE: red
    )
    await publish(topics_ready, document)

    edt = await signed_in(browser, base, "edt.night")
    queue = edt.locator("section[data-queue=emergency-duty]")
    row = queue.locator("tr", has_text="Ottilie Smith")
    await row.wait_for(timeout=45_000)
    assert "RED" in await row.inner_text()
    assert await edt.locator("section[data-queue=enquiry-assessment]").count() == 0  # EDT only
    await no_serious_violations(edt)

    await row.get_by_role("link", name="Ottilie Smith").click()
    told = edt.locator(".updates li", has_text="emergency duty team")
    await told.wait_for(timeout=30_000)  # the referrer was told who has it, and by when
    due = received + timedelta(hours=4)
    assert f"{due.astimezone(UK_TIME):%H}:" in await told.inner_text()  # 4 hours, not Monday
    await no_serious_violations(edt)
    handover = edt.locator("form[aria-labelledby=a-handover]")
    await handover.get_by_label("What the emergency duty team did (required)").fill(
        "Police welfare check done; child staying with grandmother overnight."
    )
    await handover.get_by_role("button", name="Hand to the day team").click()
    entry = edt.locator("#history li[data-kind=handed-to-day-team]")
    await entry.wait_for(timeout=30_000)
    assert "edt.night" in await entry.inner_text()
    assert "grandmother" in await entry.inner_text()

    day = await signed_in(browser, base, "sam.duty")
    on_day_queue = day.locator("section[data-queue=enquiry-assessment] tr", has_text="Ottilie")
    await on_day_queue.wait_for(timeout=30_000)
    assert (
        await day.locator("section[data-queue=emergency-duty] tr", has_text="Ottilie").count() == 0
    )
