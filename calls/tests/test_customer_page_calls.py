"""The customer's page in the back office shows their calls, each a link to its transcript, and the
messages the agent took for a callback (calls adds them: crm never imports calls)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, CallbackRequest
from crm.models import Customer

from .page_records import make_call


def page_of(customer):
    return reverse("admin:crm_customer_change", args=[customer.pk])


def day_words(moment):
    local = timezone.localtime(moment)
    return f"{local:%a %b} {local.day}, {local:%-I:%M %p}"


@pytest.fixture
def calls_and_a_message(customer, other_customer):
    booked = make_call(
        customer=customer,
        outcome=Call.Outcome.BOOKED,
        seconds=185,
        started_at=timezone.now() - timedelta(days=2),
        summary="Booked an oil change for Tuesday.",
    )
    message = make_call(customer=customer, outcome=Call.Outcome.MESSAGE, started_at=timezone.now() - timedelta(hours=3))
    callback = CallbackRequest.objects.create(
        call=message,
        customer=customer,
        name="Dana Whitfield",
        phone=customer.phone,
        reason="Wants a quote for brake pads",
        urgency=CallbackRequest.Urgency.SOON,
    )
    make_call(customer=other_customer, summary="Marcus asked about tires.")
    return booked, message, callback


def test_the_customer_page_lists_their_calls_linked_to_the_transcripts(
    signed_in, service_advisor, customer, calls_and_a_message
):
    booked, message, callback = calls_and_a_message
    page = signed_in(service_advisor).get(page_of(customer)).content.decode()

    for call in (booked, message):
        assert (
            f'<a href="{reverse("call_pages:detail", args=[call.call_sid])}">{day_words(call.started_at)}</a>' in page
        )
    assert "Booked an oil change for Tuesday." in page and "3:05" in page
    assert page.index(day_words(message.started_at)) < page.index(day_words(booked.started_at)), "newest first"
    assert "Marcus asked about tires." not in page


def test_the_customer_page_lists_their_callback_requests(
    signed_in, service_advisor, customer, calls_and_a_message, manager
):
    booked, message, callback = calls_and_a_message
    client = signed_in(service_advisor)
    assert "Not yet" in client.get(page_of(customer)).content.decode()

    callback.handled_at, callback.handled_by = timezone.now(), manager
    callback.save()
    page = client.get(page_of(customer)).content.decode()

    assert "Wants a quote for brake pads" in page and "Today" in page
    assert f"{day_words(callback.handled_at)} by morgan.manager" in page
    assert reverse("admin:calls_callbackrequest_change", args=[callback.pk]) in page


def test_saving_the_customer_does_not_need_the_calls_posted_back(
    signed_in, service_advisor, customer, calls_and_a_message
):
    data = {
        "name": "Dana W.",
        "phone": "(312) 555-0147",
        "email": "dana@example.com",
        "notes": "",
        "vehicles-TOTAL_FORMS": "0",
        "vehicles-INITIAL_FORMS": "0",
    }
    response = signed_in(service_advisor).post(page_of(customer), data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Dana W." and customer.calls.count() == 2 and customer.callback_requests.count() == 1


def test_the_page_needs_the_same_few_queries_however_many_calls(
    signed_in, service_advisor, django_assert_max_num_queries
):
    client = signed_in(service_advisor)
    few, many = (
        Customer.objects.create(name=name, phone=phone)
        for name, phone in (("Few Calls", "+13125550111"), ("Many Calls", "+13125550122"))
    )
    for who, count in ((few, 2), (many, 45)):
        for n in range(count):
            call = make_call(customer=who, from_number=who.phone, started_at=timezone.now() - timedelta(hours=n + 1))
            CallbackRequest.objects.create(
                call=call, customer=who, phone=who.phone, reason=f"Message {n}", created_at=call.started_at
            )
    client.get(page_of(few))

    with CaptureQueriesContext(connection) as counted:
        assert client.get(page_of(few)).status_code == 200
    with django_assert_max_num_queries(len(counted.captured_queries)):
        page = client.get(page_of(many)).content.decode()

    assert page.count(">transcript</a>") == 20, "the latest 20 callback requests link their calls"
    assert "Message 0" in page and "Message 44" not in page
