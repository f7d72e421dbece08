"""One call's page: the conversation with timestamps, what the caller heard versus what the
agent planned, tool calls, the per-turn latency chart, links into the admin and the audio."""

import re
from datetime import datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, CallbackRequest, CallRecording
from crm.actions import add_vehicle
from scheduling.actions import Actor, book_appointment

from .page_records import add_conversation, make_call

pytestmark = pytest.mark.django_db


def detail(client, call):
    return client.get(reverse("call_pages:detail", args=[call.call_sid]))


@pytest.fixture
def conversation(customer):
    return add_conversation(
        make_call(
            customer=customer,
            interruptions=1,
            started_at=datetime(2030, 3, 4, 15, 5, tzinfo=timezone.get_fixed_timezone(0)),
        )
    )


def test_it_shows_the_conversation_in_order_with_timestamps(signed_in, service_advisor, conversation):
    page = detail(signed_in(service_advisor), conversation).text
    said = [
        "Hi Dana, thanks for calling Otto&#x27;s Auto Repair.",
        "When can you fit me in for an oil change?",
        "We have Tuesday at nine in the morning.",
        "Actually Wednesday works",
    ]
    positions = [page.index(text) for text in said]
    assert positions == sorted(positions)
    assert "+0:04" in page and "+0:12" in page  # offsets from the start of the call
    assert "9:05:04 AM" in page  # and the shop-time clock beside them


def test_an_interrupted_turn_shows_what_the_caller_heard_against_what_was_planned(signed_in, manager, conversation):
    page = detail(signed_in(manager), conversation).text
    heard = re.search(r'<p class="heard">.*?</p>', page, re.S).group(0)
    planned = re.search(r'<p class="planned">.*?</p>', page, re.S).group(0)
    assert "We have Tuesday at nine in the morning." in heard and "Wednesday" not in heard
    assert "We have Tuesday at nine in the morning." in planned
    assert re.search(r"<del[^>]*>We also have Wednesday at ten thirty.</del>", planned)


def test_an_agent_cut_off_before_saying_anything_shows_nothing_heard(signed_in, manager, conversation):
    conversation.turns.filter(index=2).update(heard_text="")
    page = detail(signed_in(manager), conversation).text
    assert "(nothing)" in re.search(r'<p class="heard">.*?</p>', page, re.S).group(0)


def test_tool_calls_expand_to_their_arguments_result_and_duration(signed_in, manager, conversation):
    page = detail(signed_in(manager), conversation).text
    tool = re.search(r'<li class="tool">.*?</li>', page, re.S).group(0)
    assert "<details>" in tool and "get_available_slots" in tool and "43 ms" in tool
    assert "&quot;service&quot;: &quot;Oil change&quot;" in tool  # arguments, pretty-printed
    assert "2030-03-06T10:30" in tool
    # the tool ran between the caller's question and the agent's answer
    assert page.index("When can you fit me in") < page.index("get_available_slots") < page.index("We have Tuesday")


def test_a_failed_tool_says_so(signed_in, manager, conversation):
    conversation.tool_invocations.update(ok=False, result="not json at all")
    page = detail(signed_in(manager), conversation).text
    assert '<li class="tool failed">' in page and "not json at all" in page


def test_the_latency_of_each_reply_is_a_chart_with_its_figures(signed_in, manager, conversation):
    page = detail(signed_in(manager), conversation).text
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg
    assert svg.count("<rect") >= 3 * 4  # a stacked bar per reply: STT, LLM, TTS, first audio
    assert "Turn 1: → first LLM token 360 ms" in svg.replace("&gt;", ">").replace("&#x27;", "'")
    assert "Turn 5: Voice-to-voice 1,400 ms" in svg
    for stage in ("Speech end → final transcript", "→ first LLM token", "→ first TTS byte", "Voice-to-voice"):
        assert stage in page


def test_a_call_without_timed_replies_says_so(signed_in, manager):
    call = make_call(voice_to_voice=())
    assert "No replies were timed on this call." in detail(signed_in(manager), call).text


def test_it_links_to_the_customer_vehicle_appointment_and_message_in_the_admin(
    signed_in, manager, conversation, customer, shop, oil_change
):
    vehicle = add_vehicle(customer, year=2019, make="Honda", model="Civic")
    start = timezone.localtime() + timedelta(days=3)
    while start.weekday() > 4:
        start += timedelta(days=1)
    start = start.replace(hour=9, minute=0, second=0, microsecond=0)
    appointment = book_appointment(
        customer=customer,
        service_type=oil_change,
        start=start,
        vehicle=vehicle,
        actor=Actor.phone_agent(conversation.call_sid),
    )
    book_appointment(
        customer=customer,
        service_type=oil_change,
        start=start + timedelta(hours=1),
        actor=Actor.phone_agent("CAanothercall"),
    )
    message = CallbackRequest.objects.create(call=conversation, customer=customer, reason="Asked about a quote")
    page = detail(signed_in(manager), conversation).text
    assert reverse("admin:crm_customer_change", args=[customer.pk]) in page
    assert reverse("admin:crm_vehicle_change", args=[vehicle.pk]) in page
    assert reverse("admin:scheduling_appointment_change", args=[appointment.pk]) in page
    assert page.count("/admin/scheduling/appointment/") == 1, "only the appointment made on this call"
    assert reverse("admin:calls_callbackrequest_change", args=[message.pk]) in page


def test_a_call_from_an_unknown_number_has_no_customer_link(signed_in, manager):
    call = make_call(from_number="anonymous")
    page = detail(signed_in(manager), call).text
    assert "No customer on file for this number." in page and "/admin/crm/customer/" not in page


def test_the_recording_plays_when_one_is_stored(signed_in, manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.RECORDING_ENABLED = True
    call = make_call()
    client = signed_in(manager)
    assert "No recording is stored for this call." in detail(client, call).text
    assert client.get(reverse("call_pages:audio", args=[call.call_sid])).status_code == 404

    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28
    CallRecording.objects.create(call=call, audio=ContentFile(wav, name=f"{call.call_sid}.wav"))
    page = detail(client, call).text
    audio_url = reverse("call_pages:audio", args=[call.call_sid])
    assert f'<audio controls preload="metadata" src="{audio_url}">' in page
    response = client.get(audio_url)
    assert response["Content-Type"] == "audio/wav" and b"".join(response.streaming_content) == wav


def test_a_purged_recording_file_is_not_offered(signed_in, manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call = make_call()
    recording = CallRecording.objects.create(call=call, audio=ContentFile(b"RIFF", name="gone.wav"))
    recording.audio.storage.delete(recording.audio.name)
    assert "<audio" not in detail(signed_in(manager), call).text


def test_recording_off_is_explained(signed_in, manager, settings):
    settings.RECORDING_ENABLED = False
    assert "Call recording is off" in detail(signed_in(manager), make_call()).text


def test_the_recording_is_refused_to_other_staff(signed_in, staff_without_group, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call = make_call()
    CallRecording.objects.create(call=call, audio=ContentFile(b"RIFF", name="x.wav"))
    assert signed_in(staff_without_group).get(reverse("call_pages:audio", args=[call.call_sid])).status_code == 403


def test_a_call_in_progress_links_to_the_live_page(signed_in, manager):
    call = make_call(status=Call.Status.IN_PROGRESS, ended=False)
    page = detail(signed_in(manager), call).text
    assert "This call is in progress." in page
    assert f"{reverse('call_pages:live')}?call={call.call_sid}" in page


def test_what_happened_behind_the_scenes_is_listed(signed_in, manager, conversation):
    page = detail(signed_in(manager), conversation).text
    assert "vendor_error" in page and "HTTP 503" in page


def test_the_detail_page_runs_a_fixed_number_of_queries(
    signed_in, manager, customer, django_assert_max_num_queries, shop_zone_cached
):
    call = add_conversation(make_call(customer=customer, voice_to_voice=[900.0] * 40))
    client = signed_in(manager)
    with django_assert_max_num_queries(14):
        assert detail(client, call).status_code == 200
