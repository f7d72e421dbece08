"""The appointment board in headless Chromium, served as production serves it (the page server of
the booking browser test): an advisor opens today's board, marks one customer arrived, moves
another to a free time from the card's list, and sees both on the board as they now are.

(The page server runs on the real clock, so the shop is put in a time zone where it is daytime
now and opened every day: "today" always has slots ahead.)"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async

from ottos.lib import clock
from scheduling.actions import Actor, book_appointment
from scheduling.models import Appointment, OpeningHours, ServiceType
from scheduling.refusals import say_time

from . import test_admin_booking_browser as booking

# The page server, the browser and the advisors' permissions of the booking browser test.
collected_static, page_server, browser, staff_groups = (
    booking.collected_static,
    booking.page_server,
    booking.browser,
    booking.staff_groups,
)
screenshot, signed_in_page, STEP_TIMEOUT_MS = booking.screenshot, booking.signed_in_page, booking.STEP_TIMEOUT_MS

pytestmark = pytest.mark.django_db(transaction=True)

BOARD = "/admin/scheduling/appointment/board/"
# At any moment it is between 7 AM and 4 PM in one of these.
ZONES = ["Pacific/Honolulu", "America/Chicago", "Europe/London", "Asia/Kolkata", "Asia/Tokyo"]


def daytime_zone():
    now = datetime.now(UTC)
    return next(ZoneInfo(name) for name in ZONES if 7 <= now.astimezone(ZoneInfo(name)).hour < 16)


@pytest.fixture
def today_at_the_shop(shop, customer, other_customer):
    """Open 6 AM to 10 PM every day, in a zone where it is daytime; Dana's and Marcus's oil changes
    at the next two half hours at least 30 minutes off, an hour apart."""
    tz = daytime_zone()
    shop.timezone, shop.min_lead_minutes = tz.key, 0
    shop.save()
    OpeningHours.objects.all().delete()
    for weekday in range(7):
        OpeningHours.objects.create(weekday=weekday, opens=time(6), closes=time(22))
    oil_change = ServiceType.objects.create(name="Oil change", duration_minutes=30)
    soon = clock.now().astimezone(tz) + timedelta(minutes=30)
    first = soon.replace(minute=0 if soon.minute < 30 else 30, second=0, microsecond=0) + timedelta(minutes=30)
    office = Actor.command("test-setup")
    dana = book_appointment(customer=customer, service_type=oil_change, start=first, waiter=True, actor=office)
    marcus = book_appointment(
        customer=other_customer, service_type=oil_change, start=first + timedelta(hours=1), actor=office
    )
    return tz, dana, marcus


async def test_an_advisor_marks_one_arrived_and_moves_another_on_todays_board(
    page_server, browser, service_advisor, signed_in, today_at_the_shop, tmp_path
):
    from playwright.async_api import expect

    tz, dana, marcus = today_at_the_shop
    target = marcus.start + timedelta(hours=2)
    page = await signed_in_page(browser, page_server, signed_in, service_advisor)
    await page.goto(page_server + BOARD)

    dana_card = page.locator(f'article.appt-card[data-appointment="{dana.pk}"]')
    marcus_card = page.locator(f'article.appt-card[data-appointment="{marcus.pk}"]')
    await expect(dana_card).to_contain_text("Dana Whitfield", timeout=STEP_TIMEOUT_MS)
    await expect(dana_card.locator(".waiter-badge")).to_have_text("Waits")
    await expect(page.locator(f'tr[data-slot="{say_time(dana.start, tz)}"]')).to_contain_text("1 of 2 bays free")
    await screenshot(page, tmp_path / "appointment-board-before.png")

    await dana_card.get_by_role("button", name="Arrived").click()
    await expect(page.locator("ul.messagelist")).to_contain_text("marked arrived", timeout=STEP_TIMEOUT_MS)
    await expect(dana_card.locator(".appt-status")).to_contain_text("Arrived")
    await expect(dana_card.get_by_role("button", name="Completed")).to_be_visible()

    day = target.astimezone(tz).date()
    await marcus_card.get_by_label("Move Marcus Oyelaran to").select_option(
        label=f"{day:%a %b} {day.day} {say_time(target, tz)}"
    )
    await marcus_card.get_by_role("button", name="Move").click()
    await expect(page.locator("ul.messagelist")).to_contain_text("moved to", timeout=STEP_TIMEOUT_MS)
    moved_row = page.locator(f'tr[data-slot="{say_time(target, tz)}"]')
    await expect(moved_row.locator(f'article[data-appointment="{marcus.pk}"]')).to_be_visible()
    await expect(page.locator(f'tr[data-slot="{say_time(marcus.start, tz)}"] article')).to_have_count(0)
    after = await screenshot(page, tmp_path / "appointment-board-after.png")
    assert after.exists()

    await page.get_by_role("link", name="Week", exact=True).click()
    today = page.locator(f'section.appt-day[data-day="{day.isoformat()}"]')
    await expect(today).to_contain_text("2 appointments, 1 waiting", timeout=STEP_TIMEOUT_MS)
    await expect(today.locator(f'li[data-appointment="{dana.pk}"]')).to_contain_text("(arrived)")
    await screenshot(page, tmp_path / "appointment-week.png")

    dana_now = await database_sync_to_async(Appointment.objects.get)(pk=dana.pk)
    marcus_now = await database_sync_to_async(Appointment.objects.get)(pk=marcus.pk)
    assert dana_now.status == Appointment.Status.ARRIVED
    assert marcus_now.start == target
    by_advisor = await database_sync_to_async(
        Appointment.objects.filter(pk__in=[dana.pk, marcus.pk], changes__actor_user=service_advisor).count
    )()
    assert by_advisor == 2
