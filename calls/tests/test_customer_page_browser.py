"""An advisor opens a customer in headless Chromium, served as production serves it (the page server
of the call-page browser tests): the customer's page shows their number as people write it, their
calls, their callback request, their appointments with what last happened to each (one moved by the
phone agent, in a sentence that links the call) and their repair order; one click on "transcript"
opens the call. The appointment and customer lists fit a 1280 px screen, a day's appointments
earliest first. Every page is screenshotted."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from calls.models import Call, CallbackRequest
from crm.models import Vehicle
from scheduling.actions import Actor, book_appointment, reschedule_appointment
from scheduling.models import RepairOrder

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

ADVISOR_CAN = {
    "crm": ["view_customer", "change_customer", "view_vehicle", "change_vehicle"],
    "scheduling": ["view_appointment", "change_appointment", "view_repairorder"],
    "calls": ["view_call", "view_callbackrequest", "change_callbackrequest"],
}
# Neither the page nor a list's table (the admin scrolls a too-wide one inside its box) is wider than the screen.
FITS = """() => [document.documentElement, ...document.querySelectorAll('#changelist .results, .latest-rows .wrapper')]
                 .every(box => box.scrollWidth <= box.clientWidth + 1)"""


@pytest.fixture
def advisor(staff_groups, service_advisor):
    """The test database is emptied between these tests, the migrations' grants included: give them back."""
    from django.contrib.auth.models import Group, Permission

    advisors = Group.objects.get(name="Service advisors")
    for app, codenames in ADVISOR_CAN.items():
        advisors.permissions.add(*Permission.objects.filter(content_type__app_label=app, codename__in=codenames))
    return service_advisor


def weekday(days_ahead):
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def day_words(day):
    return f"{day:%a %b} {day.day}"


@pytest.fixture
def dana_on_file(shop, customer, oil_change, brake_job, advisor):
    """Dana called and the agent moved her oil change; she called again and left a message; she has
    a brake job booked later that day and a repair order from last week."""
    camry = Vehicle.objects.create(owner=customer, year=2019, make="Toyota", model="Camry")
    moving = add_conversation(
        make_call(
            customer=customer,
            outcome=Call.Outcome.RESCHEDULED,
            started_at=timezone.now() - timedelta(days=1),
            summary="Moved her oil change to the afternoon.",
        )
    )
    messaging = make_call(
        customer=customer, outcome=Call.Outcome.MESSAGE, started_at=timezone.now() - timedelta(hours=2)
    )
    CallbackRequest.objects.create(
        call=messaging,
        customer=customer,
        name="Dana Whitfield",
        phone=customer.phone,
        reason="Wants a quote for brake pads",
        urgency=CallbackRequest.Urgency.SOON,
    )
    day = weekday(3)
    oil = book_appointment(
        customer=customer, service_type=oil_change, start=local(day, 9), vehicle=camry, actor=Actor.advisor(advisor)
    )
    reschedule_appointment(oil, new_start=local(day, 8, 30), actor=Actor.phone_agent(moving.call_sid))
    book_appointment(
        customer=customer, service_type=brake_job, start=local(day, 13), vehicle=camry, actor=Actor.advisor(advisor)
    )
    order = RepairOrder.objects.create(
        customer=customer,
        vehicle=camry,
        opened_at=local(weekday(-7), 8),
        status=RepairOrder.Status.PICKED_UP,
        closed_at=local(weekday(-7), 16),
    )
    return day, moving, order


async def test_an_advisor_reads_a_customers_history_and_opens_the_call(
    page_server, browser, advisor, dana_on_file, signed_in, tmp_path
):
    from playwright.async_api import expect

    day, moving, order = dana_on_file
    page = await signed_in_page(browser, page_server, signed_in, advisor)

    await page.goto(page_server + "/admin/crm/customer/")
    await expect(page.locator("#result_list")).to_contain_text("(312) 555-0147", timeout=STEP_TIMEOUT_MS)
    assert await page.evaluate(FITS), "the customer list fits 1280 px"
    await screenshot(page, tmp_path / "customers.png")

    await page.locator("#result_list").get_by_role("link", name="Dana Whitfield").click()
    await expect(page.locator("input#id_phone")).to_have_value("(312) 555-0147", timeout=STEP_TIMEOUT_MS)

    calls = page.locator("#calls-group")
    await expect(calls.locator("tbody tr.has_original")).to_have_count(2)
    await expect(calls).to_contain_text("Moved her oil change to the afternoon.")
    callbacks = page.locator("#callback_requests-group")
    await expect(callbacks).to_contain_text("Wants a quote for brake pads")
    await expect(callbacks).to_contain_text("Not yet")
    appointments = page.locator("#appointments-group")
    await expect(appointments.locator("tbody tr.has_original")).to_have_count(2)
    await expect(appointments).to_contain_text(
        f"Moved from {day_words(day)}, 9:00 AM to 8:30 AM by the phone agent on a call"
    )
    await expect(appointments).to_contain_text(f"Booked for {day_words(day)}, 1:00 PM by avery.advisor")
    orders = page.locator("#repair_orders-group")
    await expect(orders).to_contain_text(f"{day_words(weekday(-7))}, 8:00 AM")
    await expect(orders).to_contain_text("2019 Toyota Camry")
    assert await page.evaluate(FITS), "the customer page fits 1280 px"
    await screenshot(page, tmp_path / "customer.png")

    await appointments.get_by_role("link", name="transcript").click()
    await expect(page.locator("h1")).to_contain_text("Call from (312) 555-0147", timeout=STEP_TIMEOUT_MS)
    await expect(page.locator("ol.transcript")).to_contain_text("When can you fit me in for an oil change?")
    assert page.url.endswith(f"/calls/{moving.call_sid}/")
    await screenshot(page, tmp_path / "transcript.png")

    await page.go_back()
    await appointments.get_by_role("link", name=f"{day_words(day)}, 8:30 AM").click()
    history = page.locator("table.appointment-history")
    await expect(history.locator("tr")).to_have_count(3, timeout=STEP_TIMEOUT_MS)
    await expect(history.locator("tr").nth(1)).to_contain_text(
        f"Moved from {day_words(day)}, 9:00 AM to 8:30 AM by the phone agent on a call (transcript)"
    )
    await expect(history.locator("tr").nth(2)).to_contain_text(f"Booked for {day_words(day)}, 9:00 AM by avery.advisor")
    await screenshot(page, tmp_path / "appointment.png")
    await history.get_by_role("link", name="transcript").click()
    await expect(page.locator("h1")).to_contain_text("Call from (312) 555-0147", timeout=STEP_TIMEOUT_MS)


async def test_a_days_appointments_run_earliest_first_and_fit_the_screen(
    page_server, browser, advisor, dana_on_file, signed_in, tmp_path
):
    from playwright.async_api import expect

    day, moving, order = dana_on_file
    page = await signed_in_page(browser, page_server, signed_in, advisor)

    await page.goto(
        f"{page_server}/admin/scheduling/appointment/?start__year={day.year}&start__month={day.month}"
        f"&start__day={day.day}"
    )
    rows = page.locator("#result_list tbody tr")
    await expect(rows).to_have_count(2, timeout=STEP_TIMEOUT_MS)
    await expect(rows.first).to_contain_text("8:30 AM")
    await expect(rows.last).to_contain_text("1:00 PM")
    assert await page.evaluate(FITS), "the appointment list fits 1280 px"
    await screenshot(page, tmp_path / "appointments-day.png")

    await page.goto(f"{page_server}/admin/scheduling/appointment/")
    await expect(rows).to_have_count(2, timeout=STEP_TIMEOUT_MS)
    assert await page.evaluate(FITS), "the appointment list fits 1280 px"
    await screenshot(page, tmp_path / "appointments.png")
