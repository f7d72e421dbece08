"""The phone agent's tools as the model calls them: bad arguments and failures that come back as
errors the model can recover from, and the caller binding that no prompt can get around.

Each family's own behaviour is in test_tools_<family>.py, which take the fixtures and helpers
below; the registry itself is in test_tool_registry.py.
"""

import json
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async

from calls.models import Call
from calls.tests.scripted_calls import tools_for as tools_for_call
from crm.models import Customer, Vehicle
from scheduling.actions import Actor, book_appointment
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)

CALL_SID = "CA" + "e5" * 16
DANA = "+13125550147"
MARCUS = "+17735550199"
VALID_VIN = "1HGCM82633A004352"  # Honda, check digit valid


@pytest.fixture
def day(shop):
    """A weekday 3 to 9 days ahead."""
    day = datetime.now(shop.tz).date() + timedelta(days=3)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


@pytest.fixture
def at(shop, day):
    def local(hour, minute=0, *, on=None):
        return datetime(*(on or day).timetuple()[:3], hour, minute, tzinfo=shop.tz)

    return local


@pytest.fixture
def call_record(db):
    """The Call row the incoming-call webhook made."""
    return Call.objects.create(call_sid=CALL_SID, from_number=DANA, to_number="+13125550100")


@pytest.fixture
def marcus_appointment(other_customer, oil_change, at):
    return book_appointment(customer=other_customer, service_type=oil_change, start=at(14), actor=Actor.command("test"))


@pytest.fixture
def dana_appointment(customer, oil_change, at):
    return book_appointment(customer=customer, service_type=oil_change, start=at(10), actor=Actor.command("test"))


async def tools_for(phone):
    return await tools_for_call(phone, call_sid=CALL_SID)


async def use(tools, name, arguments=None, *, raw=None):
    outcome = await tools.call(name, raw if raw is not None else json.dumps(arguments or {}))
    return outcome, json.loads(outcome.content)


def db(fn, *args, **kwargs):
    return database_sync_to_async(fn)(*args, **kwargs)


def nothing_happens(outcome):
    """A failed call neither ends the call nor hands it over."""
    return not outcome.ok and not outcome.ends_call and not outcome.hands_over


# --- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("book_appointment", "{not json", "Invalid arguments for book_appointment"),
        ("book_appointment", '{"service": "Oil change"}', "start: Field required"),
        ("get_available_slots", '{"service": "Oil change", "date": "2030-01-01", "days": 30}', "days"),
        ("cancel_appointment", '{"appointment_id": "the one on tuesday"}', "appointment_id"),
        ("lookup_customer", '{"phone": "+17735550199"}', "phone: Extra inputs are not permitted"),
        ("take_message", '{"name": "Dana", "reason": "call me", "urgency": "yesterday"}', "urgency"),
        ("end_call", '{"now": true}', "now: Extra inputs are not permitted"),
        ("open_the_pod_bay_doors", "{}", "no tool called"),
    ],
)
async def test_bad_arguments_come_back_as_an_error_the_model_can_read(shop, oil_change, name, raw, expected):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, name, raw=raw)
    assert nothing_happens(outcome)
    assert expected in content["error"]
    assert list(content) == ["error"]
    assert not tools.outcome.achieved and not tools.outcome.lines


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("book_appointment", {"service": "Oil change", "start": "2030-06-04T09:00", "notes": "x" * 1_000_000}),
        ("get_available_slots", {"service": "Oil change " * 300, "date": "2030-06-04"}),
        ("get_available_slots", {"service": "Oil change", "date": "soon " * 500}),
        ("x" * 10_000, {}),
    ],
)
async def test_what_the_model_sent_is_not_repeated_back_at_length(shop, oil_change, customer, name, arguments):
    """Whatever comes back goes to the model again in every later request of the call."""
    tools = await tools_for(DANA)
    outcome, content = await use(tools, name, arguments)
    assert nothing_happens(outcome)
    assert len(outcome.content) < 400, content["error"][:500]
    assert await db(Appointment.objects.count) == 0


async def test_empty_arguments_mean_none(shop, customer):
    outcome, content = await use(await tools_for(DANA), "lookup_customer", raw="")
    assert outcome.ok and content["name"] == "Dana Whitfield"


# --- the caller binding -------------------------------------------------------------------------


async def test_a_caller_claiming_to_be_someone_else_gets_nothing_of_theirs(
    shop, customer, other_customer, oil_change, at, marcus_appointment, dana_appointment
):
    """Dana calls and the model, talked into it, tries every way to reach Marcus's records."""
    marcus_vehicle = await db(Vehicle.objects.create, owner=other_customer, vin=VALID_VIN, make="Honda")
    tools = await tools_for(DANA)
    said = []
    attempts = [
        ("lookup_customer", {"phone": MARCUS}),
        ("lookup_customer", {"customer_id": other_customer.pk}),
        ("get_upcoming_appointments", {"phone": MARCUS}),
        ("lookup_customer", {}),
        ("get_upcoming_appointments", {}),
        ("cancel_appointment", {"appointment_id": marcus_appointment.pk, "reason": "I'm Marcus, cancel it"}),
        (
            "reschedule_appointment",
            {"appointment_id": marcus_appointment.pk, "new_start": at(16).strftime("%Y-%m-%dT%H:%M")},
        ),
        ("cancel_appointment", {"appointment_id": 987654}),
        (
            "book_appointment",
            {"service": "Oil change", "start": at(9).strftime("%Y-%m-%dT%H:%M"), "vehicle_id": marcus_vehicle.pk},
        ),
        ("add_vehicle", {"vin": VALID_VIN}),
        ("create_customer", {"name": "Marcus Oyelaran"}),
    ]
    for name, arguments in attempts:
        outcome, content = await use(tools, name, arguments)
        said.append(outcome.content)
    everything = " ".join(said)
    assert "Marcus" not in everything and "Oyelaran" not in everything and "773" not in everything
    assert json.loads(said[3])["name"] == "Dana Whitfield"
    assert [a["appointment_id"] for a in json.loads(said[4])["appointments"]] == [dana_appointment.pk]
    refusal_for_others = json.loads(said[5])["error"]
    assert refusal_for_others == json.loads(said[7])["error"], "someone else's id and no such id read the same"
    untouched = await db(Appointment.objects.get, pk=marcus_appointment.pk)
    assert (untouched.status, untouched.start) == ("booked", at(14))
    assert await db(Vehicle.objects.filter(owner=other_customer).count) == 1
    assert (await db(Customer.objects.get, pk=customer.pk)).name == "Dana Whitfield"
    assert not await db(Appointment.objects.filter(customer=customer, start=at(9)).exists)
    assert not tools.outcome.achieved & {Call.Outcome.BOOKED, Call.Outcome.CANCELLED, Call.Outcome.RESCHEDULED}


# --- failures ---------------------------------------------------------------------------------


async def test_a_database_error_comes_back_as_an_apology_not_an_exception(
    shop, customer, oil_change, at, appointments_table_gone, caplog
):
    tools = await tools_for(DANA)
    outcome, content = await use(
        tools, "book_appointment", {"service": "Oil change", "start": at(9).strftime("%Y-%m-%dT%H:%M")}
    )
    assert nothing_happens(outcome) and "offer to take a message" in content["error"]
    assert f"Call {CALL_SID}: tool book_appointment hit a database error" in caplog.text
    assert Call.Outcome.BOOKED not in tools.outcome.achieved
    outcome, _ = await use(
        tools, "take_message", {"name": "Dana", "reason": "Book me an oil change", "urgency": "routine"}
    )
    assert outcome.ok, "tools that do not need the broken table still work"


async def test_an_unexpected_failure_comes_back_as_an_apology_and_is_logged(shop, customer, monkeypatch, caplog):
    def broken(customer):
        raise RuntimeError("the vehicles query blew up")

    monkeypatch.setattr("crm.actions.vehicles_of", broken)
    outcome, content = await use(await tools_for(DANA), "lookup_customer")
    assert nothing_happens(outcome)
    assert content == {
        "error": "The shop's system didn't respond. Apologize and offer to take a message for an advisor."
    }
    assert f"Call {CALL_SID}: tool lookup_customer failed" in caplog.text and "blew up" in caplog.text
