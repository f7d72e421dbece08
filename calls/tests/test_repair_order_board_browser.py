"""The advisors' repair-order board in headless Chromium, served as production serves it (the
page server of the call-page browser tests): an advisor moves a car to "Ready for pickup" with a
card's button, and the card lands in the "Ready for pickup" column."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from crm.models import Vehicle
from ottos.lib import clock
from scheduling.models import RepairOrder, RepairOrderChange
from scheduling.repair_orders.actions import Actor, add_job_line, open_repair_order, set_repair_status

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

BOARD = "/admin/scheduling/repairorder/board/"
ADVISOR_CAN = ["view_repairorder", "change_repairorder", "view_jobline", "change_jobline", "view_repairorderchange"]


@pytest.fixture
def advisor_at_the_counter(staff_groups, service_advisor):
    """The test database is emptied between these tests, the migrations' grants included: give them back."""
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name="Service advisors").permissions.add(
        *Permission.objects.filter(content_type__app_label="scheduling", codename__in=ADVISOR_CAN)
    )
    return service_advisor


@pytest.fixture
def in_the_shop(shop, customer):
    office = Actor.command("test-setup")
    camry = Vehicle.objects.create(owner=customer, year=2019, make="Toyota", model="Camry")
    order = open_repair_order(
        customer=customer, vehicle=camry, actor=office, promised_at=clock.now() + timedelta(hours=3)
    )
    add_job_line(order, description="Front brake pads", actor=office, estimate_low="250", estimate_high="400")
    late = open_repair_order(
        customer=customer,
        vehicle=camry,
        actor=office,
        opened_at=clock.now() - timedelta(days=1),
        promised_at=clock.now() - timedelta(hours=1),
    )
    set_repair_status(late, RepairOrder.Status.WAITING_PARTS, actor=office)
    return set_repair_status(order, RepairOrder.Status.IN_PROGRESS, actor=office)


async def test_an_advisor_moves_a_car_to_ready_for_pickup_on_the_board(
    page_server, browser, advisor_at_the_counter, in_the_shop, signed_in, tmp_path
):
    from playwright.async_api import expect

    order = in_the_shop
    page = await signed_in_page(browser, page_server, signed_in, advisor_at_the_counter)
    await page.goto(page_server + BOARD)
    in_progress = page.locator('section.ro-column[data-status="in_progress"]')
    card = in_progress.locator(f'li.ro-card[data-order="{order.pk}"]')
    await expect(card).to_contain_text(f"RO {order.number}", timeout=STEP_TIMEOUT_MS)
    await expect(card).to_contain_text("1 line awaiting approval")
    await expect(page.locator('section.ro-column[data-status="waiting_parts"] li.ro-card')).to_contain_text(
        "Overdue: promised"
    )
    await screenshot(page, tmp_path / "board-before.png")

    await card.get_by_role("button", name="Ready for pickup").click()

    ready = page.locator('section.ro-column[data-status="ready"]')
    await expect(ready.locator(f'li.ro-card[data-order="{order.pk}"]')).to_be_visible(timeout=STEP_TIMEOUT_MS)
    await expect(in_progress.locator(f'li.ro-card[data-order="{order.pk}"]')).to_have_count(0)
    await expect(page.locator("ul.messagelist")).to_contain_text(f"RO {order.number}")
    after = await screenshot(page, tmp_path / "board-after.png")
    assert after.exists()

    await ready.get_by_role("link", name=f"RO {order.number}").click()
    await expect(page.locator("#content")).to_contain_text(f"RO {order.number}: 2019 Toyota Camry")
    await expect(page.locator("#content")).to_contain_text("Front brake pads")
    await screenshot(page, tmp_path / "order-page.png")

    moved = await database_sync_to_async(RepairOrder.objects.get)(pk=order.pk)
    assert moved.status == RepairOrder.Status.READY
    recorded = await database_sync_to_async(
        RepairOrderChange.objects.filter(repair_order=order, action="status", actor_user=advisor_at_the_counter).count
    )()
    assert recorded == 1
