"""Who is calling: the caller's own record by caller ID, a new caller put on file, and what a
caller with a withheld number can and cannot do."""

import pytest

from calls.models import CallbackRequest
from calls.tests.test_tools import (  # noqa: F401 (fixtures)
    DANA,
    VALID_VIN,
    at,
    dana_appointment,
    day,
    db,
    tools_for,
    use,
)
from crm.models import Customer, Vehicle

pytestmark = pytest.mark.django_db(transaction=True)

NEWCOMER = "+13125550111"


async def test_lookup_customer_finds_the_caller_and_their_vehicles(shop, customer, dana_appointment):
    vehicle = await db(Vehicle.objects.create, owner=customer, vin=VALID_VIN, year=2003, make="Honda", model="Accord")
    outcome, content = await use(await tools_for(DANA), "lookup_customer")
    assert outcome.ok
    assert content["name"] == "Dana Whitfield"
    assert content["vehicles"] == [
        {"vehicle_id": vehicle.pk, "vehicle": "2003 Honda Accord", "vin_ends_with": "004352"}
    ]
    assert content["upcoming_appointments"] == 1


async def test_lookup_customer_says_when_the_caller_is_not_on_file(shop):
    outcome, content = await use(await tools_for(NEWCOMER), "lookup_customer")
    assert outcome.ok and content["on_file"] is False
    assert "create_customer" in content["note"]


async def test_create_customer_files_a_new_caller_under_their_own_number(shop):
    tools = await tools_for(NEWCOMER)
    outcome, content = await use(tools, "create_customer", {"name": "Ana Ruiz", "email": "ana@example.com"})
    assert outcome.ok and content == {"created": True, "already_on_file": False, "name": "Ana Ruiz"}
    created = await db(Customer.objects.get, phone=NEWCOMER)
    assert (created.name, created.email) == ("Ana Ruiz", "ana@example.com")
    assert tools.outcome.lines == ["New customer Ana Ruiz."]
    outcome, content = await use(tools, "create_customer", {"name": "Ana Ruiz"})
    assert content == {"created": False, "already_on_file": True, "name": "Ana Ruiz"}
    assert tools.outcome.lines == ["New customer Ana Ruiz."], "nothing new was done"


async def test_a_misheard_email_does_not_cost_the_caller_their_record(shop):
    outcome, content = await use(
        await tools_for(NEWCOMER), "create_customer", {"name": "Ana Ruiz", "email": "ana at example dot com"}
    )
    assert outcome.ok and content["created"] is True
    created = await db(Customer.objects.get, phone=NEWCOMER)
    assert (created.name, created.email) == ("Ana Ruiz", "")


async def test_a_withheld_caller_id_can_leave_a_message_but_not_touch_records(shop, oil_change, at):
    tools = await tools_for(None)
    for name, arguments in [
        ("lookup_customer", {}),
        ("get_upcoming_appointments", {}),
        ("create_customer", {"name": "Someone"}),
        ("book_appointment", {"service": "Oil change", "start": at(9).strftime("%Y-%m-%dT%H:%M")}),
    ]:
        outcome, content = await use(tools, name, arguments)
        assert outcome.ok is False and "Caller ID is withheld" in content["error"], name
    message = {"name": "Sam", "reason": "Quote for tires", "urgency": "routine"}
    outcome, content = await use(tools, "take_message", message)
    assert not outcome.ok and "callback_number" in content["error"]
    outcome, _ = await use(tools, "take_message", {**message, "callback_number": "(312) 555-0188"})
    assert outcome.ok
    message = await db(CallbackRequest.objects.get)
    assert (message.phone, message.customer_id) == ("+13125550188", None)
    assert not await db(Customer.objects.exists)


async def test_a_new_caller_giving_another_customers_name_and_email_learns_nothing_and_gets_no_link(shop, customer):
    await db(Customer.objects.filter(pk=customer.pk).update, email="dana@example.com")
    tools = await tools_for(NEWCOMER)
    outcome, content = await use(tools, "create_customer", {"name": "Dana Whitfield", "email": "Dana@Example.com"})
    assert outcome.ok and content == {"created": True, "already_on_file": False, "name": "Dana Whitfield"}
    created = await db(Customer.objects.get, phone=NEWCOMER)
    assert created.email == ""
    assert "same name as another customer" in created.notes and "e-mail address" in created.notes
    assert "dana@example.com" not in created.notes.lower()
    await db(customer.refresh_from_db)
    assert (customer.phone, customer.email) == (DANA, "dana@example.com")


async def test_add_email_fills_a_missing_address_but_never_replaces_one_on_file(shop, customer):
    tools = await tools_for(NEWCOMER)
    await use(tools, "create_customer", {"name": "Kat Lund"})
    outcome, content = await use(tools, "add_email", {"email": "kat at yahoo"})
    assert outcome.ok and content["status"] == "invalid" and "again" in content["note"]
    outcome, content = await use(tools, "add_email", {"email": "dana@example.com"})  # Dana's, on her record
    assert content["saved"] is False and "advisor" in content["note"]
    assert (await db(Customer.objects.get, phone=NEWCOMER)).email == ""
    outcome, content = await use(tools, "add_email", {"email": "katlund@yahoo.com"})
    assert outcome.ok and content == {"saved": True, "email": "katlund@yahoo.com"}
    assert tools.outcome.lines[-1] == "Email address put on file."
    # Whoever calls from a number cannot change the address on its record: that is an advisor's job.
    outcome, content = await use(await tools_for(DANA), "add_email", {"email": "someone.else@example.com"})
    assert content["saved"] is False and content["status"] == "already_on_file"
    assert (await db(Customer.objects.get, phone=DANA)).email == "dana@example.com"
    assert (await db(Customer.objects.get, phone=NEWCOMER)).email == "katlund@yahoo.com"
