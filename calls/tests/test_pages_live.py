"""Live calls: the page lists calls in progress with what has been said so far, and its
WebSocket relays what the call recorder publishes (through Redis) to managers and advisors only."""

import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, Turn
from calls.transcript_log import CallRecorder
from ottos.asgi import application

from .page_records import ensure_staff_groups, make_call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def staff_groups(transactional_db):
    ensure_staff_groups()


def in_progress(**fields):
    return make_call(
        status=Call.Status.IN_PROGRESS, ended=False, started_at=timezone.now() - timedelta(minutes=2), **fields
    )


async def socket_for(user, signed_in, path="/ws/calls/live/"):
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if user is not None:
        client = await database_sync_to_async(signed_in)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def test_a_manager_sees_what_is_said_on_a_call_as_the_recorder_publishes_it(signed_in, manager):
    call = await database_sync_to_async(in_progress)()
    socket = await socket_for(manager, signed_in)
    connected, _ = await socket.connect()
    assert connected
    recorder = CallRecorder(call_id=call.pk, call_sid=call.call_sid)
    recorder.start()
    now = time.monotonic()
    recorder.turn(
        role="user", text="Do you do brake jobs?", heard_text="", interrupted=False, started_at=now - 2, ended_at=now
    )
    message = await socket.receive_json_from(timeout=5)
    assert message["call_sid"] == call.call_sid and message["kind"] == "turn"
    assert message["data"]["text"] == "Do you do brake jobs?" and message["data"]["role"] == "user"
    await recorder.close()
    await socket.disconnect()


async def test_a_socket_for_one_call_hears_only_that_call(signed_in, service_advisor):
    followed, other = await database_sync_to_async(lambda: (in_progress(), in_progress()))()
    socket = await socket_for(service_advisor, signed_in, f"/ws/calls/{followed.call_sid}/live/")
    assert (await socket.connect())[0]
    recorders = [CallRecorder(call_id=c.pk, call_sid=c.call_sid) for c in (other, followed)]
    for recorder in recorders:
        recorder.start()
        recorder.event("started", caller="+13125550147", customer=None)
    message = await socket.receive_json_from(timeout=5)
    assert message["call_sid"] == followed.call_sid
    assert await socket.receive_nothing(timeout=0.3)
    for recorder in recorders:
        await recorder.close()
    await socket.disconnect()


@pytest.mark.parametrize("persona", ["staff_without_group", "outsider", None])
async def test_anyone_else_is_closed_with_4403(request, signed_in, persona):
    user = await database_sync_to_async(request.getfixturevalue)(persona) if persona else None
    socket = await socket_for(user, signed_in)
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4403}


async def test_a_page_from_another_site_cannot_open_the_socket(signed_in, manager):
    socket = await socket_for(manager, signed_in)
    socket.scope["headers"] = [h for h in socket.scope["headers"] if h[0] != b"origin"] + [
        (b"origin", b"https://evil.example")
    ]
    connected, _ = await socket.connect()
    assert not connected


def test_the_page_lists_calls_in_progress_with_their_transcript_so_far(signed_in, manager, customer):
    call = in_progress(customer=customer)
    now = timezone.now()
    Turn.objects.create(
        call=call,
        index=0,
        role=Turn.Role.AGENT,
        text="Hi Dana, thanks for calling.",
        heard_text="Hi Dana, thanks for calling.",
        started_at=now,
        ended_at=now,
    )
    Turn.objects.create(
        call=call, index=1, role=Turn.Role.CALLER, text="Can I move my appointment?", started_at=now, ended_at=now
    )
    finished = make_call(from_number="+17735550199")
    stale = make_call(
        status=Call.Status.IN_PROGRESS, ended=False, from_number="+16305550142", started_at=now - timedelta(hours=3)
    )
    page = signed_in(manager).get(reverse("call_pages:live")).text
    assert f'data-call-sid="{call.call_sid}"' in page
    assert "Dana Whitfield" in page and "Can I move my appointment?" in page
    assert finished.call_sid not in page and stale.call_sid not in page
    assert 'data-ws-path="/ws/calls/live/"' in page and "js/live.js" in page


def test_the_fragment_reloaded_on_reconnect_holds_the_same_calls(signed_in, service_advisor):
    call = in_progress()
    fragment = signed_in(service_advisor).get(reverse("call_pages:live_fragment")).text
    assert f'data-call-sid="{call.call_sid}"' in fragment and "<html" not in fragment


def test_following_one_call(signed_in, manager):
    followed, other = in_progress(), in_progress()
    page = signed_in(manager).get(reverse("call_pages:live"), {"call": followed.call_sid}).text
    assert followed.call_sid in page and other.call_sid not in page
    assert f'data-ws-path="/ws/calls/{followed.call_sid}/live/"' in page


def test_no_calls_in_progress_says_so(signed_in, manager):
    assert "No calls in progress." in signed_in(manager).get(reverse("call_pages:live")).text


def test_the_live_page_runs_a_fixed_number_of_queries(
    signed_in, manager, django_assert_max_num_queries, shop_zone_cached
):
    for _ in range(10):
        call = in_progress()
        Turn.objects.create(
            call=call, index=0, role=Turn.Role.AGENT, text="Hello", started_at=timezone.now(), ended_at=timezone.now()
        )
    client = signed_in(manager)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("call_pages:live")).status_code == 200
