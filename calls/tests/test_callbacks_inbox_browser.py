"""The advisor's morning in headless Chromium, served as production serves it (the page server
of the call-page browser tests, DEBUG off): the home page shows today's appointments and how many
callbacks wait; the inbox lists them urgent first; the transcript is one click away; "Called
back" with a note takes one off the list and the count in the header drops, in the admin too.
The 404 and 403 pages keep the layout. Every page is screenshotted."""

from datetime import datetime, time, timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from calls.models import CallbackRequest
from scheduling.models import Appointment

from . import test_live_browser as live
from .page_records import add_conversation, make_call

# The page server, the browser and the staff groups of the call-page browser tests.
collected_static, page_server, browser, staff_groups = (
    live.collected_static,
    live.page_server,
    live.browser,
    live.staff_groups,
)
screenshot, signed_in_page, STEP_TIMEOUT_MS = live.screenshot, live.signed_in_page, live.STEP_TIMEOUT_MS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def the_morning(shop, customer, other_customer, oil_change, brake_job):
    """Two appointments today, a call with its transcript that left an urgent message, and a routine one."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    for who, service, hour in ((customer, brake_job, 9), (other_customer, oil_change, 14)):
        start = datetime.combine(today, time(hour), tzinfo=tz)
        Appointment.objects.create(customer=who, service_type=service, start=start, end=start + service.duration)
    call = add_conversation(make_call(customer=customer, started_at=timezone.now() - timedelta(minutes=40)))
    urgent = CallbackRequest.objects.create(
        call=call,
        customer=customer,
        name="Dana Whitfield",
        phone="+13125550147",
        urgency=CallbackRequest.Urgency.URGENT,
        reason="Brake pedal went soft on the way home",
        created_at=timezone.now() - timedelta(minutes=39),
    )
    CallbackRequest.objects.create(
        name="Marcus Oyelaran",
        phone="+17735550199",
        reason="Wants a quote for tires",
        created_at=timezone.now() - timedelta(minutes=5),
    )
    return call, urgent


async def test_an_advisor_calls_back_the_urgent_customer_from_the_inbox(
    page_server, browser, service_advisor, the_morning, signed_in, tmp_path
):
    from playwright.async_api import expect

    call, urgent = the_morning
    page = await signed_in_page(browser, page_server, signed_in, service_advisor)

    await page.goto(page_server + "/")
    count = page.locator("header #open-callbacks")
    await expect(count).to_have_attribute("data-count", "2", timeout=STEP_TIMEOUT_MS)
    appointments = page.locator("table.appointments tbody tr")
    await expect(appointments).to_have_count(2)
    await expect(appointments.first).to_contain_text("9:00 AM")
    await expect(appointments.first).to_contain_text("Dana Whitfield")
    await expect(appointments.last).to_contain_text("Marcus Oyelaran")
    await expect(page.locator("#callbacks-waiting")).to_have_text("2")
    await expect(page.get_by_text("No calls in progress.")).to_be_visible()
    await screenshot(page, tmp_path / "home.png")

    await page.get_by_role("link", name="Callbacks inbox").click()
    await expect(page.locator("h1")).to_have_text("Callbacks to make")
    rows = page.locator("li.callback")
    await expect(rows).to_have_count(2)
    first = rows.first
    await expect(first).to_contain_text("Dana Whitfield")
    await expect(first).to_contain_text("(312) 555-0147")
    await expect(first).to_contain_text("Urgent")
    await expect(first).to_contain_text("Brake pedal went soft on the way home")
    await expect(rows.last).to_contain_text("Marcus Oyelaran")
    await screenshot(page, tmp_path / "inbox.png")

    await first.get_by_role("link", name="Read the call's transcript").click()
    await expect(page.locator("h1")).to_contain_text("Call from (312) 555-0147")
    await expect(page.locator("ol.transcript")).to_contain_text("When can you fit me in for an oil change?")
    await screenshot(page, tmp_path / "transcript.png")
    await page.go_back()

    dana = page.locator(f'li.callback[data-callback="{urgent.pk}"]')
    await dana.get_by_label("Note").fill("Told her not to drive it; tow booked for 3 PM.")
    await dana.get_by_role("button", name="Called back").click()
    await expect(page.locator(".flash")).to_contain_text("Dana Whitfield was called back", timeout=STEP_TIMEOUT_MS)
    await expect(page.locator("li.callback")).to_have_count(1)
    await expect(page.locator("li.callback")).to_contain_text("Marcus Oyelaran")
    await expect(count).to_have_attribute("data-count", "1")
    await screenshot(page, tmp_path / "inbox-after.png")

    await page.get_by_role("link", name="Done", exact=True).click()
    done = page.locator("li.callback")
    await expect(done).to_have_count(1)
    await expect(done).to_contain_text("Told her not to drive it; tow booked for 3 PM.")
    await expect(done).to_contain_text("avery.advisor")
    await screenshot(page, tmp_path / "inbox-done.png")

    await page.goto(page_server + "/")
    await expect(page.locator("#callbacks-waiting")).to_have_text("1")
    await screenshot(page, tmp_path / "home-after.png")

    await page.goto(page_server + "/admin/")
    await expect(page.locator("#user-tools #open-callbacks")).to_have_attribute("data-count", "1")
    await screenshot(page, tmp_path / "admin.png")

    handled = await database_sync_to_async(CallbackRequest.objects.select_related("handled_by").get)(pk=urgent.pk)
    assert handled.handled_by == service_advisor and handled.handled_at is not None
    assert handled.handled_note == "Told her not to drive it; tow booked for 3 PM."


async def test_the_error_pages_keep_the_layout_and_lead_home(
    page_server, browser, service_advisor, signed_in, tmp_path
):
    from playwright.async_api import expect

    page = await signed_in_page(browser, page_server, signed_in, service_advisor)
    response = await page.goto(page_server + "/calls/CAnothing-here/")
    assert response.status == 404
    await expect(page.locator("h1")).to_have_text("Page not found")
    await expect(page.locator("header #open-callbacks")).to_have_attribute("data-count", "0")
    await screenshot(page, tmp_path / "404.png")

    response = await page.goto(page_server + "/calls/dashboard/")
    assert response.status == 403
    await expect(page.locator("main")).to_contain_text("The dashboard is for managers.")
    await screenshot(page, tmp_path / "403.png")
    await page.get_by_role("link", name="Go to the home page").click()
    await expect(page.locator("h1")).to_contain_text("Today at the shop")


async def test_a_visitor_is_sent_to_the_sign_in_from_home(page_server, browser):
    from playwright.async_api import expect

    context = await browser.new_context(viewport=live.VIEWPORT)
    page = await context.new_page()
    await page.goto(page_server + "/")
    assert page.url.startswith(page_server + "/admin/login/")
    await expect(page.locator("#id_username")).to_be_visible()


async def test_home_and_inbox_fit_a_phone_screen(
    page_server, browser, service_advisor, the_morning, signed_in, tmp_path
):
    page = await signed_in_page(
        browser, page_server, signed_in, service_advisor, viewport={"width": 390, "height": 844}
    )
    for path, name in (("/", "home-phone.png"), ("/calls/callbacks/", "inbox-phone.png")):
        await page.goto(page_server + path)
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
        await screenshot(page, tmp_path / name)
