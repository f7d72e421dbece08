"""The Twilio REST fake answers the real twilio SDK as api.twilio.com would."""

import re

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from fakes.twilio_rest import FakeTwilioRest

CALL_SID = "CA" + "1" * 32
TRANSFER = '<Response><Say>Transferring you.</Say><Dial timeout="20"><Number>+13125550123</Number></Dial></Response>'


@pytest.fixture
def fake():
    with FakeTwilioRest() as server:
        yield server


def client_for(fake, **kwargs):
    client = Client(fake.account_sid, fake.auth_token, **kwargs)
    client.api.base_url = fake.base_url
    return client


def test_a_call_is_redirected_to_new_twiml(fake):
    fake.add_call(CALL_SID, from_="+13125550142")
    call = client_for(fake).calls(CALL_SID).update(twiml=TRANSFER)

    assert call.sid == CALL_SID and call.status == "in-progress" and call._from == "+13125550142"
    assert fake.calls[CALL_SID]["twiml"] == TRANSFER
    request = fake.requests[-1]
    assert request.path == f"/2010-04-01/Accounts/{fake.account_sid}/Calls/{CALL_SID}.json"
    assert request.form == {"Twiml": TRANSFER} and request.authenticated


def test_a_call_is_hung_up_and_then_cannot_be_redirected(fake):
    client = client_for(fake)
    assert client.calls(CALL_SID).update(status="completed").status == "completed"

    with pytest.raises(TwilioRestException) as caught:
        client.calls(CALL_SID).update(twiml=TRANSFER)
    assert (caught.value.status, caught.value.code) == (400, 21220)


def test_an_unknown_call_is_a_404_when_asked_for(fake):
    fake.unknown_calls_404 = True
    with pytest.raises(TwilioRestException) as caught:
        client_for(fake).calls(CALL_SID).update(twiml=TRANSFER)
    assert (caught.value.status, caught.value.code) == (404, 20404)
    assert CALL_SID not in fake.calls


async def test_the_async_client_redirects_a_call(fake):
    http_client = AsyncTwilioHttpClient()
    client = client_for(fake, http_client=http_client)
    try:
        call = await client.calls(CALL_SID).update_async(twiml=TRANSFER)
    finally:
        await http_client.close()
    assert call.sid == CALL_SID
    assert fake.calls[CALL_SID]["updates"] == [{"Twiml": TRANSFER}]


def test_a_text_is_queued_and_can_be_fetched(fake):
    client = client_for(fake)
    message = client.messages.create(
        to="+13125550142",
        from_="+13125550100",
        body="See you Tuesday at 9.",
        status_callback="https://shop.example.com/twilio/sms-status/",
    )

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued" and message.to == "+13125550142" and message.body == "See you Tuesday at 9."
    recorded = fake.message(message.sid)
    assert recorded["status_callback"] == "https://shop.example.com/twilio/sms-status/"
    assert fake.requests[-1].form == {
        "To": "+13125550142",
        "From": "+13125550100",
        "Body": "See you Tuesday at 9.",
        "StatusCallback": "https://shop.example.com/twilio/sms-status/",
    }

    fake.set_message_status(message.sid, "delivered")
    assert client.messages(message.sid).fetch().status == "delivered"


def test_a_messaging_service_text_is_accepted(fake):
    message = client_for(fake).messages.create(
        to="+13125550142", messaging_service_sid="MG" + "2" * 32, body="Reminder: oil change tomorrow at 9."
    )
    assert message.status == "accepted" and message.messaging_service_sid == "MG" + "2" * 32


def test_an_invalid_number_is_error_21211_and_nothing_is_sent(fake):
    fake.invalid_numbers.add("+13125550199")
    client = client_for(fake)
    for number in ("+13125550199", "312-555"):
        with pytest.raises(TwilioRestException) as caught:
            client.messages.create(to=number, from_="+13125550100", body="Hi")
        assert (caught.value.status, caught.value.code) == (400, 21211)
        assert number in caught.value.msg
    assert fake.messages == []


@pytest.mark.parametrize("status, code", [(500, 20500), (429, 20429), (503, 20503)])
def test_injected_failures_happen_once_then_texts_go_through(fake, status, code):
    fake.fail_next(status, resource="Messages")
    client = client_for(fake)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="+13125550142", from_="+13125550100", body="Hi")
    assert (caught.value.status, caught.value.code) == (status, code)

    assert client.messages.create(to="+13125550142", from_="+13125550100", body="Hi").status == "queued"
    assert len(fake.messages) == 1


def test_a_failure_aimed_at_messages_leaves_calls_alone(fake):
    fake.fail_next(500, resource="Messages")
    assert client_for(fake).calls(CALL_SID).update(status="completed").status == "completed"


def test_a_wrong_auth_token_is_refused(fake):
    client = Client(fake.account_sid, "not-the-token")
    client.api.base_url = fake.base_url
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to="+13125550142", from_="+13125550100", body="Hi")
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert not fake.requests[-1].authenticated and fake.messages == []


def test_the_status_callback_is_signed_like_twilio_signs_it(fake):
    message = client_for(fake).messages.create(
        to="+13125550142",
        from_="+13125550100",
        body="Hi",
        status_callback="https://shop.example.com/twilio/sms-status/",
    )
    fake.set_message_status(message.sid, "undelivered", error_code=30003)
    url, params, signature = fake.status_callback(message.sid)

    assert params["MessageStatus"] == "undelivered" and params["ErrorCode"] == "30003"
    assert RequestValidator(fake.auth_token).validate(url, params, signature)
