"""The advisors' callbacks inbox: open requests urgent first then newest, who / number / topic /
urgency / when and a link to the call; "Called back" with a note through calls.actions (who and
when recorded, first one wins); the done filter; the open count in every staff page's header;
who may use it; a query count that does not grow with the inbox."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.actions import mark_called_back
from calls.models import CallbackRequest

from .page_records import make_call

pytestmark = pytest.mark.django_db

INBOX = reverse("call_pages:callbacks")
URGENT, SOON, ROUTINE = CallbackRequest.Urgency.URGENT, CallbackRequest.Urgency.SOON, CallbackRequest.Urgency.ROUTINE


def callback(reason="Call me about the quote", *, minutes_ago=10, urgency=ROUTINE, **fields):
    fields.setdefault("created_at", timezone.now() - timedelta(minutes=minutes_ago))
    return CallbackRequest.objects.create(reason=reason, urgency=urgency, **fields)


def called_back_url(request_row):
    return reverse("call_pages:called_back", args=[request_row.pk])


def shown(response):
    return [row.pk for row in response.context["page"].object_list]


def test_open_requests_are_listed_urgent_first_then_newest(signed_in, service_advisor):
    old_routine = callback("Quote for tires", minutes_ago=300)
    new_routine = callback("Question about the bill", minutes_ago=5)
    old_urgent = callback("Brakes went out", minutes_ago=120, urgency=URGENT)
    new_urgent = callback("Stranded on the highway", minutes_ago=30, urgency=URGENT)
    today = callback("Pick up before five", minutes_ago=1, urgency=SOON)
    callback("Already handled", minutes_ago=1, urgency=URGENT, handled_at=timezone.now())
    response = signed_in(service_advisor).get(INBOX)
    assert response.status_code == 200
    assert shown(response) == [new_urgent.pk, old_urgent.pk, today.pk, new_routine.pk, old_routine.pk]


def test_each_request_shows_who_number_topic_urgency_when_and_the_calls_transcript_link(
    signed_in, service_advisor, customer
):
    call = make_call(customer=customer)
    callback(
        "My check-engine light is on again",
        urgency=URGENT,
        call=call,
        customer=customer,
        name="",
        phone="+13125550147",
        created_at=datetime(2030, 3, 4, 15, 5, tzinfo=UTC),
    )
    page = signed_in(service_advisor).get(INBOX).text
    assert "Dana Whitfield" in page  # the customer's name when the message left none
    assert "(312) 555-0147" in page and 'href="tel:+13125550147"' in page
    assert "My check-engine light is on again" in page
    assert "Urgent" in page
    assert "Mon Mar 4, 9:05 AM" in page  # shop time
    assert f'href="{reverse("call_pages:detail", args=[call.call_sid])}"' in page
    assert "Read the call's transcript" in page


def test_a_request_with_no_name_and_no_customer_reads_as_an_unknown_caller(signed_in, service_advisor):
    callback("Call me", phone="+17735550199")
    page = signed_in(service_advisor).get(INBOX).text
    assert "Unknown caller" in page and "(773) 555-0199" in page and "Not from a recorded call." in page


def test_a_voicemail_shows_what_the_recognizer_heard(signed_in, service_advisor):
    callback("Voicemail", recording_sid="RE1", transcript="Hi it's Pat, my car won't start")
    assert "Hi it&#x27;s Pat, my car won&#x27;t start" in signed_in(service_advisor).get(INBOX).text


def test_marking_called_back_records_who_when_and_the_note_and_the_request_leaves_the_inbox(signed_in, service_advisor):
    waiting = callback("Quote for brakes", name="Pat Kim")
    client = signed_in(service_advisor)
    response = client.post(called_back_url(waiting), {"note": "  Quoted $320, booked for Friday.  "}, follow=True)
    assert response.redirect_chain == [(INBOX, 302)]
    assert "Pat Kim was called back" in response.text
    waiting.refresh_from_db()
    assert waiting.handled_by == service_advisor
    assert waiting.handled_note == "Quoted $320, booked for Friday."
    assert abs(waiting.handled_at - timezone.now()) < timedelta(seconds=30)
    assert shown(client.get(INBOX)) == []


def test_the_done_filter_shows_who_called_back_when_and_their_note(signed_in, service_advisor, manager):
    done = callback("Quote for brakes", name="Pat Kim")
    mark_called_back(done, by=manager, note="Left a voicemail")
    still_open = callback("Another one")
    client = signed_in(service_advisor)
    response = client.get(INBOX, {"show": "done"})
    assert shown(response) == [done.pk]
    assert "Left a voicemail" in response.text and "morgan.manager" in response.text
    assert shown(client.get(INBOX)) == [still_open.pk]


def test_the_first_advisor_to_call_back_keeps_the_request(signed_in, service_advisor, manager):
    waiting = callback("Quote", name="Pat Kim")
    assert mark_called_back(waiting, by=manager, note="Done it") is True
    response = signed_in(service_advisor).post(called_back_url(waiting), {"note": "Me too"}, follow=True)
    assert "Pat Kim was already called back by morgan.manager" in response.text
    waiting.refresh_from_db()
    assert (waiting.handled_by, waiting.handled_note) == (manager, "Done it")


def test_a_note_longer_than_the_form_allows_is_refused_and_the_request_stays_open(signed_in, service_advisor):
    waiting = callback("Quote")
    response = signed_in(service_advisor).post(called_back_url(waiting), {"note": "x" * 2001}, follow=True)
    assert "Not saved" in response.text
    waiting.refresh_from_db()
    assert waiting.is_open


def test_called_back_takes_a_post_only(signed_in, service_advisor):
    waiting = callback("Quote")
    assert signed_in(service_advisor).get(called_back_url(waiting)).status_code == 405
    waiting.refresh_from_db()
    assert waiting.is_open


def test_an_unknown_request_is_a_404(signed_in, service_advisor):
    assert signed_in(service_advisor).post(reverse("call_pages:called_back", args=[999999])).status_code == 404


# --- who may use it -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "service_advisor"])
def test_managers_and_advisors_use_the_inbox(request, signed_in, persona):
    client = signed_in(request.getfixturevalue(persona))
    waiting = callback("Quote")
    assert client.get(INBOX).status_code == 200
    assert client.post(called_back_url(waiting)).status_code == 302
    waiting.refresh_from_db()
    assert not waiting.is_open


@pytest.mark.parametrize("persona", ["staff_without_group", "outsider"])
def test_anyone_else_signed_in_is_refused(request, signed_in, persona):
    client = signed_in(request.getfixturevalue(persona))
    waiting = callback("Quote")
    assert client.get(INBOX).status_code == 403
    assert client.post(called_back_url(waiting)).status_code == 403
    waiting.refresh_from_db()
    assert waiting.is_open


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login(client):
    waiting = callback("Quote")
    for response in (client.get(INBOX), client.post(called_back_url(waiting))):
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    waiting.refresh_from_db()
    assert waiting.is_open


# --- the count in the header ------------------------------------------------------------------


def header_count(page):
    marker = 'id="open-callbacks" data-count="'
    assert marker in page, "no open-callback count in the header"
    return int(page.split(marker, 1)[1].split('"', 1)[0])


@pytest.mark.parametrize(
    "url",
    [
        reverse("call_pages:list"),
        reverse("call_pages:live"),
        INBOX,
        reverse("home"),
        reverse("admin:index"),
        reverse("admin:calls_callbackrequest_changelist"),
    ],
)
def test_every_staff_page_shows_the_open_count_in_its_header(signed_in, service_advisor, url):
    callback("One", urgency=URGENT)
    callback("Two")
    callback("Done", handled_at=timezone.now())
    assert header_count(signed_in(service_advisor).get(url).text) == 2


def test_the_count_drops_when_a_request_is_called_back(signed_in, service_advisor):
    first, _ = callback("One"), callback("Two")
    client = signed_in(service_advisor)
    assert header_count(client.get(INBOX).text) == 2
    client.post(called_back_url(first))
    assert header_count(client.get(INBOX).text) == 1


def test_staff_who_may_not_read_calls_see_no_count_in_the_admin(signed_in, staff_without_group):
    callback("One")
    page = signed_in(staff_without_group).get(reverse("admin:index")).text
    assert 'id="open-callbacks"' not in page


def test_the_admin_login_page_runs_no_query_for_the_count(client, django_assert_num_queries):
    callback("One")
    with django_assert_num_queries(0):
        page = client.get(reverse("admin:login")).text
    assert 'id="open-callbacks"' not in page


def test_the_header_count_is_one_query(signed_in, service_advisor, django_assert_num_queries):
    from django.template import RequestContext, Template
    from django.test import RequestFactory

    callback("One")
    request = RequestFactory().get("/")
    request.user = service_advisor
    service_advisor._call_page_roles = frozenset({"Service advisors"})  # roles known, as after the page's own check
    with django_assert_num_queries(1):
        rendered = Template("{{ staff_header.open_callbacks }} {{ staff_header.open_callbacks }}").render(
            RequestContext(request, {})
        )
    assert rendered == "1 1"


# --- query counts ---------------------------------------------------------------------------------


def test_the_inbox_runs_a_fixed_number_of_queries(signed_in, service_advisor, customer, django_assert_max_num_queries):
    for n in range(60):
        call = make_call(customer=customer if n % 2 else None)
        callback(
            f"Message {n}",
            minutes_ago=n,
            urgency=(URGENT, SOON, ROUTINE)[n % 3],
            call=call,
            customer=customer if n % 2 else None,
            phone="+13125550147",
        )
    client = signed_in(service_advisor)
    with django_assert_max_num_queries(10):
        response = client.get(INBOX)
    assert len(shown(response)) == 50
    for row in CallbackRequest.objects.all()[:30]:
        mark_called_back(row, by=service_advisor, note="Called")
    with django_assert_max_num_queries(10):
        response = client.get(INBOX, {"show": "done"})
    assert len(shown(response)) == 30
