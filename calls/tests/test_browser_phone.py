"""The browser phone in headless Chromium (Debian's package) with a fake microphone playing a
WAV file of a caller asking for an oil change: the page speaks Media Streams to the real
server, the embedded agent books the appointment, and its answers reach the page and play."""

import asyncio
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from django.db import connections
from django.test import Client

from calls.models import Call, Turn
from calls.voice.audio import mulaw_decode, resample
from calls.voice.tts.offline import PiperTTS
from ottos.tests.server_process import server_process
from scheduling.models import Appointment

from .page_records import ensure_staff_groups

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = "/usr/bin/chromium"
WAV_RATE = 16000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    """The production server in its own process on the test database, as `make run` serves (DEBUG: static files
    from the project), with no vendor keys: offline speech and the scripted receptionist. The callers here keep
    quiet up to 15 s while the agent speaks; "Are you still there?" after 8 s of silence (tested on its own in
    test_quiet_spells) would otherwise land in those pauses whenever a reply happens to be short."""
    directory = tmp_path_factory.mktemp("phone-server")
    log_path = directory / "server.log"
    with server_process(log_path, DEBUG="true", DATA_DIR=str(directory / "data"), VOICE_SILENCE_REPROMPT_S="30") as url:
        yield SimpleNamespace(url=url, log=log_path)


async def spoken(text):
    tts = PiperTTS(variation=False)  # the same audio every run
    try:
        return b"".join([chunk async for chunk in tts.synthesize(text)])
    finally:
        await tts.close()


def caller_wav(path, script):
    """`script`: seconds of silence (numbers) and sentences, spoken by the offline TTS at phone
    quality, written as 16 kHz PCM for Chromium's fake microphone."""
    pieces = []
    for part in script:
        if isinstance(part, str):
            pieces.append(resample(mulaw_decode(asyncio.run(spoken(part))), 8000, WAV_RATE).astype(np.int16))
        else:
            pieces.append(np.zeros(int(part * WAV_RATE), dtype=np.int16))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(np.concatenate(pieces).tobytes())


def until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.25)
    return result


@pytest.fixture
def staff_groups(transactional_db):
    ensure_staff_groups()


@pytest.fixture
def from_db():
    """Run a query outside Playwright's event loop (Django refuses ORM calls inside one)."""
    worker = ThreadPoolExecutor(1)
    yield lambda query: worker.submit(query).result()
    worker.submit(connections.close_all).result()
    worker.shutdown()


def caller_says(tz):
    """A day the shop opens at 9, and how a caller says it."""
    day = datetime.now(tz).date() + timedelta(days=1)
    if day.weekday() == 6:  # closed on Sundays
        return day + timedelta(days=1), "on Monday"
    return day, "tomorrow"


@pytest.fixture
def phone_call(staff_groups, server, tmp_path, manager, from_db):
    """phone_call(script) -> the /phone/ page in Chromium, signed in as a manager, its microphone
    playing `script` (see caller_wav) from the moment Call is pressed."""
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(manager)
    session = client.cookies["sessionid"].value
    browsers, errors, playwright = [], [], []

    def place(script):
        microphone = tmp_path / f"caller-{len(browsers)}.wav"
        caller_wav(microphone, script)
        # Playwright runs an event loop in this thread from here on: the ORM only through from_db.
        if not playwright:
            playwright.append(sync_playwright().start())
        browser = playwright[0].chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={microphone}%noloop"]
        )
        browsers.append(browser)
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": session, "url": server.url}])
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.url}/phone/")
        page.click("#phone-call")
        until(lambda: page.evaluate("window.ottosPhone.state") == "connected", 20, "the call to connect")
        return page

    place.errors = errors
    yield place
    call_sids = []
    for browser in browsers:
        page = browser.contexts[0].pages[0]
        call_sids.append(stats_of(page).get("callSid"))
        # Shown by pytest when a test fails: what the page and the server saw.
        print(
            "page:",
            page.evaluate("window.ottosPhone"),
            page.inner_text("#phone-status"),
            page.inner_text("#phone-transcript"),
            sep="\n",
        )
        browser.close()
    print("server log:", server.log.read_text()[-4000:], sep="\n")
    for running in playwright:
        running.stop()
    # The server files each call once its stream has closed; the test database is flushed after
    # this, and must not race those last writes.
    for call_sid in filter(None, call_sids):
        until(
            lambda call_sid=call_sid: from_db(Call.objects.filter(call_sid=call_sid, ended_at__isnull=False).exists),
            20,
            f"call {call_sid} to be filed",
        )


def stats_of(page):
    return page.evaluate("window.ottosPhone")


def test_a_spoken_booking_request_books_and_the_agent_is_heard(phone_call, shop, oil_change, customer, from_db):
    day, words = caller_says(shop.tz)
    # Quiet through the greeting, the request, quiet through the read-back, the yes, quiet.
    page = phone_call([15.0, f"I'd like an oil change {words} at 9 AM.", 13.0, "Yes, please.", 12.0])
    assert page.input_value("#phone-caller") == customer.phone

    nine = datetime(day.year, day.month, day.day, 9, tzinfo=shop.tz)
    appointment = until(
        lambda: from_db(Appointment.objects.filter(customer=customer).select_related("service_type").first),
        90,
        "the appointment to be booked",
    )
    assert (appointment.start, appointment.service_type, appointment.source) == (nine, oil_change, "phone_agent")
    until(
        lambda: page.locator("#phone-transcript", has_text="You're all set").count(),
        30,
        "the agent's confirmation in the transcript",
    )
    until(
        lambda: stats_of(page)["marksEchoed"] >= 3 and stats_of(page)["secondsPlayed"] > 10,
        30,
        "the confirmation to play",
    )
    page.click("#phone-hang-up")
    until(lambda: stats_of(page)["state"] == "ended", 10, "the call to end")
    until(lambda: page.locator("#phone-outcome", has_text="Booked Oil change").count(), 10, "the outcome")

    stats, transcript = stats_of(page), page.inner_text("#phone-transcript")
    assert stats["framesSent"] > 30 * 50, "the microphone went out as 20 ms frames all along"
    assert stats["framesReceived"] > 0 and stats["secondsPlayed"] > 10 and stats["clears"] == 0
    assert stats["closeCode"] == 1000 and phone_call.errors == []
    assert "Shall I book it?" in transcript and "oil change" in transcript.lower()
    call = from_db(lambda: Call.objects.select_related("customer").get(call_sid=stats["callSid"]))
    assert (call.from_number, call.to_number, call.customer) == (customer.phone, "browser:morgan.manager", customer)
    assert call.outcome == "booked" and call.end_reason == "caller_hung_up"


def test_talking_over_the_agent_clears_what_the_page_had_queued(phone_call, shop, oil_change, customer, from_db):
    day, words = caller_says(shop.tz)
    # The agent reads out several times; three seconds in, the caller picks one over it.
    page = phone_call([15.0, f"Do you have anything {words} morning for an oil change?", 3.0, "The first one.", 12.0])
    until(lambda: stats_of(page)["clears"], 60, "the agent to clear the page's playback")
    call_sid = stats_of(page)["callSid"]
    cut = until(
        lambda: from_db(Turn.objects.filter(call__call_sid=call_sid, interrupted=True).first),
        10,
        "the interrupted turn",
    )
    until(
        lambda: page.locator("#phone-transcript .badge", has_text="Interrupted").count(),
        10,
        "the interruption on the page",
    )
    until(
        lambda: page.locator("#phone-transcript", has_text="Shall I book it?").count(),
        30,
        "the agent to carry on with what the caller picked",
    )
    page.click("#phone-hang-up")
    until(lambda: stats_of(page)["state"] == "ended", 10, "the call to end")

    stats = stats_of(page)
    assert stats["secondsPlayed"] < stats["secondsReceived"], "the audio dropped at the clear was never played"
    assert cut.role == "assistant" and cut.text.startswith(cut.heard_text) and cut.heard_text != cut.text, (
        "the agent knows the caller heard only what had played before the clear"
    )
    assert phone_call.errors == []


def test_a_callback_number_keyed_on_the_page_keypad_reaches_the_agent(phone_call, shop, oil_change, customer, from_db):
    page = phone_call([12.0, "Please have someone call me back about my brakes, on a different number.", 30.0])
    until(
        lambda: page.locator("#phone-transcript", has_text="key it in").count(), 60, "the agent to ask for the number"
    )
    assert page.is_visible("#phone-keypad")
    for key in "7735550123#":
        page.click(f'#phone-keypad button[data-key="{key}"]')
    until(
        lambda: page.locator("#phone-transcript", has_text="(keyed on the phone) 7735550123").count(),
        20,
        "the keyed number in the transcript",
    )
    until(
        lambda: page.locator("#phone-transcript", has_text="7 7 3, 5 5 5, 0 1 2 3").count(),
        30,
        "the agent to read the number back",
    )
    assert stats_of(page)["keysSent"] == "7735550123#"
    page.click("#phone-hang-up")
    until(lambda: stats_of(page)["state"] == "ended", 10, "the call to end")
    assert not page.is_visible("#phone-keypad") and phone_call.errors == []
