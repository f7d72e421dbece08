"""The shop's Settings page in headless Chromium, served as production serves it (the page server of
the call-page browser tests, DEBUG off): the manager opens it from the header, types the advisor's
number as people write it, picks a time zone, writes a greeting and turns recording off; a mistake is
shown next to its field with everything else still typed in; once saved, the next call greets,
records and hands over as the page says, over the environment's values, and the call pages show
times in the new zone. Every step is screenshotted."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from calls.agent.call import load_call_data
from calls.agent.greeting import voice_config
from calls.call_audio import tape_for_call
from calls.models import Call
from scheduling.models import ShopProfile

from . import test_live_browser as live
from .page_records import make_call
from .test_handoffs import signed_post

collected_static, page_server, browser, staff_groups = (
    live.collected_static,
    live.page_server,
    live.browser,
    live.staff_groups,
)
screenshot, signed_in_page, STEP_TIMEOUT_MS = live.screenshot, live.signed_in_page, live.STEP_TIMEOUT_MS

pytestmark = pytest.mark.django_db(transaction=True)

CALL_SID = "CA" + "b8" * 16
DANA = "+13125550147"


def the_next_call():
    """What the agent and Twilio's webhook do for the next call, through their own code."""
    Call.objects.create(call_sid=CALL_SID, from_number=DANA, to_number="+13125550100", status=Call.Status.IN_PROGRESS)
    data = load_call_data(CALL_SID, "MZ" + "3" * 32, DANA)
    config = voice_config(shop=data.shop_settings, customer=data.customer)
    tape = tape_for_call(data.call.pk, CALL_SID, recording=data.shop_settings.recording_enabled)
    # The agent's stream breaks: Twilio asks what next.
    Call.objects.filter(call_sid=CALL_SID).update(end_reason="agent_error: the voice session failed")
    twiml = signed_post(Client(), "/twilio/stream-ended/", {"CallSid": CALL_SID}).content
    return config, tape, ET.fromstring(twiml).find("Dial/Number").text


async def test_a_manager_sets_up_the_shop_and_the_next_call_follows_it(
    page_server, browser, manager, shop, customer, signed_in, twilio, tmp_path
):
    from playwright.async_api import expect

    twilio.SHOP_ADVISOR_NUMBER = "+13125550123"  # the environment's: the page's number must win
    twilio.RECORDING_ENABLED = True
    call = await database_sync_to_async(make_call)(started_at=datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    page = await signed_in_page(browser, page_server, signed_in, manager)

    await page.goto(f"{page_server}/calls/{call.call_sid}/")
    await expect(page.locator("main")).to_contain_text("Tuesday, Mar 10, 2026 10:30:00 AM", timeout=STEP_TIMEOUT_MS)

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    await expect(page.locator("h1")).to_have_text("Shop settings")
    await expect(page.get_by_label("Time zone")).to_have_value("America/Chicago")
    await screenshot(page, tmp_path / "settings.png")

    # A mistake first: shown at its field, nothing else lost, nothing saved.
    await page.get_by_label("Advisor number for transfers").fill("555-01")
    await page.get_by_label("Greeting", exact=True).fill("Otto's, front desk.")
    await page.get_by_label("Time zone").select_option("America/New_York")
    await page.get_by_label("Record calls").select_option("off")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#id_advisor_number-error")).to_contain_text("not a valid phone number")
    await expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    await expect(page.get_by_label("Greeting", exact=True)).to_have_value("Otto's, front desk.")
    await expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    await expect(page.get_by_label("Record calls")).to_have_value("off")
    await screenshot(page, tmp_path / "settings-mistake.png")
    assert (await database_sync_to_async(ShopProfile.load)()).greeting == ""

    await page.get_by_label("Advisor number for transfers").fill("(312) 555-0199")
    await page.get_by_label("Voice", exact=True).select_option("aura-2-apollo-en")
    await page.get_by_label("After hours").select_option("transfer")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_contain_text("Settings saved")
    await expect(page.locator("#in-force-advisor")).to_have_text("+13125550199")
    await expect(page.locator("#in-force-recording")).to_have_text("No")
    await expect(page.locator("#in-force-after-hours")).to_have_text("Put callers through to the advisor number")
    await expect(page.get_by_label("Advisor number for transfers")).to_have_value("(312) 555-0199")
    await screenshot(page, tmp_path / "settings-saved.png")

    profile = await database_sync_to_async(ShopProfile.load)()
    assert (profile.advisor_number, profile.timezone, profile.greeting, profile.recording_enabled) == (
        "+13125550199",
        "America/New_York",
        "Otto's, front desk.",
        False,
    )
    assert (profile.voice, profile.after_hours) == ("aura-2-apollo-en", "transfer")
    config, tape, dialled = await database_sync_to_async(the_next_call)()
    assert config.greeting == "Hi Dana. Otto's, front desk."
    assert tape is None  # recording off on the page, on in the environment
    assert dialled == "+13125550199"

    # The call pages now show times in New York's zone.
    await page.goto(f"{page_server}/calls/{call.call_sid}/")
    await expect(page.locator("main")).to_contain_text("Tuesday, Mar 10, 2026 11:30:00 AM")
    await screenshot(page, tmp_path / "call-in-new-york-time.png")
