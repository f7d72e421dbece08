"""The browser phone's page and the call it places: only managers and advisors get in; the page
gets what Twilio would get from the webhook (a Call record and a single-use stream token), and
the media-stream consumer takes the browser's stream on that token alone."""

import base64
import json
import secrets

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from calls import actions
from calls.models import Call
from calls.telephony.tokens import InvalidCallToken, redeem_call_token
from ottos.asgi import application

from .page_records import ensure_staff_groups, make_call

DANA = "+13125550147"
STREAM_SID = "MZ" + "5" * 32


@pytest.fixture
def page():
    return reverse("phone:page")


@pytest.fixture
def start():
    return reverse("phone:start_call")


# --- who may use it -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_visitors_who_are_not_signed_in_are_sent_to_the_login(client, page, start):
    for response in (client.get(page), client.post(start, {"caller": DANA})):
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_staff_outside_the_call_groups_and_outsiders_are_refused(signed_in, staff_without_group, outsider, page, start):
    for person in (staff_without_group, outsider):
        client = signed_in(person)
        assert client.get(page).status_code == 403
        assert client.post(start, {"caller": DANA}).status_code == 403
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_managers_and_advisors_get_the_phone(signed_in, manager, service_advisor, page, customer):
    for person in (manager, service_advisor):
        response = signed_in(person).get(page)
        assert response.status_code == 200
        html = response.text
        assert 'id="phone-call"' in html and 'id="phone-hang-up"' in html
        assert "js/phone.js" in html and "js/phone-worklet.js" in html
        assert f'value="{DANA}"' in html, "the demo customer is offered as the caller"
        assert f'href="{page}" aria-current="page"' in html, "the layout's navigation leads here"


@pytest.mark.django_db
def test_without_the_demo_customer_the_caller_box_starts_empty(signed_in, manager, page):
    assert 'name="caller" type="tel" autocomplete="off" value=""' in signed_in(manager).get(page).text


# --- placing a call ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_placing_a_call_opens_it_like_the_webhook_and_hands_over_a_single_use_token(
    signed_in, manager, customer, start
):
    response = signed_in(manager).post(start, {"caller": "(312) 555-0147"})
    assert response.status_code == 201
    info = response.json()
    call = Call.objects.get(call_sid=info["call_sid"])
    assert (call.from_number, call.customer, call.status) == (DANA, customer, Call.Status.RINGING)
    assert call.to_number == "browser:morgan.manager"
    assert (info["caller"], info["customer"]) == (DANA, "Dana Whitfield")
    assert info["stream_path"] == "/ws/twilio/media/"
    assert info["live_path"] == f"/ws/calls/{call.call_sid}/live/"
    assert info["details_url"] == reverse("call_pages:detail", args=[call.call_sid])
    redeem_call_token(info["call_token"], call_sid=call.call_sid, caller=DANA, stream_sid=STREAM_SID)
    with pytest.raises(InvalidCallToken, match="already used"):
        redeem_call_token(info["call_token"], call_sid=call.call_sid, caller=DANA, stream_sid=STREAM_SID)


@pytest.mark.django_db
def test_a_number_that_is_not_a_phone_number_is_refused_with_a_reason(signed_in, service_advisor, start):
    response = signed_in(service_advisor).post(start, {"caller": "555-01"})
    assert response.status_code == 400
    assert "not a valid phone number" in response.json()["error"] or "not a phone number" in response.json()["error"]
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_an_empty_number_calls_with_caller_id_withheld(signed_in, service_advisor, customer, start):
    info = signed_in(service_advisor).post(start, {"caller": ""}).json()
    call = Call.objects.get(call_sid=info["call_sid"])
    assert call.from_number == info["caller"] == "client:avery.advisor"
    assert call.customer is None and info["caller_display"] == "a withheld number"


@pytest.mark.django_db
def test_placing_a_call_needs_a_post_with_the_pages_csrf_token(manager, start):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.get(start).status_code == 405
    assert client.post(start, {"caller": DANA}).status_code == 403, "another site cannot place calls as staff"
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_outcome_of_a_browser_call_is_readable_once_filed(signed_in, manager, customer, start):
    client = signed_in(manager)
    info = client.post(start, {"caller": DANA}).json()
    outcome_url = info["outcome_url"]
    assert client.get(outcome_url).json()["ended"] is False
    actions.finish_call(
        info["call_sid"],
        end_reason="caller_hung_up",
        outcomes={Call.Outcome.BOOKED},
        caller_spoke=True,
        summary="Booked Oil change for Tuesday at 9 AM.",
    )
    result = client.get(outcome_url).json()
    assert result == {
        "call_sid": info["call_sid"],
        "ended": True,
        "outcome": "booked",
        "outcome_display": "Booked",
        "summary": "Booked Oil change for Tuesday at 9 AM.",
    }


@pytest.mark.django_db
def test_the_outcome_endpoint_shows_browser_calls_only(signed_in, manager):
    phoned_in = make_call()
    response = signed_in(manager).get(reverse("phone:outcome", args=[phoned_in.call_sid]))
    assert response.status_code == 404


# --- the browser's stream on the media-stream consumer ----------------------------------------------


async def browser_stream(info, *, cookie):
    """Open the media stream as phone.js does: same origin, the session cookie, no Twilio signature."""
    socket = WebsocketCommunicator(
        application,
        info["stream_path"],
        headers=[
            (b"host", b"127.0.0.1:8000"),
            (b"origin", b"http://127.0.0.1:8000"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, _ = await socket.connect(timeout=10)
    assert connected
    stream_sid = "MZ" + secrets.token_hex(16)
    await socket.send_json_to({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    await socket.send_json_to(
        {
            "event": "start",
            "sequenceNumber": "1",
            "streamSid": stream_sid,
            "start": {
                "streamSid": stream_sid,
                "accountSid": "AC" + "0" * 32,
                "callSid": info["call_sid"],
                "tracks": ["inbound"],
                "customParameters": {"call_token": info["call_token"], "caller": info["caller"]},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }
    )
    return socket, stream_sid


async def place(manager, start, caller=DANA):
    def post():
        client = Client()
        client.force_login(manager)
        return client.post(start, {"caller": caller}).json(), f"sessionid={client.cookies['sessionid'].value}"

    return await database_sync_to_async(post)()


async def closed_with(socket):
    while True:
        message = await socket.receive_output(timeout=10)
        if message["type"] == "websocket.close":
            return message.get("code")


@pytest.fixture
def staff_groups(transactional_db):
    ensure_staff_groups()


async def test_the_consumer_takes_the_browsers_stream_on_its_token_once(
    staff_groups, phone_agent, manager, customer, start
):
    info, cookie = await place(manager, start)
    socket, stream_sid = await browser_stream(info, cookie=cookie)
    first = json.loads(await socket.receive_from(timeout=15))
    while first["event"] != "media":
        first = json.loads(await socket.receive_from(timeout=15))
    assert first["streamSid"] == stream_sid and base64.b64decode(first["media"]["payload"]), "the agent greets"
    await socket.send_json_to(
        {
            "event": "stop",
            "sequenceNumber": "2",
            "streamSid": stream_sid,
            "stop": {"accountSid": "AC" + "0" * 32, "callSid": info["call_sid"]},
        }
    )
    assert await closed_with(socket) == 1000
    call = await database_sync_to_async(Call.objects.get)(call_sid=info["call_sid"])
    assert call.ended_at is not None and call.stream_sid == stream_sid

    replay, _ = await browser_stream(info, cookie=cookie)
    assert await closed_with(replay) == 4401, "the page's token is spent"


async def test_the_browsers_token_does_not_open_a_stream_for_another_caller(staff_groups, manager, customer, start):
    info, cookie = await place(manager, start)
    socket, _ = await browser_stream({**info, "caller": "+17735550199"}, cookie=cookie)
    assert await closed_with(socket) == 4401
    call = await database_sync_to_async(Call.objects.get)(call_sid=info["call_sid"])
    assert call.stream_sid == "" and call.ended_at is None
