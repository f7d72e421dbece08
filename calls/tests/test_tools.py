"""The phone agent's tools: each one's happy path and bad arguments, the caller binding that no
prompt can get around, and failures that come back as errors the model can recover from."""

import asyncio
import json
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connections
from django.utils import timezone

from calls.actions import finish_call
from calls.models import Call, CallbackRequest
from calls.agent.tools.arguments import TOOLS
from calls.agent.tools.toolbox import ToolBox
from crm.models import Customer, Vehicle
from fakes.twilio_rest import FakeTwilioRest
from scheduling.actions import Actor, book_appointment
from scheduling.models import Appointment, FaqAnswer

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
def call(db):
    return Call.objects.create(call_sid=CALL_SID, from_number=DANA, to_number="+13125550100")


@pytest.fixture
def marcus_appointment(other_customer, oil_change, at):
    return book_appointment(customer=other_customer, service_type=oil_change, start=at(14), actor=Actor.command("test"))


@pytest.fixture
def dana_appointment(customer, oil_change, at):
    return book_appointment(customer=customer, service_type=oil_change, start=at(10), actor=Actor.command("test"))


async def toolbox_for(phone):
    return await ToolBox.for_call(call_sid=CALL_SID, caller_phone=phone)


async def use(toolbox, name, arguments=None, *, raw=None):
    outcome = await toolbox.call(name, raw if raw is not None else json.dumps(arguments or {}))
    return outcome, json.loads(outcome.content)


def db(fn, *args, **kwargs):
    return database_sync_to_async(fn)(*args, **kwargs)


# --- the registry -----------------------------------------------------------------------------


async def test_every_tool_has_a_strict_schema_without_any_way_to_name_another_customer(shop, oil_change, brake_job):
    toolbox = await toolbox_for(DANA)
    schemas = {s["function"]["name"]: s["function"] for s in toolbox.schemas()}
    assert list(schemas) == list(TOOLS)
    for name, function in schemas.items():
        parameters = function["parameters"]
        assert function["strict"] is True
        assert parameters["additionalProperties"] is False
        assert sorted(parameters["required"]) == sorted(parameters["properties"])
        assert not {"phone", "customer", "customer_id", "caller"} & set(parameters["properties"]), name
    assert schemas["book_appointment"]["parameters"]["properties"]["service"]["enum"] == [
        "Brake pads and rotors", "Oil change"
    ]


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("book_appointment", "{not json", "Invalid arguments for book_appointment"),
        ("book_appointment", '{"service": "Oil change"}', "start: Field required"),
        ("get_available_slots", '{"service": "Oil change", "date": "2030-01-01", "days": 30}', "days"),
        ("cancel_appointment", '{"appointment_id": "the one on tuesday"}', "appointment_id"),
        ("lookup_customer", '{"phone": "+17735550199"}', "phone: Extra inputs are not permitted"),
        ("take_message", '{"name": "Dana", "reason": "call me", "urgency": "yesterday"}', "urgency"),
        ("open_the_pod_bay_doors", "{}", "no tool called"),
    ],
)
async def test_bad_arguments_come_back_as_an_error_the_model_can_read(shop, oil_change, name, raw, expected):
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, name, raw=raw)
    assert outcome.ok is False
    assert outcome.action is None
    assert expected in content["error"]


# --- who is calling ---------------------------------------------------------------------------


async def test_lookup_customer_finds_the_caller_and_their_vehicles(shop, customer, dana_appointment):
    vehicle = await db(Vehicle.objects.create, owner=customer, vin=VALID_VIN, year=2003, make="Honda", model="Accord")
    outcome, content = await use(await toolbox_for(DANA), "lookup_customer")
    assert outcome.ok
    assert content["name"] == "Dana Whitfield"
    assert content["vehicles"] == [{"vehicle_id": vehicle.pk, "vehicle": "2003 Honda Accord", "vin_ends_with": "004352"}]
    assert content["upcoming_appointments"] == 1


async def test_lookup_customer_says_when_the_caller_is_not_on_file(shop):
    outcome, content = await use(await toolbox_for("+13125550111"), "lookup_customer")
    assert outcome.ok and content["on_file"] is False


async def test_create_customer_files_a_new_caller_under_their_own_number(shop):
    toolbox = await toolbox_for("+13125550111")
    outcome, content = await use(toolbox, "create_customer", {"name": "Ana Ruiz", "email": "ana@example.com"})
    assert outcome.ok and content["created"] is True
    created = await db(Customer.objects.get, phone="+13125550111")
    assert (created.name, created.email) == ("Ana Ruiz", "ana@example.com")
    outcome, content = await use(toolbox, "create_customer", {"name": "Ana Ruiz"})
    assert content == {"created": False, "already_on_file": True, "name": "Ana Ruiz"}


async def test_a_withheld_caller_id_can_leave_a_message_but_not_touch_records(shop, oil_change, at):
    toolbox = await toolbox_for(None)
    for name, arguments in [
        ("lookup_customer", {}), ("get_upcoming_appointments", {}), ("create_customer", {"name": "Someone"}),
        ("book_appointment", {"service": "Oil change", "start": at(9).strftime("%Y-%m-%dT%H:%M")}),
    ]:
        outcome, content = await use(toolbox, name, arguments)
        assert outcome.ok is False and "Caller ID is withheld" in content["error"], name
    outcome, content = await use(toolbox, "take_message", {"name": "Sam", "reason": "Quote for tires", "urgency": "routine"})
    assert not outcome.ok and "callback_number" in content["error"]
    outcome, _ = await use(toolbox, "take_message", {"name": "Sam", "reason": "Quote for tires", "urgency": "routine",
                                                     "callback_number": "(312) 555-0188"})
    assert outcome.ok
    message = await db(CallbackRequest.objects.get)
    assert (message.phone, message.customer_id) == ("+13125550188", None)


# --- availability and booking ----------------------------------------------------------------


async def test_get_available_slots_offers_free_local_times_across_the_day(shop, oil_change, day, dana_appointment):
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "get_available_slots", {"service": "Oil change", "date": day.isoformat()})
    assert outcome.ok
    starts = [slot["start"] for slot in content["slots"]]
    assert 1 <= len(starts) <= 6
    assert all(s.startswith(day.isoformat()) for s in starts)
    assert starts[0] == f"{day.isoformat()}T08:00"
    assert any(s >= f"{day.isoformat()}T13:00" for s in starts), "afternoons are offered too"
    assert content["more_available"] is True
    assert content["slots"][0]["say"].endswith("at 8:00 AM")
    outcome, content = await use(
        toolbox, "get_available_slots", {"service": "Oil change", "date": day.isoformat(), "part_of_day": "afternoon"}
    )
    assert all(slot["start"] >= f"{day.isoformat()}T13:00" for slot in content["slots"])


async def test_get_available_slots_on_a_closed_day_has_nothing(shop, oil_change, day):
    sunday = day + timedelta(days=6 - day.weekday())
    outcome, content = await use(await toolbox_for(DANA), "get_available_slots",
                                 {"service": "Oil change", "date": sunday.isoformat()})
    assert outcome.ok and content["slots"] == [] and content["note"]


async def test_an_exact_time_is_checked_even_where_the_sample_of_the_day_skips_it(shop, oil_change, day):
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "get_available_slots",
                                 {"service": "Oil change", "date": day.isoformat(), "time": "15:30"})
    assert outcome.ok
    assert f"{day.isoformat()}T15:30" not in [slot["start"] for slot in content["slots"]], "not among the sample"
    requested = content["requested"]
    assert (requested["start"], requested["free"]) == (f"{day.isoformat()}T15:30", True)
    assert requested["say"].endswith("at 3:30 PM")
    assert requested["nearest_before"]["start"] == f"{day.isoformat()}T15:00"
    assert requested["nearest_after"]["start"] == f"{day.isoformat()}T16:00"


async def test_a_taken_exact_time_comes_with_the_nearest_free_starts_either_side(
    shop, customer, other_customer, oil_change, brake_job, day, at
):
    for someone in (customer, other_customer):  # both bays, 9 to noon
        await db(book_appointment, customer=someone, service_type=brake_job, start=at(9), actor=Actor.command("test"))
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "get_available_slots", {
        "service": "Oil change", "date": day.isoformat(), "time": "10:00", "part_of_day": "morning"})
    assert outcome.ok
    requested = content["requested"]
    assert requested["free"] is False
    assert requested["nearest_before"] == {"start": f"{day.isoformat()}T08:30", "say": _say(day, "8:30 AM")}
    assert requested["nearest_after"]["start"] == f"{day.isoformat()}T13:00", "after lunch, past the morning asked"
    outcome, content = await use(toolbox, "get_available_slots",
                                 {"service": "Oil change", "date": day.isoformat(), "time": "8:00"})
    assert content["requested"]["free"] is True and content["requested"]["nearest_before"] is None
    outcome, content = await use(toolbox, "get_available_slots",
                                 {"service": "Oil change", "date": day.isoformat(), "time": "17:00"})
    assert content["requested"]["free"] is False, "the shop closes at 5"
    assert content["requested"]["nearest_after"] is None


def _say(day, clock):
    return f"{day:%A, %B} {day.day} at {clock}"


@pytest.mark.parametrize(("arguments", "expected"), [
    ({"service": "Oil change", "date": "next tuesday"}, "date must be a day like"),
    ({"service": "Oil change", "date": "2030-06-04", "time": "2pm"}, "time must be a 24-hour shop local time"),
    ({"service": "Oil change", "date": "2030-06-04", "time": "24:00"}, "like 14:30"),
    ({"service": "Unicorn detailing", "date": "2030-06-04"}, "Services: Oil change"),
])
async def test_get_available_slots_explains_bad_input(shop, oil_change, arguments, expected):
    outcome, content = await use(await toolbox_for(DANA), "get_available_slots", arguments)
    assert not outcome.ok and expected in content["error"]


async def test_book_appointment_books_the_caller_in_the_shop_time_zone(shop, customer, oil_change, at, call):
    toolbox = await toolbox_for(DANA)
    arguments = {"service": "Oil change", "start": at(9, 30).strftime("%Y-%m-%dT%H:%M"), "waiter": True,
                 "notes": "Oil light on"}
    outcome, content = await use(toolbox, "book_appointment", arguments)
    assert outcome.ok, content
    appointment = await db(Appointment.objects.select_related("customer").get)
    assert appointment.customer == customer
    assert appointment.start == at(9, 30)
    assert (appointment.waiter, appointment.notes, appointment.source) == (True, "Oil light on", "phone_agent")
    assert content["appointment_id"] == appointment.pk
    assert "at 9:30 AM" in content["when"]
    assert toolbox.outcomes == {"booked"}


async def test_a_retried_tool_call_books_once(shop, customer, oil_change, at):
    toolbox = await toolbox_for(DANA)
    arguments = {"service": "Oil change", "start": at(11).strftime("%Y-%m-%dT%H:%M")}
    first, first_content = await use(toolbox, "book_appointment", arguments)
    again, again_content = await use(toolbox, "book_appointment", arguments)
    assert first.ok and again.ok
    assert first_content["appointment_id"] == again_content["appointment_id"]
    assert await db(Appointment.objects.count) == 1


async def test_booking_refusals_are_said_not_raised(shop, customer, oil_change, at, day):
    toolbox = await toolbox_for(DANA)
    sunday = day + timedelta(days=6 - day.weekday())
    outcome, content = await use(toolbox, "book_appointment",
                                 {"service": "Oil change", "start": f"{sunday.isoformat()}T10:00"})
    assert not outcome.ok and content["code"] == "closed" and "closed" in content["error"]
    outcome, content = await use(toolbox, "book_appointment", {"service": "Oil change", "start": "tomorrow at ten"})
    assert not outcome.ok and "like 2030-06-04T09:30" in content["error"]
    assert not await db(Appointment.objects.exists)


async def test_booking_needs_the_caller_on_file(shop, oil_change, at):
    outcome, content = await use(await toolbox_for("+13125550111"), "book_appointment",
                                 {"service": "Oil change", "start": at(9).strftime("%Y-%m-%dT%H:%M")})
    assert not outcome.ok and "create_customer" in content["error"]


async def test_upcoming_cancel_and_reschedule_work_on_the_callers_own_appointment(shop, customer, dana_appointment, at):
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "get_upcoming_appointments")
    assert [a["appointment_id"] for a in content["appointments"]] == [dana_appointment.pk]
    outcome, content = await use(toolbox, "reschedule_appointment", {
        "appointment_id": dana_appointment.pk, "new_start": at(15).strftime("%Y-%m-%dT%H:%M")})
    assert outcome.ok and content["start"].endswith("T15:00")
    outcome, content = await use(toolbox, "cancel_appointment", {"appointment_id": dana_appointment.pk,
                                                                 "reason": "Car sold"})
    assert outcome.ok and content["status"] == "cancelled"
    refreshed = await db(Appointment.objects.get, pk=dana_appointment.pk)
    assert (refreshed.status, refreshed.start) == ("cancelled", at(15))
    assert toolbox.outcomes == {"rescheduled", "cancelled"}


# --- vehicles ---------------------------------------------------------------------------------


async def test_decode_vin_checks_the_vin_offline(shop):
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "decode_vin", {"vin": "1hg cm82633a004352"})
    assert outcome.ok and content["valid"] is True
    assert (content["vin"], content["make"], content["year"]) == (VALID_VIN, "Honda", 2003)
    outcome, content = await use(toolbox, "decode_vin", {"vin": "1HGCM82633A004353"})
    assert outcome.ok and content["valid"] is False and "check digit" in content["problem"]


async def test_add_vehicle_adds_to_the_caller_and_refuses_a_bad_vin(shop, customer):
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "add_vehicle", {"vin": VALID_VIN, "year": 2003, "make": "Honda",
                                                          "model": "Accord"})
    assert outcome.ok
    vehicle = await db(Vehicle.objects.get, pk=content["vehicle_id"])
    assert (vehicle.owner_id, vehicle.vin) == (customer.pk, VALID_VIN)
    outcome, content = await use(toolbox, "add_vehicle", {"vin": "1HGCM82633A00435"})
    assert not outcome.ok and "17 characters" in content["error"]
    outcome, content = await use(toolbox, "add_vehicle", {})
    assert not outcome.ok


async def test_check_recalls_says_only_how_many_nhtsa_lists_for_the_model_year(shop, customer):
    accord = await db(Vehicle.objects.create, owner=customer, vin=VALID_VIN, year=2003, make="Honda", model="Accord",
                      recalls=[{"campaign": "03V123000"}, {"campaign": "04V456000"}],
                      recalls_checked_at=timezone.now())
    clean = await db(Vehicle.objects.create, owner=customer, year=2019, make="Honda", model="Fit", recalls=[],
                     recalls_checked_at=timezone.now())
    unknown = await db(Vehicle.objects.create, owner=customer, make="Honda")
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "check_recalls", {"vehicle_id": accord.pk})
    assert outcome.ok
    assert content["say"] == "NHTSA lists 2 recalls for that model year; an advisor will confirm for the specific VIN."
    assert "03V123000" not in outcome.content, "campaigns are for the advisor, not read out"
    _, content = await use(toolbox, "check_recalls", {"vehicle_id": clean.pk})
    assert content["say"].startswith("NHTSA lists no recalls for that model year")
    _, content = await use(toolbox, "check_recalls", {"vehicle_id": unknown.pk})
    assert "year, make and model" in content["say"]


async def test_check_recalls_on_someone_elses_vehicle_is_not_found(shop, customer, other_customer):
    marcus_car = await db(Vehicle.objects.create, owner=other_customer, vin=VALID_VIN, year=2003, make="Honda",
                          model="Accord", recalls=[{"campaign": "03V123000"}], recalls_checked_at=timezone.now())
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "check_recalls", {"vehicle_id": marcus_car.pk})
    missing, missing_content = await use(toolbox, "check_recalls", {"vehicle_id": 987654})
    assert not outcome.ok and not missing.ok
    assert content["error"] == missing_content["error"], "someone else's vehicle and no vehicle read the same"
    assert "Accord" not in outcome.content and "recall" not in content["error"].lower()
    outcome, content = await use(await toolbox_for(None), "check_recalls", {"vehicle_id": marcus_car.pk})
    assert not outcome.ok and "Caller ID is withheld" in content["error"]


# --- what the shop approved -------------------------------------------------------------------


async def test_shop_info_quotes_only_approved_answers(shop, oil_change):
    await db(FaqAnswer.objects.create, topic="warranty", answer="Lifetime on everything!", approved=False)
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "shop_info", {"topic": "hours"})
    assert content["approved_answer"].startswith("We're open 8 to 5")
    assert "Saturday 08:00-12:00" in content["weekly_hours"]
    outcome, content = await use(toolbox, "shop_info", {"topic": "warranty"})
    assert outcome.ok and content["approved_answer"] is None and "take a message" in content["note"]
    assert "Lifetime" not in outcome.content
    outcome, content = await use(toolbox, "shop_info", {"topic": "services"})
    assert content["services"][0]["price_estimate"] == "$49 to $89"
    assert "estimates" in content["note"]


# --- messages, transfer, ending --------------------------------------------------------------


async def test_take_message_leaves_a_callback_request_for_the_advisors(shop, customer, call):
    toolbox = await toolbox_for(DANA)
    outcome, _ = await use(toolbox, "take_message", {"name": "Dana", "reason": "Brakes grinding, is it safe?",
                                                     "urgency": "urgent"})
    assert outcome.ok
    message = await db(CallbackRequest.objects.select_related("call", "customer").get)
    assert (message.phone, message.customer, message.call, message.urgency) == (DANA, customer, call, "urgent")
    assert message.is_open
    assert toolbox.outcomes == {"message"}


async def test_transfer_hands_the_call_to_an_advisor_through_twilio(settings, shop, call):
    with FakeTwilioRest() as twilio:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio.account_sid, twilio.auth_token
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.SHOP_ADVISOR_NUMBER = "+13125550123"
        outcome, content = await use(await toolbox_for(DANA), "transfer_to_advisor",
                                     {"summary": "Dana wants a quote for a timing belt."})
        assert outcome.ok and outcome.action == "transfer"
        (update,) = twilio.calls[CALL_SID]["updates"]
        assert "<Dial" in update["Twiml"] and "+13125550123" in update["Twiml"]
    saved = await db(Call.objects.get, call_sid=CALL_SID)
    assert saved.transferred and saved.summary == "Dana wants a quote for a timing belt."


async def test_a_failed_transfer_lets_the_agent_offer_a_message(settings, shop, call):
    with FakeTwilioRest() as twilio:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio.account_sid, twilio.auth_token
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.SHOP_ADVISOR_NUMBER = "+13125550123"
        twilio.fail_next(500)
        toolbox = await toolbox_for(DANA)
        outcome, content = await use(toolbox, "transfer_to_advisor", {"summary": "Wants a person."})
    assert not outcome.ok and outcome.action is None and "take a message" in content["error"]
    assert Call.Outcome.TRANSFERRED not in toolbox.outcomes and not toolbox.done
    assert not (await db(Call.objects.get, call_sid=CALL_SID)).transferred


async def test_a_transfer_is_filed_even_when_the_caller_leaves_before_the_tool_saves_it(settings, shop, call):
    """Twilio moves the caller to the advisor at once, which ends the stream and cancels the tool
    while its save is still in flight: the finished call is still marked transferred."""
    with FakeTwilioRest() as twilio:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio.account_sid, twilio.auth_token
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.SHOP_ADVISOR_NUMBER = "+13125550123"
        toolbox = await toolbox_for(DANA)
        task = asyncio.ensure_future(use(toolbox, "transfer_to_advisor", {"summary": "Wants a person."}))
        while not twilio.calls.get(CALL_SID, {}).get("updates"):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await db(Call.objects.filter(call_sid=CALL_SID).update, transferred=False)  # the save that never ran
    await db(finish_call, CALL_SID, end_reason="stream_stopped", outcomes=toolbox.outcomes,
             caller_spoke=True, summary=" ".join(toolbox.done))
    saved = await db(Call.objects.get, call_sid=CALL_SID)
    assert saved.transferred and saved.outcome == Call.Outcome.TRANSFERRED
    assert "Wants a person." in saved.summary


async def test_transfer_without_an_advisor_number_is_refused(settings, shop, call):
    settings.SHOP_ADVISOR_NUMBER = ""
    outcome, _ = await use(await toolbox_for(DANA), "transfer_to_advisor", {"summary": "Wants a person."})
    assert not outcome.ok and outcome.action is None


async def test_end_call_asks_the_session_to_hang_up(shop):
    outcome, _ = await use(await toolbox_for(DANA), "end_call")
    assert outcome.ok and outcome.action == "end_call"


# --- the caller binding -------------------------------------------------------------------------


async def test_a_caller_claiming_to_be_someone_else_gets_nothing_of_theirs(
    shop, customer, other_customer, oil_change, at, marcus_appointment, dana_appointment
):
    """Dana calls and the model, talked into it, tries every way to reach Marcus's records."""
    marcus_vehicle = await db(Vehicle.objects.create, owner=other_customer, vin=VALID_VIN, make="Honda")
    toolbox = await toolbox_for(DANA)
    said = []
    attempts = [
        ("lookup_customer", {"phone": MARCUS}),
        ("lookup_customer", {"customer_id": other_customer.pk}),
        ("get_upcoming_appointments", {"phone": MARCUS}),
        ("lookup_customer", {}),
        ("get_upcoming_appointments", {}),
        ("cancel_appointment", {"appointment_id": marcus_appointment.pk, "reason": "I'm Marcus, cancel it"}),
        ("reschedule_appointment", {"appointment_id": marcus_appointment.pk,
                                    "new_start": at(16).strftime("%Y-%m-%dT%H:%M")}),
        ("cancel_appointment", {"appointment_id": 987654}),
        ("book_appointment", {"service": "Oil change", "start": at(9).strftime("%Y-%m-%dT%H:%M"),
                              "vehicle_id": marcus_vehicle.pk}),
        ("add_vehicle", {"vin": VALID_VIN}),
        ("create_customer", {"name": "Marcus Oyelaran"}),
    ]
    for name, arguments in attempts:
        outcome, content = await use(toolbox, name, arguments)
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


# --- failures ---------------------------------------------------------------------------------


@pytest.fixture
def appointments_table_gone():
    """The appointments table disappears (a botched migration): a real PostgreSQL error."""
    connection = connections.create_connection("default")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE scheduling_appointment RENAME TO scheduling_appointment_away")
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE scheduling_appointment_away RENAME TO scheduling_appointment")
    connection.close()


async def test_a_database_error_comes_back_as_an_apology_not_an_exception(
    shop, customer, oil_change, at, appointments_table_gone, caplog
):
    toolbox = await toolbox_for(DANA)
    outcome, content = await use(toolbox, "book_appointment",
                                 {"service": "Oil change", "start": at(9).strftime("%Y-%m-%dT%H:%M")})
    assert not outcome.ok and "offer to take a message" in content["error"]
    assert "database error" in caplog.text
    outcome, _ = await use(toolbox, "take_message", {"name": "Dana", "reason": "Book me an oil change",
                                                     "urgency": "routine"})
    assert outcome.ok, "tools that do not need the broken table still work"
