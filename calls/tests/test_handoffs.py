"""No caller left hanging: when the agent cannot go on (it stops hearing the caller, it fails, its
stream breaks) the caller is put through to the advisor, who first hears who is calling and why;
when nobody picks up, or no advisor number is set, the caller leaves a voicemail, which is filed
for the advisors as a callback request and transcribed offline. Driven as Twilio would against
the app under the production server, with the Twilio REST fake serving the recording."""

import asyncio
import io
import time
import wave
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from twilio.request_validator import RequestValidator

from calls import actions
from calls.models import Call, CallbackRequest, Turn
from calls.pages.live_calls import calls_in_progress
from calls.tasks import COULD_NOT_TRANSCRIBE, transcribe_voicemail
from calls.telephony.transfer import transfer_twiml
from calls.tests import spoken as real
from calls.voice.audio import PHONE_RATE, mulaw_decode

from .conftest import ACCOUNT_SID, ADVISOR, AUTH_TOKEN, PUBLIC_URL

pytestmark = pytest.mark.django_db(transaction=True)

CALL_SID = "CA" + "d4" * 16
RECORDING_SID = "RE" + "e5" * 16
VOICEMAIL_WORDS = "My brakes failed and I'm stuck on the highway. Please call me back."


def db(fn, *args, **kwargs):
    return database_sync_to_async(fn)(*args, **kwargs)


@pytest.fixture
def run_tasks(settings):
    """Queued Celery tasks run in this process at once."""
    from ottos.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def wav_of(mulaw):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(PHONE_RATE)
        wav.writeframes(mulaw_decode(mulaw).astype("<i2").tobytes())
    return buffer.getvalue()


def signed_post(client, path, form, *, token=AUTH_TOKEN):
    signature = RequestValidator(token).compute_signature(PUBLIC_URL + path, form)
    return client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)


async def twilio_posts(live_app, path, form):
    """A webhook Twilio sends later in the call (the fake caller's own link may be gone by then)."""
    import httpx

    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
    async with httpx.AsyncClient(base_url=live_app.url, trust_env=False, timeout=60) as http:
        response = await http.post(path, data=form, headers={"X-Twilio-Signature": signature})
    return response.status_code, response.text


def tags(twiml):
    return [child.tag for child in ET.fromstring(twiml)]


def a_call(**fields):
    return Call.objects.create(
        call_sid=CALL_SID,
        from_number="+13125550147",
        to_number="+13125550100",
        status=Call.Status.IN_PROGRESS,
        stream_sid="MZ" + "1" * 32,
        **fields,
    )


async def greeted(caller):
    await caller.wait_for(lambda: caller.marks and not caller.is_playing, timeout=15)


async def eventually(query, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        found = await db(query)
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {query.__name__}")
        await asyncio.sleep(0.05)


def assert_dials_the_advisor(twiml, call_sid):
    dial = ET.fromstring(twiml).find("Dial")
    assert dial is not None, twiml
    assert dial.get("action") == PUBLIC_URL + "/twilio/dial-ended/"
    assert int(dial.get("timeout")) > 0
    number = dial.find("Number")
    assert number.text == ADVISOR
    assert number.get("url") == f"{PUBLIC_URL}/twilio/whisper/{call_sid}/"


def assert_records_a_voicemail(twiml):
    record = ET.fromstring(twiml).find("Record")
    assert record is not None, twiml
    assert record.get("action") == PUBLIC_URL + "/twilio/voicemail/"
    assert (record.get("maxLength"), record.get("playBeep")) == ("120", "true")
    assert tags(twiml)[0] == "Say"


# --- the whole call, against the server ------------------------------------------------------


async def test_when_speech_recognition_dies_mid_call_the_caller_is_put_through_to_the_advisor_who_hears_who_it_is(
    live_app, make_caller, phone_agent, deepgram, customer
):
    phone_agent.VOICE_FAILOVER = False  # no offline backup: the agent cannot hear the caller any more
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    deepgram.stt.reject_next(503, times=50)  # it cannot come back
    deepgram.stt.drop_open_streams()
    await asyncio.wait_for(caller.closed.wait(), 30)
    await caller.wait_for(lambda: caller.after_stream_twiml, timeout=10)
    assert_dials_the_advisor(caller.after_stream_twiml, caller.call_sid)

    def handed_over():
        return Call.objects.filter(call_sid=caller.call_sid, handover="advisor", outcome__gt="").first()

    call = await eventually(handed_over)
    assert call.end_reason == "stt_failed"
    assert call.status == Call.Status.IN_PROGRESS  # the caller is still on the line, with the advisor
    assert [c.call_sid for c in await db(calls_in_progress)] == [caller.call_sid]  # still live

    path = f"/twilio/whisper/{caller.call_sid}/"
    status, twiml = await caller.post_webhook(
        path, {"CallSid": "CA" + "f6" * 16, "AccountSid": ACCOUNT_SID, "ParentCallSid": caller.call_sid}
    )
    assert status == 200 and tags(twiml) == ["Say"]
    assert "Dana Whitfield" in ET.fromstring(twiml).find("Say").text

    status, twiml = await caller.post_webhook(
        "/twilio/dial-ended/",
        {
            "CallSid": caller.call_sid,
            "AccountSid": ACCOUNT_SID,
            "CallStatus": "in-progress",
            "DialCallStatus": "completed",
            "DialCallDuration": "95",
        },
    )
    assert tags(twiml) == ["Hangup"]  # the advisor took it and the conversation is over
    assert await db(calls_in_progress) == []  # and it leaves the live page
    call = await db(Call.objects.get, call_sid=caller.call_sid)
    assert (call.status, call.handover_ended_at is not None) == (Call.Status.COMPLETED, True)


async def test_an_unanswered_advisor_sends_the_caller_to_the_voicemail_which_is_filed_and_transcribed(
    live_app, make_caller, phone_agent, twilio_rest, customer, run_tasks, media, settings
):
    settings.URGENT_ALERT_SMS_TO = ["+17735550100"]  # the advisor on call
    settings.TEXTS_FROM_NUMBER = "+13125550100"
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.lose_stream()  # the agent is gone under the caller: Twilio asks what next
    assert_dials_the_advisor(caller.after_stream_twiml, caller.call_sid)

    form = {
        "CallSid": caller.call_sid,
        "AccountSid": ACCOUNT_SID,
        "CallStatus": "in-progress",
        "DialCallStatus": "no-answer",
    }
    status, twiml = await twilio_posts(live_app, "/twilio/dial-ended/", form)
    assert status == 200
    assert_records_a_voicemail(twiml)
    assert [c.call_sid for c in await db(calls_in_progress)] == [caller.call_sid]  # leaving a voicemail: live
    assert tags((await twilio_posts(live_app, "/twilio/dial-ended/", form))[1]) == ["Hangup"]  # a replay does nothing

    twilio_rest.add_recording(RECORDING_SID, wav_of(real.spoken(VOICEMAIL_WORDS) + real.silence(0.5)))
    recording_url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING_SID}"
    voicemail = {
        "CallSid": caller.call_sid,
        "AccountSid": ACCOUNT_SID,
        "CallStatus": "completed",
        "RecordingSid": RECORDING_SID,
        "RecordingUrl": recording_url,
        "RecordingDuration": "6",
    }
    status, twiml = await twilio_posts(live_app, "/twilio/voicemail/", voicemail)
    assert status == 200 and tags(twiml)[-1] == "Hangup"

    def transcribed():
        return CallbackRequest.objects.filter(recording_sid=RECORDING_SID).exclude(transcript="").first()

    callback = await eventually(transcribed, timeout=60)
    assert callback.phone == "+13125550147"
    assert callback.customer_id == customer.pk and callback.name == "Dana Whitfield"
    assert callback.reason.startswith("Voicemail: ")
    heard = callback.transcript.lower()
    assert "brakes" in heard and "call me back" in heard, heard
    assert callback.urgency == CallbackRequest.Urgency.URGENT

    def alert_texted():
        return twilio_rest.messages[0] if twilio_rest.messages else None

    alert = await eventually(alert_texted, timeout=10)
    assert alert["to"] == "+17735550100" and alert["body"].startswith("URGENT voicemail for ")
    assert "Dana Whitfield" in alert["body"] and "brakes" in alert["body"].lower()
    assert callback.recording and callback.recording_url == recording_url
    assert any(r.path.endswith(f"/Recordings/{RECORDING_SID}.wav") and r.authenticated for r in twilio_rest.requests)
    assert await db(calls_in_progress) == []

    await twilio_posts(live_app, "/twilio/voicemail/", voicemail)  # Twilio's retry, or a replay
    assert await db(CallbackRequest.objects.count) == 1


async def test_without_an_advisor_number_the_caller_goes_straight_to_the_voicemail(live_app, make_caller, phone_agent):
    phone_agent.SHOP_ADVISOR_NUMBER = ""
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    await caller.lose_stream()
    assert_records_a_voicemail(caller.after_stream_twiml)
    assert "<Dial" not in caller.after_stream_twiml
    call = await db(Call.objects.get, call_sid=caller.call_sid)
    assert call.handover == Call.Handover.VOICEMAIL


async def test_a_stream_message_over_the_limit_closes_the_stream_and_hands_the_caller_to_a_person(
    live_app, make_caller, phone_agent, settings
):
    caller = make_caller(live_app)
    await caller.dial()
    await greeted(caller)
    oversized = '{"event": "media", "media": {"payload": "' + "A" * settings.MEDIA_STREAM_MAX_MESSAGE_BYTES + '"}}'
    await caller.send_text(oversized)
    await asyncio.wait_for(caller.closed.wait(), timeout=10)  # the server dropped the socket
    await caller.wait_for(lambda: caller.after_stream_twiml is not None, timeout=10)
    assert_dials_the_advisor(caller.after_stream_twiml, caller.call_sid)
    call = await db(Call.objects.get, call_sid=caller.call_sid)
    assert call.end_reason == "stream_error"


# --- the webhooks one by one ----------------------------------------------------------------


def test_the_agent_failing_without_an_advisor_number_offers_the_voicemail(client, twilio):
    twilio.SHOP_ADVISOR_NUMBER = ""
    a_call(end_reason="agent_error: the voice session failed")
    response = signed_post(client, "/twilio/stream-ended/", {"CallSid": CALL_SID})
    assert_records_a_voicemail(response.content)
    assert "trouble" in ET.fromstring(response.content).find("Say").text


def test_a_goodbye_is_still_hung_up(client, twilio):
    twilio.SHOP_ADVISOR_NUMBER = ADVISOR
    a_call(end_reason="agent_ended")
    assert tags(signed_post(client, "/twilio/stream-ended/", {"CallSid": CALL_SID}).content) == ["Hangup"]
    assert Call.objects.get(call_sid=CALL_SID).handover == ""


def test_the_whisper_says_the_callers_name_and_why_they_called(client, twilio, customer):
    a_call(customer=customer, handover=Call.Handover.ADVISOR, summary="Wants a quote for a timing belt.")
    response = signed_post(client, f"/twilio/whisper/{CALL_SID}/", {"CallSid": "CA" + "f6" * 16})
    said = ET.fromstring(response.content).find("Say").text
    assert "Dana Whitfield" in said and "Wants a quote for a timing belt." in said


def test_the_whisper_for_an_unknown_caller_says_their_number_and_what_they_said(client, twilio):
    call = a_call(handover=Call.Handover.ADVISOR)
    now = timezone.now()
    Turn.objects.create(
        call=call, index=0, role=Turn.Role.CALLER, text="My check engine light is on", started_at=now, ended_at=now
    )
    said = ET.fromstring(signed_post(client, f"/twilio/whisper/{CALL_SID}/", {}).content).find("Say").text
    assert "(312) 555-0147" in said and "My check engine light is on" in said


def test_the_whisper_tells_nothing_once_the_hand_over_is_over(client, twilio, customer):
    a_call(customer=customer, handover=Call.Handover.ADVISOR, handover_ended_at=timezone.now(), summary="Secret")
    response = signed_post(client, f"/twilio/whisper/{CALL_SID}/", {})
    assert tags(response.content) == ["Hangup"] and b"Dana" not in response.content


@pytest.mark.parametrize("dial_status", ["no-answer", "busy", "failed", "canceled"])
def test_nobody_taking_the_call_leads_to_the_voicemail(client, twilio, dial_status):
    a_call(handover=Call.Handover.ADVISOR)
    form = {"CallSid": CALL_SID, "CallStatus": "in-progress", "DialCallStatus": dial_status}
    assert_records_a_voicemail(signed_post(client, "/twilio/dial-ended/", form).content)
    assert Call.objects.get(call_sid=CALL_SID).handover == Call.Handover.VOICEMAIL


def test_a_caller_who_hung_up_while_the_advisor_rang_is_not_offered_the_voicemail(client, twilio):
    a_call(handover=Call.Handover.ADVISOR)
    form = {"CallSid": CALL_SID, "CallStatus": "completed", "DialCallStatus": "canceled"}
    assert tags(signed_post(client, "/twilio/dial-ended/", form).content) == ["Hangup"]
    assert Call.objects.get(call_sid=CALL_SID).status == Call.Status.COMPLETED


def test_a_voicemail_for_a_call_not_at_the_voicemail_is_not_filed(client, twilio):
    a_call(handover=Call.Handover.ADVISOR)
    form = {"CallSid": CALL_SID, "RecordingSid": RECORDING_SID, "RecordingUrl": "https://api.twilio.com/x"}
    assert tags(signed_post(client, "/twilio/voicemail/", form).content) == ["Hangup"]
    assert not CallbackRequest.objects.exists()


@pytest.mark.parametrize("path", [f"/twilio/whisper/{CALL_SID}/", "/twilio/dial-ended/", "/twilio/voicemail/"])
def test_unsigned_or_forged_requests_are_refused(client, twilio, path):
    a_call(handover=Call.Handover.VOICEMAIL)
    form = {
        "CallSid": CALL_SID,
        "DialCallStatus": "no-answer",
        "RecordingSid": RECORDING_SID,
        "RecordingUrl": "https://api.twilio.com/x",
    }
    assert client.post(path, form).status_code == 403
    assert signed_post(client, path, form, token="someone-elses-token").status_code == 403
    assert not CallbackRequest.objects.exists()
    assert Call.objects.get(call_sid=CALL_SID).handover == Call.Handover.VOICEMAIL


# --- the voicemail's transcription --------------------------------------------------------------


def a_voicemail(settings, twilio_rest):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio_rest.account_sid, twilio_rest.auth_token
    settings.TWILIO_API_BASE_URL = twilio_rest.base_url
    a_call(handover=Call.Handover.VOICEMAIL)
    from unittest import mock

    with mock.patch("calls.tasks.queue_voicemail_transcription"):
        return actions.file_voicemail(
            CALL_SID, recording_sid=RECORDING_SID, recording_url="https://api.twilio.com/r", duration_s=4
        )


def test_a_recording_that_cannot_be_fetched_still_leaves_the_callback_request(
    settings, twilio_rest, media, monkeypatch
):
    monkeypatch.setattr("calls.tasks.DOWNLOAD_PAUSE_S", 0)
    callback = a_voicemail(settings, twilio_rest)  # the fake has no such recording: 404 every time
    assert callback.reason == "Voicemail (not transcribed yet)" and callback.phone == "+13125550147"
    assert transcribe_voicemail.apply(args=[callback.pk]).get() == "not_transcribed"
    callback.refresh_from_db()
    assert callback.reason == COULD_NOT_TRANSCRIBE
    assert callback.recording_url == "https://api.twilio.com/r" and not callback.recording


def test_a_recording_that_cannot_be_transcribed_still_leaves_the_callback_request(settings, twilio_rest, media):
    callback = a_voicemail(settings, twilio_rest)
    twilio_rest.add_recording(RECORDING_SID, b"RIFF not really a wav")
    assert transcribe_voicemail.apply(args=[callback.pk]).get() == "not_transcribed"
    callback.refresh_from_db()
    assert callback.reason == COULD_NOT_TRANSCRIBE and callback.recording  # the audio is kept for a person


@pytest.mark.django_db  # in a transaction: the staff groups come from a data migration
def test_the_advisor_can_listen_to_the_voicemail_in_the_admin(settings, twilio_rest, media, signed_in, service_advisor):
    callback = a_voicemail(settings, twilio_rest)
    twilio_rest.add_recording(RECORDING_SID, wav_of(real.silence(0.5)))
    transcribe_voicemail.apply(args=[callback.pk]).get()
    browser = signed_in(service_advisor)
    page = browser.get(f"/admin/calls/callbackrequest/{callback.pk}/change/")
    audio_url = f"/admin/calls/callbackrequest/{callback.pk}/voicemail/"
    assert page.status_code == 200 and audio_url.encode() in page.content
    audio = browser.get(audio_url)
    assert audio.status_code == 200 and b"".join(audio.streaming_content).startswith(b"RIFF")
    listing = browser.get("/admin/calls/callbackrequest/")
    assert audio_url.encode() in listing.content


# --- the agent's own transfer -----------------------------------------------------------------


def test_the_agents_transfer_whispers_to_the_advisor_and_falls_back_to_the_voicemail(twilio):
    twiml = transfer_twiml(ADVISOR, CALL_SID)
    assert_dials_the_advisor(twiml, CALL_SID)


async def test_a_transfer_by_pressing_0_carries_the_conversation_so_far(settings, shop):
    from calls.tests.scripted_calls import tools_for
    from calls.tests.test_tools import DANA, use
    from fakes.twilio_rest import FakeTwilioRest

    await db(a_call)
    with FakeTwilioRest() as twilio_rest:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio_rest.account_sid, twilio_rest.auth_token
        settings.TWILIO_API_BASE_URL = twilio_rest.base_url
        settings.SHOP_ADVISOR_NUMBER = ADVISOR
        settings.PUBLIC_BASE_URL = PUBLIC_URL
        tools = await tools_for(DANA, call_sid=CALL_SID)
        tools.outcome.caller_said("My car is making a grinding noise when I brake")
        outcome, _ = await use(tools, "transfer_to_advisor", {"reason": "caller pressed 0"})
        assert outcome.ok
        (update,) = twilio_rest.calls[CALL_SID]["updates"]
    assert_dials_the_advisor(update["Twiml"], CALL_SID)
    call = await db(Call.objects.get, call_sid=CALL_SID)
    assert call.summary == "Caller pressed 0. Caller said: My car is making a grinding noise when I brake"
    assert call.handover == Call.Handover.ADVISOR
