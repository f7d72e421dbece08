"""Texts, call transfers and the vendor probe reach Twilio through one client: the account's
credentials, a timeout, and TWILIO_API_BASE_URL when set. Checked against a loopback Twilio."""

import pytest
from twilio.base.exceptions import TwilioRestException

from fakes.twilio_rest import FakeTwilioRest
from ottos.lib.twilio_rest import rest_client


@pytest.fixture
def twilio(settings):
    with FakeTwilioRest() as fake:
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_API_BASE_URL = fake.base_url + "/"  # as an operator may well write it
        yield fake


def test_it_sends_with_the_accounts_credentials_to_the_configured_server(twilio):
    client = rest_client(timeout=4)

    sent = client.messages.create(to="+13125550142", from_="+13125550100", body="See you Tuesday")

    assert twilio.message(sent.sid)["body"] == "See you Tuesday"
    assert [r.authenticated for r in twilio.requests] == [True]
    assert client.http_client.timeout == 4


def test_wrong_credentials_are_refused(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"

    with pytest.raises(TwilioRestException) as refused:
        rest_client(timeout=4).messages.create(to="+13125550142", from_="+13125550100", body="Hi")

    assert refused.value.status == 401 and twilio.messages == []


async def test_the_asynchronous_client_updates_a_live_call(twilio):
    twilio.add_call("CA0123456789abcdef0123456789abcdef")
    client = rest_client(timeout=4, asynchronous=True)
    try:
        await client.calls("CA0123456789abcdef0123456789abcdef").update_async(twiml="<Response><Hangup/></Response>")
    finally:
        await client.http_client.close()

    [update] = twilio.calls["CA0123456789abcdef0123456789abcdef"]["updates"]
    assert update["Twiml"] == "<Response><Hangup/></Response>"
    assert client.http_client.timeout == 4
