"""The managers' Settings page: the shop's name, address, phone and time zone, what callers hear,
where transfers ring, recording and confirmation texts. Managers only; phone numbers typed any way
are stored E.164; bad input is refused with the reason and loses nothing typed; the page's values
beat the environment's; the next call greets, records and transfers as the page says; pages show
times in the zone the page saved; a SHOP_TIME_ZONE that disagrees with it is reported."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from calls.agent.call import load_call_data
from calls.agent.engines import engines_for_call
from calls.agent.greeting import voice_config
from calls.agent.tools import CallTools
from calls.call_audio import tape_for_call
from calls.management.commands.check_services import SERVICES
from calls.models import Call
from fakes.twilio_rest import FakeTwilioRest
from ottos.lib.probes import OK
from scheduling.models import ShopProfile
from scheduling.shop_settings import save_shop_settings, shop_settings
from scheduling.shop_time_zone import time_zones_agree

from .page_records import make_call
from .test_handoffs import signed_post
from .test_tools import use

pytestmark = pytest.mark.django_db

SETTINGS = reverse("call_pages:settings")
CALL_SID = "CA" + "a7" * 16
STREAM_SID = "MZ" + "2" * 32
DANA = "+13125550147"


def form(**changes):
    """The form as the manager sees it for the `shop` fixture, with `changes` typed in."""
    return {
        "name": "Otto's Auto Repair",
        "address": "1200 W Fulton St, Chicago, IL 60607",
        "phone": "(312) 555-0100",
        "timezone": "America/Chicago",
        "greeting": "",
        "recording_disclosure": "",
        "advisor_number": "",
        "recording_enabled": "",
        "text_confirmations": "on",
        "after_hours": "book",
        **changes,
    }


@pytest.fixture
def manager_client(signed_in, manager):
    return signed_in(manager)


# --- who may ---------------------------------------------------------------------------------


def test_an_advisor_is_refused(signed_in, service_advisor, shop):
    advisor = signed_in(service_advisor)
    assert advisor.get(SETTINGS).status_code == 403
    assert advisor.post(SETTINGS, form(name="Not Otto's")).status_code == 403
    assert ShopProfile.load().name == "Otto's Auto Repair"
    assert SETTINGS not in advisor.get(reverse("home")).content.decode()  # no link in their header


def test_a_visitor_is_sent_to_sign_in(client, shop):
    response = client.get(SETTINGS)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_managers_reach_it_from_the_header(manager_client, shop):
    home = manager_client.get(reverse("home")).content.decode()
    assert f'href="{SETTINGS}"' in home
    page = manager_client.get(SETTINGS)
    assert page.status_code == 200
    assert page.context["form"]["phone"].value() == "(312) 555-0100"
    assert page.context["form"]["timezone"].value() == "America/Chicago"


# --- saving ------------------------------------------------------------------------------------


def test_phone_numbers_typed_any_way_are_stored_e164(manager_client, shop):
    response = manager_client.post(SETTINGS, form(phone="312.555.0111", advisor_number="(312) 555-0199"))
    assert response.status_code == 302
    profile = ShopProfile.load()
    assert (profile.phone, profile.advisor_number) == ("+13125550111", "+13125550199")
    page = manager_client.get(SETTINGS)
    assert "Settings saved" in page.content.decode()
    assert page.context["form"]["advisor_number"].value() == "(312) 555-0199"


def test_bad_input_is_refused_with_the_reason_and_nothing_typed_is_lost(manager_client, shop):
    typed = form(
        advisor_number="555-01",
        timezone="Mars/Olympus",
        greeting="Otto's, front desk.",
        address="1300 W Fulton St, Chicago",
        recording_enabled="off",
    )
    response = manager_client.post(SETTINGS, typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    errors = response.context["form"].errors
    assert "not a valid phone number" in errors["advisor_number"][0]
    assert "Mars/Olympus" in errors["timezone"][0]
    kept = response.context["form"]
    assert kept["greeting"].value() == "Otto's, front desk."
    assert kept["address"].value() == "1300 W Fulton St, Chicago"
    assert kept["recording_enabled"].value() == "off"
    assert kept["advisor_number"].value() == "555-01"
    profile = ShopProfile.load()
    assert (profile.greeting, profile.address, profile.recording_enabled) == (
        "",
        "1200 W Fulton St, Chicago, IL 60607",
        None,
    )


def test_a_shop_needs_a_name(manager_client, shop):
    response = manager_client.post(SETTINGS, form(name="", greeting="Hello there."))
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert response.context["form"]["greeting"].value() == "Hello there."
    assert ShopProfile.load().name == "Otto's Auto Repair"


# --- the page beats the environment --------------------------------------------------------------


def test_the_page_beats_the_environment_and_blank_fields_fall_back_to_it(manager_client, shop, settings):
    settings.SHOP_ADVISOR_NUMBER = "+13125550123"
    settings.RECORDING_ENABLED = True
    settings.RECORDING_DISCLOSURE = "This call is recorded."
    before = shop_settings()
    assert (before.advisor_number, before.recording_enabled, before.recording_disclosure) == (
        "+13125550123",
        True,
        "This call is recorded.",
    )

    manager_client.post(
        SETTINGS,
        form(advisor_number="(773) 555-0100", recording_enabled="off", recording_disclosure="We keep notes."),
    )
    after = shop_settings()
    assert (after.advisor_number, after.recording_enabled, after.recording_disclosure) == (
        "+17735550100",
        False,
        "We keep notes.",
    )

    manager_client.post(SETTINGS, form())  # every field blank again: the environment's values
    assert shop_settings() == before


# --- the next call -----------------------------------------------------------------------------------


def test_the_next_call_greets_records_and_hands_over_as_the_page_says(manager_client, shop, customer, twilio, client):
    twilio.SHOP_ADVISOR_NUMBER = "+13125550123"  # the environment's, which the page overrides
    twilio.RECORDING_ENABLED = True
    manager_client.post(
        SETTINGS,
        form(
            advisor_number="(312) 555-0199",
            greeting="Otto's, front desk.",
            recording_disclosure="We keep notes of this call.",
            recording_enabled="off",
        ),
    )

    Call.objects.create(call_sid=CALL_SID, from_number=DANA, to_number="+13125550100", status=Call.Status.IN_PROGRESS)
    data = load_call_data(CALL_SID, STREAM_SID, DANA)  # what the agent loads when the stream starts
    config = voice_config(shop=data.shop_settings, customer=data.customer)
    assert config.greeting == "Hi Dana. Otto's, front desk."
    assert config.recording_disclosure == "We keep notes of this call. How can I help you today?"
    assert tape_for_call(data.call.pk, CALL_SID, recording=data.shop_settings.recording_enabled) is None

    # The agent fails: Twilio asks what next, and the caller is put through to the page's number.
    Call.objects.filter(call_sid=CALL_SID).update(end_reason="agent_error: the voice session failed")
    twiml = signed_post(client, "/twilio/stream-ended/", {"CallSid": CALL_SID}).content
    assert ET.fromstring(twiml).find("Dial/Number").text == "+13125550199"
    assert Call.objects.get(call_sid=CALL_SID).handover == Call.Handover.ADVISOR


@pytest.mark.django_db(transaction=True)
async def test_the_agents_transfer_rings_the_number_on_the_page(shop, settings):
    with FakeTwilioRest() as twilio:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio.account_sid, twilio.auth_token
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.SHOP_ADVISOR_NUMBER = "+13125550123"
        await database_sync_to_async(save_shop_settings)(advisor_number="+13125550199")
        await database_sync_to_async(Call.objects.create)(call_sid=CALL_SID, from_number=DANA, to_number="+13125550100")
        data = await database_sync_to_async(load_call_data)(CALL_SID, STREAM_SID, DANA)
        tools = CallTools(
            call_sid=CALL_SID,
            caller_phone=data.phone,
            service_names=data.service_names,
            timezone=data.shop.tz,
            advisor_number=data.shop_settings.advisor_number,
        )
        outcome, _ = await use(tools, "transfer_to_advisor", {"summary": "Dana wants a person."})
        assert outcome.ok and outcome.hands_over
        (update,) = twilio.calls[CALL_SID]["updates"]
        assert "+13125550199" in update["Twiml"] and "+13125550123" not in update["Twiml"]


# --- time zone -----------------------------------------------------------------------------------------


def test_pages_show_times_in_the_zone_the_page_saved(manager_client, shop):
    call = make_call(started_at=datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    detail = reverse("call_pages:detail", args=[call.call_sid])
    assert "Tuesday, Mar 10, 2026 10:30:00 AM" in manager_client.get(detail).content.decode()  # Chicago, CDT

    manager_client.post(SETTINGS, form(timezone="Asia/Tokyo"))
    assert ShopProfile.load().timezone == "Asia/Tokyo"
    assert "Wednesday, Mar 11, 2026 12:30:00 AM" in manager_client.get(detail).content.decode()


def test_the_zone_list_has_every_iana_zone_with_american_ones_first(manager_client, shop):
    choices = [value for value, _ in manager_client.get(SETTINGS).context["form"].fields["timezone"].choices]
    assert choices[0].startswith("America/")
    assert {"America/Chicago", "Pacific/Honolulu", "Europe/Berlin", "Asia/Tokyo", "UTC"} <= set(choices)
    assert choices.index("Pacific/Honolulu") < choices.index("Africa/Abidjan")


def test_a_shop_time_zone_that_disagrees_with_the_page_is_reported_as_only_the_default(shop, settings):
    settings.SHOP_TIME_ZONE = "America/Chicago"
    assert time_zones_agree() == []
    save_shop_settings(timezone="America/Denver")

    (warning,) = time_zones_agree()
    assert "SHOP_TIME_ZONE is America/Chicago" in warning.msg and "America/Denver" in warning.msg
    assert "The Settings page's zone is in force" in warning.hint
    probe = SERVICES["Shop time zone"](5.0)  # a line of `manage.py check_services`: said, not a failure
    assert probe.status == OK and "America/Denver" in probe.detail and "in force" in probe.detail

    settings.SHOP_TIME_ZONE = "America/Denver"
    assert time_zones_agree() == []
    assert SERVICES["Shop time zone"](5.0).status == OK


def test_the_admin_shows_these_settings_but_leaves_changing_them_to_the_page(manager_client, shop):
    page = manager_client.get(reverse("admin:scheduling_shopprofile_change", args=[shop.pk])).content.decode()
    assert "changed on the Settings page" in page
    assert 'name="advisor_number"' not in page and 'name="timezone"' not in page
    assert 'name="bays"' in page  # the booking rules stay in the admin


# --- the voice -------------------------------------------------------------------------------------------


def test_the_voice_is_one_of_deepgrams(manager_client, shop):
    assert manager_client.post(SETTINGS, form(voice="aura-2-apollo-en")).status_code == 302
    assert ShopProfile.load().voice == "aura-2-apollo-en"
    refused = manager_client.post(SETTINGS, form(voice="robot-9000"))
    assert refused.status_code == 400 and "robot-9000" in refused.context["form"].errors["voice"][0]
    assert ShopProfile.load().voice == "aura-2-apollo-en"


@pytest.mark.django_db(transaction=True)
async def test_the_next_call_speaks_in_the_voice_on_the_page(settings, deepgram, shop):
    settings.DEEPGRAM_API_KEY, settings.DEEPGRAM_BASE_URL = deepgram.api_key, deepgram.base_url
    settings.VOICE_STT, settings.VOICE_TTS, settings.VOICE_BRAIN = "deepgram", "deepgram", "scripted"
    settings.VOICE_FAILOVER = False
    settings.VOICE_TTS_MODEL = "aura-2-thalia-en"  # the environment's, which the page overrides
    await database_sync_to_async(save_shop_settings)(voice="aura-2-apollo-en")
    await database_sync_to_async(Call.objects.create)(call_sid=CALL_SID, from_number=DANA, to_number="+13125550100")
    data = await database_sync_to_async(load_call_data)(CALL_SID, STREAM_SID, DANA)

    engines = engines_for_call(timezone=data.shop.tz, voice=data.shop_settings.voice)  # as AgentCall.start does
    try:
        audio = b"".join([chunk async for chunk in engines.tts.synthesize("Thanks for calling.")])
    finally:
        await engines.close()
    assert audio
    assert [request.query["model"] for request in deepgram.tts.requests] == ["aura-2-apollo-en"]
