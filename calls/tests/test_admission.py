"""Admission control: beyond the calls the servers carry well (CALLS_PER_PROCESS x live processes)
a new call is not taken by the agent but handed to a person (the advisor, else the voicemail) and
filed as such; /readyz reports the load and answers 503 while this process is full. Driven as
Twilio would against the app under the production server; the count is kept in the tests' Redis."""

import asyncio
import time
import xml.etree.ElementTree as ET

import pytest
from channels.db import database_sync_to_async

from calls import actions
from calls.models import Call
from calls.telephony import admission

from .conftest import ADVISOR, PUBLIC_URL

pytestmark = pytest.mark.django_db(transaction=True)


def db(fn, *args, **kwargs):
    return database_sync_to_async(fn)(*args, **kwargs)


@pytest.fixture
def two_lines(phone_agent):
    """Room for two calls: this (test) process is the only one serving them."""
    phone_agent.CALLS_PER_PROCESS = 2
    return phone_agent


async def until(condition, timeout=10.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def no_calls_left_over():
    """Calls of earlier tests have left the server (their streams close as those tests end)."""
    await until(lambda: admission.live_calls() == 0, what="earlier calls to end")


async def ring_without_a_stream(caller, idempotency_token=None):
    """The incoming-call webhook only: (TwiML root, its tags)."""
    form = caller.incoming_call_form()
    headers = {"X-Twilio-Signature": caller.sign(caller.public_url + "/twilio/voice/", form)}
    if idempotency_token:
        headers["I-Twilio-Idempotency-Token"] = idempotency_token
    status, twiml = await caller.link.post("/twilio/voice/", form, headers)
    assert status == 200, twiml
    root = ET.fromstring(twiml)
    return root, [child.tag for child in root]


async def test_a_third_call_on_two_lines_is_put_through_to_the_advisor_and_filed_as_turned_away(
    live_app, make_caller, two_lines, no_calls_left_over
):
    first, second, third = make_caller(live_app), make_caller(live_app), make_caller(live_app)
    await first.dial()
    await second.dial()
    assert first.stream_url and second.stream_url

    root, tags = await ring_without_a_stream(third, idempotency_token="first-try")
    assert "Connect" not in tags
    assert tags[:2] == ["Say", "Dial"]
    assert "lines are busy" in root.find("Say").text
    dial = root.find("Dial")
    assert dial.get("action") == PUBLIC_URL + "/twilio/dial-ended/"
    number = dial.find("Number")
    assert number.text == ADVISOR
    assert number.get("url") == f"{PUBLIC_URL}/twilio/whisper/{third.call_sid}/"

    call = await db(Call.objects.get, call_sid=third.call_sid)
    assert (call.outcome, call.end_reason, call.handover) == (
        Call.Outcome.OVER_CAPACITY,
        actions.OVER_CAPACITY,
        Call.Handover.ADVISOR,
    )
    assert call.stream_sid == "" and call.ended_at is None  # the caller is ringing the advisor
    event = await db(lambda: call.events.get(kind="over_capacity"))
    assert event.data["to"] == "advisor" and event.data["capacity"] == 2

    # Twilio's retry of that webhook is put through again, and the call filed once.
    _, tags = await ring_without_a_stream(third, idempotency_token="first-try")
    assert "Dial" in tags and "Connect" not in tags
    assert await db(lambda: call.events.filter(kind="over_capacity").count()) == 1

    # The advisor hears why the call comes to them.
    status, whisper = await third.post_webhook(f"/twilio/whisper/{third.call_sid}/", third.incoming_call_form())
    assert status == 200 and "lines are full" in whisper


async def test_a_call_is_taken_again_once_one_ends(live_app, make_caller, two_lines, no_calls_left_over):
    first, second = make_caller(live_app), make_caller(live_app)
    await first.dial()
    await second.dial()
    await until(lambda: admission.live_calls() == 2, what="both streams")
    await first.hang_up()
    await until(lambda: admission.live_calls() == 1, what="the first stream to end")

    fourth = make_caller(live_app)
    await fourth.dial()  # the incoming-call webhook opens a stream again
    assert fourth.stream_url == "wss://agent.example.test/ws/twilio/media/"
    assert await db(lambda: Call.objects.get(call_sid=fourth.call_sid).end_reason) == ""


async def test_without_an_advisor_number_a_call_beyond_the_lines_goes_to_the_voicemail(
    live_app, make_caller, two_lines, no_calls_left_over
):
    two_lines.SHOP_ADVISOR_NUMBER = ""
    first, second, third = make_caller(live_app), make_caller(live_app), make_caller(live_app)
    await first.dial()
    await second.dial()
    root, tags = await ring_without_a_stream(third)
    assert "Connect" not in tags and "Dial" not in tags
    record = root.find("Record")
    assert record.get("action") == PUBLIC_URL + "/twilio/voicemail/"
    assert "lines are busy" in root.find("Say").text
    call = await db(Call.objects.get, call_sid=third.call_sid)
    assert (call.outcome, call.end_reason, call.handover) == (
        Call.Outcome.OVER_CAPACITY,
        actions.OVER_CAPACITY,
        Call.Handover.VOICEMAIL,
    )


async def test_a_call_that_rings_off_before_its_stream_frees_its_line(
    live_app, make_caller, two_lines, no_calls_left_over
):
    first, gone, third = make_caller(live_app), make_caller(live_app), make_caller(live_app)
    await first.dial()
    _, tags = await ring_without_a_stream(gone)
    assert "Connect" in tags  # admitted: its line is held for its stream
    await gone.post_status("canceled")  # ...which never comes: the caller rang off
    _, tags = await ring_without_a_stream(third)
    assert "Connect" in tags


async def test_readyz_reports_the_load_and_is_503_while_this_process_is_full(
    live_app, make_caller, two_lines, no_calls_left_over, async_client
):
    first = make_caller(live_app)
    await first.dial()
    await until(lambda: admission.live_calls() == 1, what="the stream")
    response = await async_client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["calls"]["live"] == 1 and body["calls"]["capacity"] == 2 and not body["calls"]["full"]
    assert body["calls"]["cluster"]["live_calls"] == 1
    assert body["calls"]["cluster"]["capacity"] == 2 * body["calls"]["cluster"]["processes"]

    second = make_caller(live_app)
    await second.dial()
    await until(lambda: admission.live_calls() == 2, what="the second stream")
    response = await async_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "full" and body["failed"] == ["calls"]
    assert body["calls"] == {**body["calls"], "live": 2, "capacity": 2, "full": True}


# --- across processes: what each process publishes in Redis ---------------------------------------


@pytest.fixture
def processes():
    """processes("A", "B") -> a Switchboard each, as server processes A and B keep them, on keys of
    their own (this process's board may be publishing to the real ones)."""
    prefix = f"test-admission:{time.monotonic_ns()}:"
    yield lambda *names: [admission.Switchboard(name, key_prefix=prefix) for name in names]
    client = admission._client()
    client.delete(*(prefix + name for name in ("processes", "live", "pending")))


def test_a_call_admitted_by_one_process_and_streamed_by_another_is_counted_once(settings, processes):
    """The webhook lands on process A, the stream on process B (nginx): the cluster counts it as
    starting, then as live in B, never twice and never not at all."""
    settings.CALLS_PER_PROCESS = 1
    a_call, b_call, c_call = ("CA" + n * 32 for n in "abc")
    a, b = processes("A", "B")
    a.publish()
    assert b.cluster_load().capacity == 2  # two processes, a line each
    decision = a.admit(a_call)
    assert decision.admitted and decision.shared and (decision.load.live, decision.load.pending) == (0, 1)
    b.stream_started(a_call)
    load = b.cluster_load()
    assert (load.live, load.pending) == (1, 0)
    assert a.admit(b_call).admitted
    assert not b.admit(c_call).admitted  # a's stream and b's reservation fill both lines
    assert a.admit(b_call).admitted  # Twilio's retry keeps its line
    b.stream_ended(a_call)
    b.publish()
    assert a.admit(c_call).admitted


def test_a_process_that_stops_publishing_takes_its_lines_and_calls_with_it(settings, processes, monkeypatch):
    settings.CALLS_PER_PROCESS = 1
    gone, here = processes("gone", "here")
    gone.stream_started("CA" + "d" * 32)
    gone.publish()
    load = here.cluster_load()
    assert (load.live, load.processes) == (1, 2)
    monkeypatch.setattr(admission, "PROCESS_TTL_S", 0.3)
    gone.publish()  # its last heartbeat
    time.sleep(0.2)
    here.publish()
    time.sleep(0.2)
    load = here.cluster_load()
    assert (load.live, load.processes, load.capacity) == (0, 1, 1)


def test_without_redis_the_process_counts_its_own_calls(settings):
    settings.REDIS_URL = ""
    settings.CALLS_PER_PROCESS = 1
    only = admission.Switchboard("only")
    assert only.admit("CA" + "e" * 32).admitted
    assert not only.admit("CA" + "f" * 32).admitted
    assert only.admit("CA" + "e" * 32).admitted  # the retry
    only.stream_started("CA" + "e" * 32)
    assert not only.admit("CA" + "f" * 32).admitted
    only.stream_ended("CA" + "e" * 32)
    decision = only.admit("CA" + "f" * 32)
    assert decision.admitted and not decision.shared and decision.load.capacity == 1
