"""The call pages in headless Chromium against running servers.

Two server processes, as in production: the phone agent (the in-process server of the phone-agent
tests, in this process) takes a call placed by the fake Twilio caller with every vendor faked;
a second server process, started here on the same test database and Redis, serves the
managers' pages. The live page in the browser shows the transcript as the call goes on: the
recorder publishes through channels-redis and the page server relays it. Each page is then
screenshotted and checked to have rendered.
"""

import asyncio
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from calls.models import Call
from fakes.deepgram import spoken
from fakes.openai import text
from ottos.tests.server_process import server_process

from .page_records import ensure_staff_groups
from .test_handoffs import twilio_posts

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
VIEWPORT = {"width": 1280, "height": 900}
STEP_TIMEOUT_MS = 15_000
REPLY = "Sure, we can look at your brakes this week. Which day suits you?"


@pytest.fixture(autouse=True)
def staff_groups(transactional_db):
    ensure_staff_groups()


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """Static files collected as a deployment would (WhiteNoise serves them from there)."""
    data_dir = tmp_path_factory.mktemp("page-server-data")
    env = {**os.environ, "DATA_DIR": str(data_dir), "DEBUG": "false"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        timeout=120,
    )
    return data_dir


@pytest.fixture(scope="module")
def page_server(django_db_setup, collected_static, tmp_path_factory):
    """The ASGI app under the production server in its own process, on the test database and the
    same Redis: one per test module (a start costs seconds), as a shop's server outlives its
    records; the tests' own (transaction=True) are flushed between them."""
    log = tmp_path_factory.mktemp("page-server") / "page-server.log"
    with server_process(log, DATA_DIR=str(collected_static), DEBUG="false") as url:
        yield url


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def signed_in_page(browser, page_server, signed_in, user, viewport=VIEWPORT):
    client = await database_sync_to_async(signed_in)(user)
    context = await browser.new_context(viewport=viewport)
    await context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": page_server}])
    return await context.new_page()


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return len(data), width, height


async def screenshot(page, path):
    await page.screenshot(path=str(path), full_page=True)
    size, width, height = png_size(path)
    assert width == page.viewport_size["width"] and height >= 300, (width, height)
    assert size > 15_000, f"{path.name} is {size} bytes: did the page render?"
    return path


async def call_is_over(call_sid, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        call = await database_sync_to_async(Call.objects.filter(call_sid=call_sid, ended_at__isnull=False).first)()
        if call:
            return call
        await asyncio.sleep(0.1)
    raise TimeoutError(f"call {call_sid} was never filed")


async def test_a_manager_follows_a_call_live_then_reviews_it(
    page_server, browser, live_app, make_caller, openai, customer, manager, signed_in, tmp_path
):
    from playwright.async_api import expect

    openai.script(text(REPLY))
    page = await signed_in_page(browser, page_server, signed_in, manager)
    await page.goto(f"{page_server}/calls/live/")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "connected", timeout=STEP_TIMEOUT_MS)
    await expect(page.get_by_text("No calls in progress.")).to_be_visible()

    caller = make_caller(live_app)
    await caller.dial()
    call = page.locator(f'section.live-call[data-call-sid="{caller.call_sid}"]')
    await expect(call).to_be_visible(timeout=STEP_TIMEOUT_MS)
    transcript = call.locator("ol.transcript")
    await expect(transcript).to_contain_text("Hi Dana, thanks for calling Otto's Auto Repair", timeout=STEP_TIMEOUT_MS)
    await expect(page.get_by_text("No calls in progress.")).to_be_hidden()

    await caller.say(spoken("My brakes are squeaking when I stop"))
    await expect(transcript.locator("li.turn-user")).to_contain_text(
        "My brakes are squeaking when I stop", timeout=STEP_TIMEOUT_MS
    )
    await expect(transcript.locator("li.turn-assistant").last).to_contain_text(REPLY, timeout=STEP_TIMEOUT_MS)
    assert await transcript.locator("li.turn").count() == 3, "each turn shown once"
    live_png = await screenshot(page, tmp_path / "live.png")

    await caller.hang_up()
    await call_is_over(caller.call_sid)
    await expect(call.locator(".badge.live")).to_have_text("Ended", timeout=STEP_TIMEOUT_MS)

    await page.goto(f"{page_server}/calls/")
    row = page.locator("table.calls tbody tr").first
    await expect(row).to_contain_text("Dana Whitfield")
    await expect(row).to_contain_text("(312) 555-0147")
    await expect(row).to_contain_text(" ms")  # the median voice-to-voice of the call
    list_png = await screenshot(page, tmp_path / "list.png")

    await row.get_by_role("link").first.click()
    await expect(page.locator("h1")).to_contain_text("Call from (312) 555-0147")
    await expect(page.locator("ol.transcript")).to_contain_text("My brakes are squeaking when I stop")
    await expect(page.locator("ol.transcript")).to_contain_text(REPLY)
    await expect(page.locator("svg.chart")).to_have_count(1)
    detail_png = await screenshot(page, tmp_path / "detail.png")

    await page.goto(f"{page_server}/calls/dashboard/")
    await expect(page.locator("svg.chart")).to_have_count(6)
    await expect(page.locator("dl.tiles").first).to_contain_text("Calls")
    dashboard_png = await screenshot(page, tmp_path / "dashboard.png")

    assert all(p.exists() for p in (live_png, list_png, detail_png, dashboard_png))


async def test_the_pages_fit_a_phone_screen_and_start_with_a_skip_link(
    page_server, browser, manager, signed_in, tmp_path
):
    page = await signed_in_page(browser, page_server, signed_in, manager, viewport={"width": 390, "height": 844})
    for path in ("/calls/", "/calls/live/", "/calls/dashboard/"):
        await page.goto(page_server + path)
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    await screenshot(page, tmp_path / "dashboard-phone.png")


async def test_an_advisor_is_refused_the_dashboard_in_the_browser(page_server, browser, service_advisor, signed_in):
    page = await signed_in_page(browser, page_server, signed_in, service_advisor)
    response = await page.goto(f"{page_server}/calls/dashboard/")
    assert response.status == 403
    response = await page.goto(f"{page_server}/calls/")
    assert response.status == 200
    assert await page.get_by_role("link", name="Dashboard").count() == 0


async def test_a_call_handed_to_an_advisor_stays_live_until_the_advisor_is_done(
    page_server, browser, live_app, make_caller, openai, customer, manager, signed_in, tmp_path
):
    from playwright.async_api import expect

    page = await signed_in_page(browser, page_server, signed_in, manager)
    await page.goto(f"{page_server}/calls/live/")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "connected", timeout=STEP_TIMEOUT_MS)

    caller = make_caller(live_app)
    await caller.dial()
    call = page.locator(f'section.live-call[data-call-sid="{caller.call_sid}"]')
    await expect(call.locator("ol.transcript")).to_contain_text("Hi Dana", timeout=STEP_TIMEOUT_MS)

    await caller.lose_stream()  # the agent is gone: Twilio asks what next, and the caller is put through
    assert "<Dial" in caller.after_stream_twiml
    await expect(call).to_contain_text("Put through to an advisor", timeout=STEP_TIMEOUT_MS)
    await call_is_over(caller.call_sid)  # the agent's part is filed...
    await asyncio.sleep(1.0)
    await expect(call.locator(".badge.live")).to_have_text("In progress")  # ...but the caller is still on
    handed_png = await screenshot(page, tmp_path / "live-handed-over.png")

    status, twiml = await twilio_posts(
        live_app,
        "/twilio/dial-ended/",
        {
            "CallSid": caller.call_sid,
            "AccountSid": caller.account_sid,
            "CallStatus": "in-progress",
            "DialCallStatus": "completed",
            "DialCallDuration": "42",
        },
    )
    assert status == 200 and "<Hangup" in twiml
    await expect(call.locator(".badge.live")).to_have_text("Ended", timeout=STEP_TIMEOUT_MS)
    await page.reload()  # and once over, a fresh page no longer lists it
    await expect(page.locator(f'section.live-call[data-call-sid="{caller.call_sid}"]')).to_have_count(0)
    assert handed_png.exists()
