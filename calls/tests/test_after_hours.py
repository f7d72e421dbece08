"""After hours (outside the opening hours, or on a closure) the shop's Settings page decides where a
call goes: to the agent, which answers and books as in opening hours (the default, and what it did
before the setting existed); to the voicemail ("take a message"); or to the advisor number
("transfer"), the voicemail when there is none. Driven through Twilio's signed incoming-call webhook."""

import xml.etree.ElementTree as ET
from datetime import time

import pytest
from django.utils import timezone

from calls.models import Call
from scheduling.models import Closure, OpeningHours
from scheduling.shop_settings import save_shop_settings

from .test_webhook import CALL_SID, incoming, signed_post

pytestmark = pytest.mark.django_db

ADVISOR_ON_PAGE = "+13125550199"


@pytest.fixture
def closed_today(shop):
    today = timezone.now().astimezone(shop.tz).date()
    return Closure.objects.create(start_date=today, end_date=today, reason="Inventory")


@pytest.fixture
def open_all_day(shop):
    weekday = timezone.now().astimezone(shop.tz).weekday()
    OpeningHours.objects.filter(weekday=weekday).delete()
    return OpeningHours.objects.create(weekday=weekday, opens=time(0), closes=time.max)


def ring(client, idempotency_token="ring-1"):
    headers = {"I-Twilio-Idempotency-Token": idempotency_token}
    response = signed_post(client, "/twilio/voice/", incoming(), headers=headers)
    assert response.status_code == 200
    return ET.fromstring(response.content)


def test_by_default_the_agent_answers_after_hours_as_it_always_did(client, twilio, closed_today):
    twiml = ring(client)
    assert twiml.find("Connect/Stream") is not None
    assert Call.objects.get(call_sid=CALL_SID).handover == ""


def test_take_a_message_sends_callers_to_the_voicemail_when_closed(client, twilio, closed_today):
    save_shop_settings(after_hours="message", advisor_number=ADVISOR_ON_PAGE)
    twiml = ring(client)
    assert twiml.find("Connect") is None and twiml.find("Dial") is None
    assert "Otto's Auto Repair. We're closed right now." in twiml.find("Say").text
    assert twiml.find("Record").get("action") == "https://agent.example.test/twilio/voicemail/"
    call = Call.objects.get(call_sid=CALL_SID)
    assert (call.handover, call.outcome, call.end_reason) == ("voicemail", "message", "after_hours")


def test_transfer_puts_callers_through_to_the_advisor_when_closed(client, twilio, closed_today):
    twilio.SHOP_ADVISOR_NUMBER = "+13125550123"  # the page's number wins
    save_shop_settings(after_hours="transfer", advisor_number=ADVISOR_ON_PAGE)
    twiml = ring(client)
    assert twiml.find("Connect") is None
    assert "We're closed right now. Let me put you through" in twiml.find("Say").text
    assert twiml.find("Dial/Number").text == ADVISOR_ON_PAGE
    call = Call.objects.get(call_sid=CALL_SID)
    assert (call.handover, call.outcome, call.transferred) == ("advisor", "transferred", True)

    whisper = signed_post(client, f"/twilio/whisper/{CALL_SID}/", {"CallSid": "CA" + "f6" * 16}).content
    assert "The shop is closed, so they come to you." in ET.fromstring(whisper).find("Say").text

    assert ring(client).find("Dial/Number").text == ADVISOR_ON_PAGE  # Twilio's retry: the same answer
    assert Call.objects.get(call_sid=CALL_SID).events.filter(kind="after_hours").count() == 1


def test_transfer_without_an_advisor_number_takes_a_message(client, twilio, closed_today):
    twilio.SHOP_ADVISOR_NUMBER = ""
    save_shop_settings(after_hours="transfer")
    twiml = ring(client)
    assert twiml.find("Dial") is None and twiml.find("Record") is not None
    assert Call.objects.get(call_sid=CALL_SID).handover == "voicemail"


def test_in_opening_hours_the_agent_answers_whatever_the_after_hours_setting(client, twilio, open_all_day):
    save_shop_settings(after_hours="transfer", advisor_number=ADVISOR_ON_PAGE)
    assert ring(client).find("Connect/Stream") is not None
    assert Call.objects.get(call_sid=CALL_SID).handover == ""
