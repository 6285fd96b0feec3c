"""The referral forms in headless Chromium: a whole referral made, axe-core on every page.

No page may have a serious or critical axe violation; with JavaScript the threshold
guidance follows the ticks without a page load. The public form is also used without
JavaScript and by keyboard alone, each with a test of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium

from conftest import screenshot

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
async def gateway_url(topics_ready, services, tmp_path: Path) -> str:  # noqa: ARG001 - topics first
    needs_chromium()
    return await services.start_gateway(tmp_path / "keys.yaml")


async def no_serious_violations(page) -> None:
    from axe_playwright_python.async_playwright import Axe  # noqa: PLC0415

    results = await Axe().run(page)
    serious = [
        (v["id"], v["help"])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == [], f"{page.url}: {serious}"


async def test_a_referral_through_every_page_with_axe_on_each(gateway_url: str) -> None:  # noqa: PLR0915 - one journey
    from playwright.async_api import async_playwright  # noqa: PLC0415

    base = gateway_url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(f"{base}/refer/public")
        await no_serious_violations(page)
        await page.get_by_role("button", name="Send").click()  # nothing answered
        await page.wait_for_selector("[data-error-summary]")
        focused = await page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
        assert focused  # the error summary takes focus
        await no_serious_violations(page)

        await page.goto(f"{base}/refer/sign-in")
        await no_serious_violations(page)
        await page.get_by_label("Username").fill("dsl.riverside")
        await page.get_by_label("Password").fill("frontdoor-demo")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{base}/refer")
        await no_serious_violations(page)
        await page.get_by_role("button", name="Start a new referral").click()
        await page.wait_for_url(f"{base}/refer/step/child")
        await no_serious_violations(page)
        await page.get_by_label("First name").fill("Amara")
        await page.get_by_label("Last name").fill("Okoye")
        await page.get_by_label("Date of birth", exact=True).fill("2016-05-04")
        await page.get_by_label("Female").check()
        await page.get_by_role("button", name="Save and continue").click()
        await page.wait_for_url(f"{base}/refer/step/concerns")
        await no_serious_violations(page)
        guidance = page.locator("#guidance")
        await page.get_by_label("Emotional abuse").check()
        await guidance.get_by_text("Level 3: complex").wait_for()  # live, no page load
        await page.get_by_label("Sexual abuse by an adult").check()
        await guidance.get_by_text("Level 4: acute").wait_for()
        await screenshot(page, "referral-form")
        await page.get_by_role("button", name="Save and continue").click()
        await page.wait_for_url(f"{base}/refer/step/risk")
        await no_serious_violations(page)
        await page.locator("#immediate_risk-no").check()
        await page.locator("#injury_observed-no").check()
        await page.get_by_role("button", name="Save and continue").click()
        await page.wait_for_url(f"{base}/refer/step/consent")
        await no_serious_violations(page)
        await page.get_by_label("Yes, they consented").check()
        await page.get_by_role("button", name="Save and continue").click()
        await page.wait_for_url(f"{base}/refer/step/summary")
        await no_serious_violations(page)
        await page.get_by_label("What happened?").fill("Disclosed at school this morning.")
        await page.get_by_role("button", name="Save and continue").click()
        await page.wait_for_url(f"{base}/refer/check")
        await no_serious_violations(page)
        await page.get_by_role("button", name="Send referral").click()
        await page.wait_for_url(f"{base}/refer/sent/*")
        assert "Referral sent" in await page.content()
        await no_serious_violations(page)
        await browser.close()


async def test_the_public_form_without_javascript_and_the_pages_after_errors_with_axe(
    gateway_url: str,
) -> None:
    """No JavaScript at all: the public form still sends and thanks; a wrong sign-in and a
    step's error state pass axe too (the forms' docstring promises all three)."""
    from playwright.async_api import async_playwright  # noqa: PLC0415

    base = gateway_url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        plain = await (await browser.new_context(java_script_enabled=False)).new_page()
        await plain.goto(f"{base}/refer/public")
        await plain.locator("#local_authority").select_option("808")
        await plain.locator("input[name=relationship][value='1B']").check()
        await plain.locator("input[name=given_name]").fill("Ben")
        await plain.locator("input[name=family_name]").fill("Brown")
        await plain.locator("input[name=age]").fill("6")
        await plain.locator("input[name=factors][value='16A']").check()
        await plain.locator("textarea[name=summary]").fill("Often outside alone late at night.")
        await plain.get_by_role("button", name="Send").click()
        await plain.wait_for_url(f"{base}/refer/public/sent/*")
        assert "Thank you" in await plain.content()

        page = await browser.new_page()  # axe itself runs as JavaScript: a page with it
        await page.goto(plain.url)
        await no_serious_violations(page)
        await page.goto(f"{base}/refer/sign-in")
        await page.get_by_label("Username").fill("dsl.riverside")
        await page.get_by_label("Password").fill("not the password")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_selector("[data-error-summary]")
        await no_serious_violations(page)
        await page.get_by_label("Password").fill("frontdoor-demo")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{base}/refer")
        await page.get_by_role("button", name="Start a new referral").click()
        await page.wait_for_url(f"{base}/refer/step/child")
        await page.get_by_role("button", name="Save and continue").click()  # nothing answered
        await page.wait_for_selector("[data-error-summary]")
        await no_serious_violations(page)
        await browser.close()


async def tab_to(page, selector: str, presses: int = 80) -> None:
    """Press Tab until ``selector`` has focus (a keyboard user's only way), then check it shows."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            outline = await page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, s.outlineColor, s.backgroundColor]; }"
            )
            style, colour, background = outline
            yellow = "rgb(255, 221, 0)"
            shown = (style != "none" and colour == yellow) or background == yellow
            assert shown, f"{selector} has focus but does not show it: {outline}"
            return
    pytest.fail(f"{selector} is not reached by Tab within {presses} presses")


async def test_the_public_form_by_keyboard_alone(gateway_url: str) -> None:
    """No mouse: Tab reaches every control in order with a visible focus, Space ticks and
    chooses, typing fills, Enter sends; the error summary's links take the keyboard to the
    field in error."""
    from playwright.async_api import async_playwright  # noqa: PLC0415

    base = gateway_url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        await page.goto(f"{base}/refer/public")
        await tab_to(page, "a.skip")  # the first stop: skip the banner
        await page.keyboard.press("Enter")
        await tab_to(page, "#local_authority")
        await page.keyboard.type("Stockton")
        assert await page.locator("#local_authority").input_value() == "808"
        await tab_to(page, "input[name=relationship]")
        await page.keyboard.press("Space")
        assert await page.locator("input[name=relationship]:checked").count() == 1
        await tab_to(page, "input[name=given_name]")
        await page.keyboard.type("Ben")
        await tab_to(page, "input[name=family_name]")
        await page.keyboard.type("Brown")
        await tab_to(page, "input[name=age]")
        await page.keyboard.type("6")
        await tab_to(page, "input[name=factors][value='16A']")
        await page.keyboard.press("Space")
        assert await page.locator("input[name=factors][value='16A']").is_checked()
        await page.locator("#guidance").get_by_text("Level 3: complex").wait_for()
        await tab_to(page, "textarea[name=summary]")
        await page.keyboard.type("Often outside alone late at night.")
        await tab_to(page, "button.button")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{base}/refer/public/sent/*")
        assert "Thank you" in await page.content()

        await page.goto(f"{base}/refer/public")
        await tab_to(page, "button.button")
        await page.keyboard.press("Enter")  # nothing answered
        await page.wait_for_selector("[data-error-summary]")
        assert await page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
        await tab_to(page, "[data-error-summary] a", presses=1)  # the first error is next
        target = (await page.evaluate("document.activeElement.getAttribute('href')")).lstrip("#")
        await page.keyboard.press("Enter")
        assert target
        assert await page.evaluate("document.activeElement.id") == target  # the field, focused
        await browser.close()
