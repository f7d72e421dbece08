"""The Google Calendar fake answers the real google-api-python-client as googleapis.com would
(protocols.md 5.5): ids, 409/410/404, free/busy, listing with private properties, faults."""

import httplib2
import pytest
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from fakes.google_calendar import FakeGoogleCalendar

CALENDAR = "bays@garage.example"
EVENT = {
    "summary": "Oil change",
    "start": {"dateTime": "2030-06-04T09:00:00-05:00"},
    "end": {"dateTime": "2030-06-04T09:30:00-05:00"},
}


@pytest.fixture
def fake():
    with FakeGoogleCalendar(CALENDAR) as server:
        yield server


@pytest.fixture
def events(fake):
    service = build(
        "calendar",
        "v3",
        credentials=AnonymousCredentials(),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": fake.api_endpoint},
    )
    return service


def status_of(request):
    with pytest.raises(HttpError) as caught:
        request.execute()
    return caught.value.status_code, caught.value.error_details[0]["reason"]


def test_an_event_with_a_chosen_id_is_created_once(fake, events):
    created = events.events().insert(calendarId=CALENDAR, body={**EVENT, "id": "a4k2v9q0m1"}).execute()

    assert created["id"] == "a4k2v9q0m1" and created["status"] == "confirmed" and created["etag"]
    assert status_of(events.events().insert(calendarId=CALENDAR, body={**EVENT, "id": "a4k2v9q0m1"})) == (
        409,
        "duplicate",
    )
    assert fake.requests[0].path == "/calendar/v3/calendars/bays@garage.example/events"
    assert fake.requests[0].query["alt"] == "json"


def test_ids_outside_base32hex_are_refused(events):
    assert status_of(events.events().insert(calendarId=CALENDAR, body={**EVENT, "id": "UPPER-case"})) == (
        400,
        "invalid",
    )
    assert status_of(events.events().insert(calendarId=CALENDAR, body={**EVENT, "id": "abc"})) == (400, "invalid")


def test_a_deleted_event_keeps_its_id_and_answers_410(events):
    events.events().insert(calendarId=CALENDAR, body={**EVENT, "id": "evt00001"}).execute()

    assert events.events().delete(calendarId=CALENDAR, eventId="evt00001").execute() == ""
    assert events.events().get(calendarId=CALENDAR, eventId="evt00001").execute()["status"] == "cancelled"
    assert status_of(events.events().delete(calendarId=CALENDAR, eventId="evt00001")) == (410, "deleted")
    assert status_of(events.events().patch(calendarId=CALENDAR, eventId="evt00001", body={"summary": "x"})) == (
        410,
        "deleted",
    )
    assert status_of(events.events().insert(calendarId=CALENDAR, body={**EVENT, "id": "evt00001"}))[0] == 409
    assert status_of(events.events().get(calendarId=CALENDAR, eventId="neverseen")) == (404, "notFound")


def test_free_busy_merges_opaque_events_and_skips_transparent_and_deleted(fake, events):
    fake.add_event("2030-06-04T14:00:00Z", "2030-06-04T15:00:00Z")
    fake.add_event("2030-06-04T14:30:00Z", "2030-06-04T16:00:00Z")
    fake.add_event("2030-06-04T17:00:00Z", "2030-06-04T18:00:00Z", transparency="transparent")
    gone = fake.add_event("2030-06-04T19:00:00Z", "2030-06-04T20:00:00Z")
    fake.delete_event(gone["id"])

    answer = (
        events.freebusy()
        .query(
            body={
                "timeMin": "2030-06-04T13:00:00Z",
                "timeMax": "2030-06-04T23:00:00Z",
                "items": [{"id": CALENDAR}, {"id": "missing@example.com"}],
            }
        )
        .execute()
    )

    assert answer["calendars"][CALENDAR]["busy"] == [
        {"start": "2030-06-04T14:00:00.000Z", "end": "2030-06-04T16:00:00.000Z"}
    ]
    assert answer["calendars"]["missing@example.com"]["errors"] == [{"domain": "global", "reason": "notFound"}]


def test_listing_filters_by_time_and_private_property_and_pages(fake, events):
    for hour in range(14, 20):
        fake.add_event(
            f"2030-06-04T{hour}:00:00Z",
            f"2030-06-04T{hour}:30:00Z",
            extendedProperties={"private": {"source": "ottos", "appointment_id": str(hour)}},
        )
    fake.add_event("2030-06-04T15:00:00Z", "2030-06-04T16:00:00Z", summary="staff")

    first = (
        events.events()
        .list(
            calendarId=CALENDAR,
            timeMin="2030-06-04T15:00:00Z",
            timeMax="2030-06-04T19:00:00Z",
            privateExtendedProperty="source=ottos",
            maxResults=2,
        )
        .execute()
    )
    second = (
        events.events()
        .list(
            calendarId=CALENDAR,
            timeMin="2030-06-04T15:00:00Z",
            timeMax="2030-06-04T19:00:00Z",
            privateExtendedProperty="source=ottos",
            maxResults=2,
            pageToken=first["nextPageToken"],
        )
        .execute()
    )

    ids = [e["extendedProperties"]["private"]["appointment_id"] for e in first["items"] + second["items"]]
    assert ids == ["15", "16", "17", "18"] and "nextPageToken" not in second


def test_faults_on_demand_and_lost_answers(fake, events):
    fake.fail_next(429, "rateLimitExceeded")
    assert status_of(
        events.freebusy().query(
            body={"timeMin": "2030-06-04T13:00:00Z", "timeMax": "2030-06-04T23:00:00Z", "items": []}
        )
    ) == (429, "rateLimitExceeded")
    fake.fail_next(503, kind="events", after_applying=True)
    assert status_of(events.events().insert(calendarId=CALENDAR, body={**EVENT, "id": "lost00001"}))[0] == 503
    assert fake.event("lost00001")["summary"] == "Oil change"  # stored, though the answer was lost


def test_the_client_retries_what_google_says_to_retry(fake, events):
    fake.fail_next(403, "userRateLimitExceeded")
    request = events.events().insert(calendarId=CALENDAR, body={**EVENT, "id": "retr00001"})
    request._sleep = lambda seconds: None
    assert request.execute(num_retries=1)["id"] == "retr00001"


def test_it_is_reachable_without_any_google_credentials(fake):
    response, body = httplib2.Http().request(f"{fake.api_endpoint}calendars/{CALENDAR}/events?alt=json")
    assert response.status == 200 and b'"items": []' in body
