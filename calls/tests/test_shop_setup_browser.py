"""A manager sets the shop's week and services in headless Chromium (the page server of the
call-page browser tests, DEBUG off): Saturday changed in the grid is saved and is what the agent
says; closing before opening is refused on Saturday's row while the other days keep what was
typed; a service's price range and whether customers may wait change, and a new one is added on
the same screen; an FAQ entry is added and approved. An advisor gets 403. Every page is
screenshotted."""

from datetime import time

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from scheduling import shop_info
from scheduling.models import FaqAnswer, OpeningHours, ServiceType

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


def saved_hours():
    return {row.weekday: (row.opens, row.closes, row.lunch_start, row.lunch_end) for row in OpeningHours.objects.all()}


def hours_callers_hear():
    return shop_info.hours_answer(timezone.localtime())


async def test_a_manager_changes_saturday_in_the_grid_and_callers_hear_it(
    page_server, browser, manager, shop, signed_in, tmp_path
):
    from playwright.async_api import expect

    page = await signed_in_page(browser, page_server, signed_in, manager)
    await page.goto(page_server + "/")
    await page.get_by_role("link", name="Hours and services", exact=True).click()
    await expect(page.locator("h1")).to_have_text("Hours and services")
    saturday = page.locator('tr[data-weekday="Saturday"]')
    await expect(saturday.get_by_label("Saturday opens")).to_have_value("8:00 AM")
    await expect(page.get_by_label("Sunday closed")).to_be_checked()
    await screenshot(page, tmp_path / "hours-grid.png")

    # Closing before opening: refused on Saturday's row; Monday's change is kept in the grid, unsaved.
    await page.get_by_label("Monday opens").fill("7:30 AM")
    await saturday.get_by_label("Saturday opens").fill("3:00 PM")
    await saturday.get_by_label("Saturday closes").fill("11:00 AM")
    await page.get_by_role("button", name="Save hours").click()
    await expect(saturday.locator(".error")).to_contain_text("The shop must open before it closes.")
    await expect(page.get_by_label("Monday opens")).to_have_value("7:30 AM")
    await expect(page.get_by_label("Tuesday opens")).to_have_value("8:00 AM")
    await screenshot(page, tmp_path / "hours-refused.png")
    hours = await database_sync_to_async(saved_hours)()
    assert hours[0][0] == time(8) and hours[5] == (time(8), time(12), None, None)

    await saturday.get_by_label("Saturday opens").fill("9:00 AM")
    await saturday.get_by_label("Saturday closes").fill("2:00 PM")
    await page.get_by_role("button", name="Save hours").click()
    await expect(page.locator(".flash")).to_contain_text("The opening hours are saved", timeout=STEP_TIMEOUT_MS)
    await expect(page.get_by_label("Saturday closes")).to_have_value("2:00 PM")
    await screenshot(page, tmp_path / "hours-saved.png")
    hours = await database_sync_to_async(saved_hours)()
    assert hours[5] == (time(9), time(14), None, None)
    assert hours[0] == (time(7, 30), time(17), time(12), time(13))
    said = await database_sync_to_async(hours_callers_hear)()
    assert "and Saturday 9 AM to 2 PM. We're closed on Sundays." in said, said


async def test_a_manager_edits_and_adds_services_on_one_screen(
    page_server, browser, manager, shop, oil_change, signed_in, tmp_path
):
    from playwright.async_api import expect

    page = await signed_in_page(browser, page_server, signed_in, manager)
    await page.goto(page_server + "/calls/shop/")
    oil = page.locator('tr.service[data-service="Oil change"]')
    await oil.get_by_label("Oil change: price to").fill("20")
    await page.get_by_role("button", name="Save services").click()
    await expect(oil.locator(".error")).to_contain_text("The high end of the price range is below the low end.")
    await screenshot(page, tmp_path / "services-refused.png")

    await oil.get_by_label("Oil change: price to").fill("99")
    await oil.get_by_label("Oil change: customers may wait").uncheck()
    new = page.locator('tr.service[data-service="new"]')
    await new.get_by_label("New service: service").fill("Tire rotation")
    await new.get_by_label("New service: minutes").fill("30")
    await new.get_by_label("New service: price from").fill("25")
    await new.get_by_label("New service: price to").fill("40")
    await page.get_by_role("button", name="Save services").click()
    await expect(page.locator(".flash")).to_contain_text("The services are saved", timeout=STEP_TIMEOUT_MS)
    await expect(page.locator('tr.service[data-service="Tire rotation"]')).to_be_visible()
    await screenshot(page, tmp_path / "services-saved.png")

    services = await database_sync_to_async(lambda: {s["service"]: s for s in shop_info.services_overview()})()
    assert services["Oil change"]["price_estimate"] == "$49 to $99" and services["Oil change"]["wait_at_shop"] is False
    assert services["Tire rotation"]["price_estimate"] == "$25 to $40"
    assert await database_sync_to_async(ServiceType.objects.count)() == 2


async def test_a_manager_adds_an_faq_entry_that_callers_hear_once_approved(
    page_server, browser, manager, shop, signed_in, tmp_path
):
    from playwright.async_api import expect

    page = await signed_in_page(browser, page_server, signed_in, manager)
    await page.goto(page_server + "/")
    await page.get_by_role("link", name="FAQ", exact=True).click()
    await page.get_by_label("Question").fill("Do you offer a shuttle?")
    await page.get_by_label("Answer").fill("Yes, within three miles.")
    await page.get_by_role("button", name="Add entry").click()
    entry = page.locator("li.faq-entry", has_text="Do you offer a shuttle?")
    await expect(entry).to_contain_text("Not approved", timeout=STEP_TIMEOUT_MS)
    answer = await database_sync_to_async(shop_info.faq_answer)("other", "is there a shuttle to downtown?")
    assert answer == (None, None)

    await entry.get_by_role("link", name="Edit Do you offer a shuttle?").click()
    await page.get_by_label("Approved").check()
    await page.get_by_role("button", name="Save entry").click()
    await expect(entry).to_contain_text("Approved", timeout=STEP_TIMEOUT_MS)
    await expect(entry).not_to_contain_text("Not approved")
    await screenshot(page, tmp_path / "faq.png")
    answer = await database_sync_to_async(shop_info.faq_answer)("other", "is there a shuttle to downtown?")
    assert answer[0] == "Yes, within three miles."
    assert await database_sync_to_async(FaqAnswer.objects.filter(approved=True, question__icontains="shuttle").exists)()


async def test_an_advisor_gets_403_and_no_link(page_server, browser, service_advisor, shop, signed_in):
    from playwright.async_api import expect

    page = await signed_in_page(browser, page_server, signed_in, service_advisor)
    await page.goto(page_server + "/")
    await expect(page.get_by_role("link", name="Hours and services")).to_have_count(0)
    for path in ("/calls/shop/", "/calls/faq/"):
        response = await page.goto(page_server + path)
        assert response.status == 403
    await expect(page.locator("main")).to_contain_text("The shop page is for managers.")
