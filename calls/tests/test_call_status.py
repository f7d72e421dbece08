"""A call's status and length tell the truth: a call that ends with its stream reads Completed
with its length on the pages, in the call list's download and in `export_calls`; a caller put
through to an advisor is still on the line until Twilio's status callback says the call is over;
and Twilio's status and CallDuration win whichever comes first, its callback or our filing."""

import asyncio
import csv
import io
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from calls import actions
from calls.models import Call
from ottos.asgi import application

from .conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

CALL_SID = "CA" + "5e" * 16
LIST = reverse("call_pages:list")


def a_call_on_the_line(seconds_ago=95):
    """A call Twilio put through to the agent `seconds_ago`, its media stream running."""
    actions.open_call(call_sid=CALL_SID, from_number="+13125550147", to_number="+13125550100")
    actions.stream_started(CALL_SID, "MZ" + "0" * 32)
    Call.objects.filter(call_sid=CALL_SID).update(started_at=timezone.now() - timedelta(seconds=seconds_ago))


def status_callback(status, duration_s=None, call_sid=CALL_SID):
    """Twilio's status callback form and its signature."""
    form = {"CallSid": call_sid, "AccountSid": ACCOUNT_SID, "CallStatus": status}
    if duration_s is not None:
        form["CallDuration"] = str(duration_s)
    return form, RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/twilio/status/", form)


def twilio_reports(client, status, duration_s=None):
    form, signature = status_callback(status, duration_s)
    assert client.post("/twilio/status/", form, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204


def detail_facts(client):
    page = client.get(reverse("call_pages:detail", args=[CALL_SID])).text
    status = page.split("<dt>Status</dt><dd>")[1].split("</dd>")[0]
    duration = page.split("<dt>Duration</dt><dd>")[1].split("</dd>")[0]
    return status, duration


def listed(client, **filters):
    """The calls the list shows, each with the length its Duration column reads."""
    response = client.get(LIST, filters)
    return [(call.call_sid, call.talk_time) for call in response.context["page"].object_list]


def download_row(client):
    response = client.get(reverse("call_pages:csv"))
    (row,) = csv.DictReader(io.StringIO(response.content.decode()))
    return row["status"], row["duration_s"]


def command_row():
    out = io.StringIO()
    call_command("export_calls", stdout=out, stderr=io.StringIO())
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    return row["status"], row["duration_s"]


def everywhere(client):
    """The call's status and length as each page and sheet shows them."""
    return {
        "detail": detail_facts(client),
        "completed filter": listed(client, status="completed"),
        "download": download_row(client),
        "command": command_row(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("end_reason", ["caller_hung_up", "agent_ended", "silence", "max_call_length"])
def test_a_call_that_ended_with_its_stream_reads_completed_with_its_length_everywhere(signed_in, manager, end_reason):
    a_call_on_the_line(seconds_ago=95)

    actions.finish_call(CALL_SID, end_reason=end_reason, outcomes={Call.Outcome.INFO}, caller_spoke=True)

    assert everywhere(signed_in(manager)) == {
        "detail": ("Completed", "1:35"),
        "completed filter": [(CALL_SID, timedelta(seconds=95))],
        "download": ("completed", "95"),
        "command": ("completed", "95"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "end_reason, outcomes",
    [
        ("transferred", {Call.Outcome.TRANSFERRED}),
        # the caller left the stream for the advisor before the session heard back from Twilio
        ("stream_stopped", {Call.Outcome.TRANSFERRED}),
        # the stream-ended webhook puts the caller through to an advisor
        ("agent_error", set()),
        ("agent_error: the voice session failed", set()),
        ("stream_error", set()),
    ],
)
def test_a_caller_put_through_to_an_advisor_is_on_the_line_until_twilio_ends_the_call(
    client, twilio, signed_in, manager, end_reason, outcomes
):
    a_call_on_the_line(seconds_ago=95)
    reader = signed_in(manager)

    actions.finish_call(CALL_SID, end_reason=end_reason, outcomes=outcomes, caller_spoke=True)

    # The agent's part lasted 95 s; the call's length is not known until Twilio says.
    assert everywhere(reader) == {
        "detail": ("In progress", "—"),
        "completed filter": [],
        "download": ("in-progress", ""),
        "command": ("in-progress", ""),
    }
    assert listed(reader, status="in-progress") == [(CALL_SID, None)]

    twilio_reports(client, "completed", duration_s=412)

    assert everywhere(reader) == {
        "detail": ("Completed", "6:52"),
        "completed filter": [(CALL_SID, timedelta(seconds=412))],
        "download": ("completed", "412"),
        "command": ("completed", "412"),
    }


@pytest.mark.django_db
def test_twilios_length_replaces_the_clocks_when_its_callback_comes_after_the_filing(
    client, twilio, signed_in, manager
):
    a_call_on_the_line(seconds_ago=95)
    reader = signed_in(manager)

    actions.finish_call(CALL_SID, end_reason="caller_hung_up", caller_spoke=True)
    assert detail_facts(reader) == ("Completed", "1:35")

    twilio_reports(client, "completed", duration_s=97)
    assert detail_facts(reader) == ("Completed", "1:37")
    assert command_row() == download_row(reader) == ("completed", "97")


@pytest.mark.django_db
def test_twilio_ending_the_call_before_it_is_filed_keeps_its_word(client, twilio, signed_in, manager):
    """A caller who hangs up: Twilio may post `completed` before the stream's stop reaches the
    agent, and an earlier callback ("in-progress") may come late or again."""
    a_call_on_the_line(seconds_ago=95)
    reader = signed_in(manager)

    twilio_reports(client, "completed", duration_s=74)
    actions.finish_call(CALL_SID, end_reason="caller_hung_up", caller_spoke=True)
    twilio_reports(client, "in-progress")

    assert everywhere(reader) == {
        "detail": ("Completed", "1:14"),
        "completed filter": [(CALL_SID, timedelta(seconds=74))],
        "download": ("completed", "74"),
        "command": ("completed", "74"),
    }


# --- through the app, as Twilio drives a call -------------------------------------------------------


async def filed(caller, timeout=15.0):
    """The call's record once the agent has filed it."""
    deadline = time.monotonic() + timeout
    while True:
        call = await database_sync_to_async(Call.objects.filter(call_sid=caller.call_sid).first)()
        if call is not None and call.ended_at and call.outcome:
            return call
        if time.monotonic() > deadline:
            raise TimeoutError("the call was not filed")
        await asyncio.sleep(0.05)


async def greeted(caller):
    await caller.wait_for(lambda: caller.marks and not caller.is_playing, timeout=15)


async def twilio_reports_the_end(call, status, duration_s):
    """The status callback once the call is over (the caller's own link to the app is closed by then)."""
    form, signature = status_callback(status, duration_s, call_sid=call.call_sid)
    response = await AsyncClient().post("/twilio/status/", form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 204
    await database_sync_to_async(call.refresh_from_db)()
    return call.status, call.duration_s


@pytest.mark.django_db(transaction=True)
async def test_a_caller_who_hangs_up_leaves_a_completed_call_that_twilios_length_corrects(make_caller):
    caller = make_caller(application)
    await caller.dial()
    await greeted(caller)
    await caller.hang_up()

    call = await filed(caller)
    assert call.status == Call.Status.COMPLETED
    assert call.duration_s == round((call.ended_at - call.started_at).total_seconds())

    assert await twilio_reports_the_end(call, "completed", 38) == (Call.Status.COMPLETED, 38)
