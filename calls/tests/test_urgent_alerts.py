"""Urgent callback requests reach the advisors at once: a text to each on-call number through
Twilio (the loopback REST fake records it) and an e-mail, once per request, with what failed kept
on the request; and the urgent ones head the advisors' list."""

import pytest
from django.core import mail

from calls import actions
from calls.alerts import send_urgent_alert
from calls.models import Call, CallbackRequest

# Committed for real: the alert is queued when the message commits.
committed = pytest.mark.django_db(transaction=True)

ON_CALL = ["+17735550100", "+17735550101"]
SHOP_NUMBER = "+13125550100"


@pytest.fixture
def alerts(settings, twilio_rest):
    from ottos.celery import app

    settings.TWILIO_ACCOUNT_SID = twilio_rest.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio_rest.auth_token
    settings.TWILIO_API_BASE_URL = twilio_rest.base_url
    settings.TEXTS_FROM_NUMBER = SHOP_NUMBER
    settings.URGENT_ALERT_SMS_TO = ON_CALL
    settings.URGENT_ALERT_EMAIL_TO = ["service@ottos.example"]
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield twilio_rest
    app.conf.task_always_eager = saved


@pytest.fixture
def call(customer):
    return Call.objects.create(call_sid="CA" + "a1" * 16, from_number=customer.phone, customer=customer)


def message(call, customer, urgency, reason="My brakes went to the floor, I'm on the side of the road"):
    return actions.take_message(
        call_sid=call.call_sid,
        customer=customer,
        name=customer.name,
        phone=customer.phone,
        reason=reason,
        urgency=urgency,
    )


@committed
def test_an_urgent_message_texts_every_on_call_number_and_emails_the_advisors_once(shop, alerts, call, customer):
    callback = message(call, customer, CallbackRequest.Urgency.URGENT)
    texts = alerts.messages
    assert sorted(t["to"] for t in texts) == ON_CALL
    assert all(t["from"] == SHOP_NUMBER for t in texts)
    body = texts[0]["body"]
    assert body.startswith("URGENT message for ") and "Dana Whitfield" in body and "(312) 555-0147" in body
    assert "brakes went to the floor" in body
    assert [m.to for m in mail.outbox] == [["service@ottos.example"]] and mail.outbox[0].body == body
    callback.refresh_from_db()
    assert callback.alerted_at is not None and callback.alert_error == ""

    assert send_urgent_alert(callback.pk) == "not urgent, gone, or already alerted"  # a repeated task
    assert len(alerts.messages) == 2 and len(mail.outbox) == 1


@committed
def test_routine_and_same_day_messages_alert_nobody(shop, alerts, call, customer):
    message(call, customer, CallbackRequest.Urgency.ROUTINE, reason="A quote for tires, no rush")
    message(call, customer, CallbackRequest.Urgency.SOON, reason="Call me back today about the oil change")
    assert alerts.messages == [] and mail.outbox == []
    assert not CallbackRequest.objects.filter(alerted_at__isnull=False).exists()


@committed
def test_a_refused_text_is_recorded_and_the_email_still_goes(shop, alerts, call, customer):
    alerts.fail_next(500, resource="Messages", times=1)
    callback = message(call, customer, CallbackRequest.Urgency.URGENT)
    callback.refresh_from_db()
    assert len(alerts.messages) == 1 and len(mail.outbox) == 1
    assert "on-call number 1" in callback.alert_error and "500" in callback.alert_error
    assert "+1773" not in callback.alert_error  # the record names the entry, not the number


@pytest.mark.django_db
def test_with_no_alert_channel_nothing_is_sent_and_the_list_says_so(
    shop, settings, call, customer, client, service_advisor
):
    settings.URGENT_ALERT_SMS_TO = []
    settings.URGENT_ALERT_EMAIL_TO = []
    message(call, customer, CallbackRequest.Urgency.URGENT)
    client.force_login(service_advisor)
    assert b"not alerted (no alert channel set)" in client.get("/admin/calls/callbackrequest/").content


@pytest.mark.django_db
def test_open_urgent_requests_head_the_advisors_list(shop, settings, call, customer, client, service_advisor):
    settings.URGENT_ALERT_SMS_TO = []
    settings.URGENT_ALERT_EMAIL_TO = []
    message(call, customer, CallbackRequest.Urgency.ROUTINE, reason="Tire quote, newest")
    message(call, customer, CallbackRequest.Urgency.URGENT, reason="Smoke from the hood, oldest")
    message(call, customer, CallbackRequest.Urgency.SOON, reason="Today please, middle")
    client.force_login(service_advisor)
    page = client.get("/admin/calls/callbackrequest/").content.decode()
    order = [page.index(words) for words in ("Smoke from the hood", "Today please", "Tire quote")]
    assert order == sorted(order)
