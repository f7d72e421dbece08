"""Advisors read calls and handle the messages the agent took, in the admin."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.models import Call, CallbackRequest, ToolInvocation, Turn

pytestmark = pytest.mark.django_db


@pytest.fixture
def advisor(client):
    user = User.objects.create_user("priya", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Service advisors"))
    client.force_login(user)
    return user


@pytest.fixture
def call(customer):
    call = Call.objects.create(
        call_sid="CA" + "f6" * 16,
        from_number=customer.phone,
        customer=customer,
        outcome="message",
        summary="Dana asked about brakes.",
    )
    now = timezone.now()
    Turn.objects.create(
        call=call,
        index=0,
        role="assistant",
        text="Hi Dana, thanks for calling.",
        heard_text="Hi Dana, thanks for calling.",
        started_at=now,
        ended_at=now,
    )
    Turn.objects.create(call=call, index=1, role="user", text="My brakes are grinding.", started_at=now, ended_at=now)
    ToolInvocation.objects.create(call=call, name="take_message", arguments="{}", result="{}", ok=True, duration_ms=12)
    return call


def test_an_advisor_reads_a_call_with_its_transcript_but_cannot_edit_it(client, advisor, call):
    page = client.get(f"/admin/calls/call/{call.pk}/change/")
    assert page.status_code == 200
    assert b"My brakes are grinding." in page.content
    assert b"take_message" in page.content
    assert b'name="_save"' not in page.content
    assert client.get("/admin/calls/call/add/").status_code == 403


def test_the_call_list_takes_a_fixed_number_of_queries(client, advisor, customer, shop_zone_cached):
    for n in range(30):
        Call.objects.create(call_sid=f"CA{n:032x}", from_number=customer.phone, customer=customer)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/calls/call/").status_code == 200
    Call.objects.create(call_sid="CA" + "9" * 32, from_number="anonymous")
    with CaptureQueriesContext(connection) as more:
        client.get("/admin/calls/call/")
    assert len(more) == len(few)


def test_an_advisor_sees_open_messages_and_marks_them_done(client, advisor, call, customer):
    waiting = CallbackRequest.objects.create(
        call=call, customer=customer, name="Dana", phone=customer.phone, reason="Brakes grinding", urgency="urgent"
    )
    someone = User.objects.create_user("marco", is_staff=True)
    handled = CallbackRequest.objects.create(
        name="Sam", phone="+13125550188", reason="Tire quote", handled_at=timezone.now(), handled_by=someone
    )
    open_list = client.get("/admin/calls/callbackrequest/?state=open")
    assert b"Brakes grinding" in open_list.content and b"Tire quote" not in open_list.content

    response = client.post(
        "/admin/calls/callbackrequest/", {"action": "mark_done", "_selected_action": [waiting.pk, handled.pk]}
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    handled.refresh_from_db()
    assert waiting.handled_by == advisor and not waiting.is_open
    assert handled.handled_by == someone, "a message someone else handled keeps its handler"
    assert b"Brakes grinding" not in client.get("/admin/calls/callbackrequest/?state=open").content


def test_someone_outside_the_staff_groups_sees_no_calls(client, call):
    outsider = User.objects.create_user("visitor", is_staff=True)
    client.force_login(outsider)
    assert client.get(f"/admin/calls/call/{call.pk}/change/").status_code == 403
    assert client.get("/admin/calls/callbackrequest/").status_code == 403
