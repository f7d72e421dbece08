"""A manager invites a new service advisor from the Staff page in headless Chromium (the page
server of the call-page browser tests, DEBUG off); the advisor opens the link in a browser of
their own, chooses a password, signs in and lands on the staff home page; the manager then sees
them signed in. Every page is screenshotted."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from . import test_live_browser as live

# The page server, the browser and the staff groups of the call-page browser tests.
collected_static, page_server, browser, staff_groups = (
    live.collected_static,
    live.page_server,
    live.browser,
    live.staff_groups,
)
screenshot, signed_in_page, STEP_TIMEOUT_MS = live.screenshot, live.signed_in_page, live.STEP_TIMEOUT_MS

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "torque-wrench-42-ratchet"


async def test_a_manager_invites_an_advisor_who_sets_a_password_and_signs_in(
    page_server, browser, manager, signed_in, tmp_path
):
    from playwright.async_api import expect

    page = await signed_in_page(browser, page_server, signed_in, manager)
    await page.goto(page_server + "/")
    await page.get_by_role("link", name="Staff", exact=True).click()
    await expect(page.locator("h1")).to_have_text("Staff")
    await expect(page.locator('tr[data-username="morgan.manager"]')).to_contain_text("You")
    await page.get_by_label("Name", exact=True).fill("Riley Chen")
    await page.get_by_label("E-mail").fill("riley@ottos.example")
    await page.get_by_label("Role", exact=True).select_option(label="Service advisor")
    await screenshot(page, tmp_path / "staff-invite-form.png")
    await page.get_by_role("button", name="Invite").click()

    invited = page.locator("section.invited")
    await expect(invited).to_contain_text("riley.chen is invited", timeout=STEP_TIMEOUT_MS)
    await expect(invited).to_contain_text("The link was e-mailed to them.")  # the console backend
    row = page.locator('tr[data-username="riley.chen"]')
    await expect(row).to_contain_text("Service advisor")
    await expect(row).to_contain_text("Invited")
    await expect(row).to_contain_text("Never")
    link = await page.locator("#invite-link").input_value()
    assert link.startswith(page_server + "/calls/staff/set-password/")
    await screenshot(page, tmp_path / "staff-invited.png")

    newcomer = await (await browser.new_context(viewport=live.VIEWPORT)).new_page()
    await newcomer.goto(link)
    await expect(newcomer.locator("h1")).to_have_text("Choose your password")
    assert "/set-password/" in newcomer.url and link not in newcomer.url, "the token left the address bar"
    await expect(newcomer.locator("main")).to_contain_text("riley.chen")
    await newcomer.get_by_label("New password", exact=True).fill(PASSWORD)
    await newcomer.get_by_label("New password confirmation").fill(PASSWORD)
    await screenshot(newcomer, tmp_path / "set-password.png")
    await newcomer.get_by_role("button", name="Set my password").click()

    await expect(newcomer.locator(".messagelist")).to_contain_text(
        "Your password is set: sign in as riley.chen.", timeout=STEP_TIMEOUT_MS
    )
    await screenshot(newcomer, tmp_path / "sign-in.png")
    await newcomer.locator("#id_username").fill("riley.chen")
    await newcomer.locator("#id_password").fill(PASSWORD)
    await newcomer.locator("input[type=submit]").click()
    await expect(newcomer.locator("h1")).to_contain_text("Today at the shop", timeout=STEP_TIMEOUT_MS)
    await expect(newcomer.locator("header .who")).to_have_text("Riley Chen")
    await expect(newcomer.locator("header #open-callbacks")).to_be_visible()
    assert await newcomer.get_by_role("link", name="Staff", exact=True).count() == 0
    await screenshot(newcomer, tmp_path / "advisor-home.png")

    used = await newcomer.context.new_page()
    await used.goto(link)
    await expect(used.locator("main")).to_contain_text("This link no longer works")

    await page.goto(page_server + "/calls/staff/")
    await expect(row).not_to_contain_text("Invited")
    await expect(row).not_to_contain_text("Never")
    await screenshot(page, tmp_path / "staff-after.png")

    await page.get_by_role("link", name="Dashboard", exact=True).click()
    await expect(page.locator("section.call-reasons")).to_contain_text("Why people called")
    await expect(page.locator("section.evaluation")).to_contain_text("Never run.")
    await screenshot(page, tmp_path / "dashboard.png")

    riley = await database_sync_to_async(User.objects.get)(username="riley.chen")
    assert riley.is_active and riley.is_staff and riley.last_login is not None


async def test_the_staff_page_fits_a_phone_screen(page_server, browser, manager, service_advisor, signed_in, tmp_path):
    page = await signed_in_page(browser, page_server, signed_in, manager, viewport={"width": 390, "height": 844})
    await page.goto(page_server + "/calls/staff/")
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the staff page scrolls sideways on a phone by {overflow}px"
    await screenshot(page, tmp_path / "staff-phone.png")
