"""The caller's vehicles: a VIN read back offline, a vehicle added, and what may be said about
recalls (a count for the model year, never that this car is affected)."""

import pytest
from django.utils import timezone

from calls.tests.test_tools import (  # noqa: F401 (fixtures)
    DANA,
    VALID_VIN,
    at,
    dana_appointment,
    day,
    db,
    marcus_appointment,
    nothing_happens,
    tools_for,
    use,
)
from crm.models import Vehicle
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)


async def test_decode_vin_checks_the_vin_offline(shop):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "decode_vin", {"vin": "1hg cm82633a004352"})
    assert outcome.ok and content["valid"] is True
    assert (content["vin"], content["make"], content["year"]) == (VALID_VIN, "Honda", 2003)
    outcome, content = await use(tools, "decode_vin", {"vin": "1HGCM82633A004353"})
    assert outcome.ok and content["valid"] is False and "check digit" in content["problem"]
    assert "read it again" in content["note"]


async def test_add_vehicle_adds_to_the_caller_and_refuses_a_bad_vin(shop, customer):
    tools = await tools_for(DANA)
    outcome, content = await use(
        tools, "add_vehicle", {"vin": VALID_VIN, "year": 2003, "make": "Honda", "model": "Accord"}
    )
    assert outcome.ok
    vehicle = await db(Vehicle.objects.get, pk=content["vehicle_id"])
    assert (vehicle.owner_id, vehicle.vin) == (customer.pk, VALID_VIN)
    assert content == {"vehicle_id": vehicle.pk, "vehicle": "2003 Honda Accord", "vin_ends_with": "004352"}
    assert tools.outcome.lines == ["Added vehicle 2003 Honda Accord."] and not tools.outcome.achieved
    outcome, content = await use(tools, "add_vehicle", {"vin": "1HGCM82633A00435"})
    assert nothing_happens(outcome) and "17 characters" in content["error"]
    outcome, content = await use(tools, "add_vehicle", {})
    assert nothing_happens(outcome) and content["error"] == "Give at least a VIN, or the make and model."
    assert await db(Vehicle.objects.count) == 1


async def test_check_recalls_says_only_how_many_nhtsa_lists_for_the_model_year(shop, customer):
    accord = await db(
        Vehicle.objects.create,
        owner=customer,
        vin=VALID_VIN,
        year=2003,
        make="Honda",
        model="Accord",
        recalls=[{"campaign": "03V123000"}, {"campaign": "04V456000"}],
        recalls_checked_at=timezone.now(),
    )
    clean = await db(
        Vehicle.objects.create,
        owner=customer,
        year=2019,
        make="Honda",
        model="Fit",
        recalls=[],
        recalls_checked_at=timezone.now(),
    )
    unknown = await db(Vehicle.objects.create, owner=customer, make="Honda")
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "check_recalls", {"vehicle_id": accord.pk})
    assert outcome.ok
    assert content["say"] == "NHTSA lists 2 recalls for that model year; an advisor will confirm for the specific VIN."
    assert "03V123000" not in outcome.content, "campaigns are for the advisor, not read out"
    _, content = await use(tools, "check_recalls", {"vehicle_id": clean.pk})
    assert content["say"].startswith("NHTSA lists no recalls for that model year")
    _, content = await use(tools, "check_recalls", {"vehicle_id": unknown.pk})
    assert "year, make and model" in content["say"]


async def test_check_recalls_on_someone_elses_vehicle_is_not_found(shop, customer, other_customer):
    marcus_car = await db(
        Vehicle.objects.create,
        owner=other_customer,
        vin=VALID_VIN,
        year=2003,
        make="Honda",
        model="Accord",
        recalls=[{"campaign": "03V123000"}],
        recalls_checked_at=timezone.now(),
    )
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "check_recalls", {"vehicle_id": marcus_car.pk})
    missing, missing_content = await use(tools, "check_recalls", {"vehicle_id": 987654})
    assert not outcome.ok and not missing.ok
    assert content["error"] == missing_content["error"], "someone else's vehicle and no vehicle read the same"
    assert "Accord" not in outcome.content and "recall" not in content["error"].lower()
    outcome, content = await use(await tools_for(None), "check_recalls", {"vehicle_id": marcus_car.pk})
    assert not outcome.ok and "Caller ID is withheld" in content["error"]


async def test_a_vin_on_another_customers_car_is_not_confirmed_to_the_caller(shop, customer, other_customer):
    theirs = await db(
        Vehicle.objects.create, owner=other_customer, vin=VALID_VIN, year=2003, make="Honda", model="Accord"
    )
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "add_vehicle", {"vin": VALID_VIN})
    assert outcome.ok
    said = str(content).lower()
    assert "another customer" not in said and "on file" not in said and "different" not in said
    assert "advisor will confirm the vin" in said
    added = await db(Vehicle.objects.get, pk=content["vehicle_id"])
    assert (added.owner_id, added.vin, added.make, added.year) == (customer.pk, "", "Honda", 2003)
    assert (await db(Vehicle.objects.get, pk=theirs.pk)).owner_id == other_customer.pk
    await db(customer.refresh_from_db)
    assert "another customer's vehicle" in customer.notes and VALID_VIN not in customer.notes


async def test_add_vehicle_puts_the_car_on_the_callers_own_appointment_and_never_on_anyone_elses(
    shop, customer, dana_appointment, marcus_appointment
):
    tools = await tools_for(DANA)
    outcome, content = await use(
        tools, "add_vehicle", {"make": "Nissan", "model": "Altima", "appointment_id": marcus_appointment.pk}
    )
    assert nothing_happens(outcome), content
    assert await db(Vehicle.objects.filter(make="Nissan").count) == 0  # refused whole: no car added either
    assert (await db(Appointment.objects.get, pk=marcus_appointment.pk)).vehicle_id is None
    outcome, content = await use(
        tools, "add_vehicle", {"year": 2015, "make": "Nissan", "model": "Altima", "appointment_id": dana_appointment.pk}
    )
    assert outcome.ok and content["vehicle"] == "2015 Nissan Altima"
    booked = await db(Appointment.objects.select_related("vehicle").get, pk=dana_appointment.pk)
    assert (booked.vehicle.pk, booked.vehicle.owner_id) == (content["vehicle_id"], customer.pk)
