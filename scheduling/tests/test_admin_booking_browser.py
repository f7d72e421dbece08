"""Booking a walk-in from the customer's page in headless Chromium, against the project served as
production serves it: the advisor opens the customer, books for them, picks the service and the
day, sees the free times, picks one and saves; the appointment is on file.

(The page server runs on the real clock, so the day picked is the first with room; walk-ins inside
the minimum lead on a set clock are in test_admin_booking.py.)"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from crm.models import Vehicle
from ottos.lib import clock
from ottos.tests.server_process import server_process
from scheduling.actions import available_slots
from scheduling.models import Appointment, ShopProfile
from scheduling.refusals import say_time

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 1000}
STEP_TIMEOUT_MS = 15_000

ADVISORS_MAY = [
    ("crm", "view_customer"),
    ("crm", "add_customer"),
    ("crm", "change_customer"),
    ("crm", "view_vehicle"),
    ("crm", "add_vehicle"),
    ("crm", "change_vehicle"),
    ("scheduling", "view_appointment"),
    ("scheduling", "add_appointment"),
    ("scheduling", "change_appointment"),
    ("scheduling", "view_servicetype"),
]


@pytest.fixture(autouse=True)
def staff_groups(transactional_db):
    """Transactional tests empty the staff groups the migrations made: give the advisors theirs back."""
    from django.contrib.auth.models import Group, Permission

    advisors, _ = Group.objects.get_or_create(name="Service advisors")
    Group.objects.get_or_create(name="Managers")
    for app_label, codename in ADVISORS_MAY:
        advisors.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("booking-page-server-data")
    env = {**os.environ, "DATA_DIR": str(data_dir), "DEBUG": "false"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        timeout=120,
    )
    return data_dir


@pytest.fixture
def page_server(transactional_db, collected_static, tmp_path):
    with server_process(tmp_path / "page-server.log", DATA_DIR=str(collected_static), DEBUG="false") as url:
        yield url


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def signed_in_page(browser, page_server, signed_in, user):
    client = await database_sync_to_async(signed_in)(user)
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": page_server}])
    return await context.new_page()


async def screenshot(page, path):
    await page.screenshot(path=str(path), full_page=True)
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 15_000, f"{path.name}: did the page render?"
    return path


@pytest.fixture
def at_the_counter(shop, customer, other_customer, oil_change):
    """Dana's Outback, someone else's CR-V, and the first start a walk-in could take."""
    Vehicle.objects.create(owner=customer, year=2018, make="Subaru", model="Outback")
    Vehicle.objects.create(owner=other_customer, year=2021, make="Honda", model="CR-V")
    now = clock.now()
    first = available_slots(oil_change, now, now + timedelta(days=8), walk_in=True)[0]
    # Not one that starts within the next minute: the page is slower than that.
    if first - now < timedelta(minutes=1):
        first = available_slots(oil_change, first + timedelta(minutes=1), now + timedelta(days=8), walk_in=True)[0]
    return first


async def test_an_advisor_books_a_walk_in_from_the_customers_page(
    page_server, browser, service_advisor, signed_in, customer, oil_change, at_the_counter, tmp_path
):
    from playwright.async_api import expect

    tz = (await database_sync_to_async(ShopProfile.load)()).tz
    start = at_the_counter
    day, label = start.astimezone(tz).date().isoformat(), say_time(start, tz)
    page = await signed_in_page(browser, page_server, signed_in, service_advisor)

    await page.goto(f"{page_server}/admin/crm/customer/{customer.pk}/change/")
    await page.get_by_role("link", name="Book for this customer").click()
    await expect(page.locator("#content h1")).to_contain_text("Add appointment", timeout=STEP_TIMEOUT_MS)
    vehicle = page.locator("select[name='vehicle']")
    await expect(vehicle.locator("option")).to_have_text(["---------", "2018 Subaru Outback"])
    await expect(page.locator(".free-times")).to_contain_text("Pick a service to see the free times.")

    await vehicle.select_option(label="2018 Subaru Outback")
    await page.locator("select[name='service_type']").select_option(label=oil_change.name)
    await page.locator("input[name='start_0']").fill(day)
    choice = page.locator(f'.free-times button.free-time[data-day="{day}"][data-time="{label}"]')
    await expect(choice).to_be_visible(timeout=STEP_TIMEOUT_MS)
    await choice.click()
    await expect(page.locator("input[name='start_1']")).to_have_value(label)
    await expect(choice).to_have_class("button free-time selected")
    shot = await screenshot(page, tmp_path / "booking-slot-picker.png")
    print(f"slot picker screenshot: {shot}")

    await page.locator("input[name='_save']").click()
    await expect(page.locator("ul.messagelist")).to_contain_text("was added successfully", timeout=STEP_TIMEOUT_MS)
    await screenshot(page, tmp_path / "booking-saved.png")

    booked = await database_sync_to_async(
        lambda: list(Appointment.objects.filter(customer=customer).values_list("start", "vehicle__model", "source"))
    )()
    assert booked == [(start, "Outback", Appointment.Source.ADVISOR)]
