"""Recalls NHTSA lists for a vehicle's make, model and year are kept on the vehicle, and the phone
agent may only say how many there are for that model year - never that this car is affected."""

import pytest

from crm.models import Vehicle
from crm.recalls import check_recalls, recall_notice
from crm.tasks import decode_vehicle, fetch_recalls, refresh_stale_recalls
from scheduling.tests.vendors import nhtsa, run_tasks  # noqa: F401

CIVIC = "2HGFC2F56KH512345"
pytestmark = pytest.mark.usefixtures("run_tasks")


@pytest.fixture
def civic_recalls(nhtsa):
    nhtsa.add_vehicle(CIVIC, make="HONDA", model="Civic", year=2019, trim="LX")
    nhtsa.add_recall(
        "HONDA",
        "Civic",
        2019,
        campaign="19V182000",
        component="AIR BAGS",
        summary="The passenger air bag inflator may rupture.",
        remedy="Dealers will replace it.",
        park_it=True,
    )
    nhtsa.add_recall(
        "HONDA",
        "Civic",
        2019,
        campaign="20V314000",
        component="FUEL SYSTEM",
        summary="The fuel pump may fail.",
        remedy="Dealers will replace the fuel pump.",
    )
    return nhtsa


@pytest.fixture
def civic(customer):
    return Vehicle.objects.create(owner=customer, vin=CIVIC)


def test_decoding_a_vehicle_fetches_its_recalls(civic_recalls, civic):
    decode_vehicle.delay(civic.pk)

    civic.refresh_from_db()
    assert [r["campaign"] for r in civic.recalls] == ["19V182000", "20V314000"]
    assert civic.recalls[0]["component"] == "AIR BAGS" and civic.recalls[0]["park_it"] is True
    assert civic.recalls_checked_at is not None and civic.recall_count == 2
    [request] = civic_recalls.calls("recalls")
    assert request[2] == {"make": "Honda", "model": "Civic", "modelYear": "2019"}


def test_the_agent_says_how_many_nhtsa_lists_and_that_an_advisor_will_confirm(civic_recalls, civic):
    decode_vehicle.delay(civic.pk)
    civic.refresh_from_db()

    assert recall_notice(civic) == (
        "NHTSA lists 2 recalls for that model year; an advisor will confirm for the specific VIN."
    )


def test_one_and_no_recalls_read_naturally(nhtsa, customer):
    nhtsa.add_recall("FORD", "F-150", 2021, campaign="21V001000", component="STEERING")
    truck = Vehicle.objects.create(owner=customer, make="Ford", model="F-150", year=2021)
    sedan = Vehicle.objects.create(owner=customer, make="Toyota", model="Camry", year=2022)

    assert (
        recall_notice(truck)
        == "NHTSA lists 1 recall for that model year; an advisor will confirm for the specific VIN."
    )
    assert recall_notice(sedan) == (
        "NHTSA lists no recalls for that model year; an advisor will confirm for the specific VIN."
    )


def test_the_agent_says_when_it_cannot_check(nhtsa, customer):
    nhtsa.outage = 503
    truck = Vehicle.objects.create(owner=customer, make="Ford", model="F-150", year=2021)
    unknown = Vehicle.objects.create(owner=customer, make="Ford")

    assert recall_notice(truck) == "I can't reach NHTSA's recall list right now; an advisor can check it for you."
    assert recall_notice(unknown) == "I'd need the year, make and model, or the VIN, to look up recalls."


def test_recalls_are_cached_per_model_year(civic_recalls, customer, other_customer):
    first = Vehicle.objects.create(owner=customer, make="Honda", model="Civic", year=2019)
    second = Vehicle.objects.create(owner=other_customer, make="Honda", model="Civic", year=2019)

    assert check_recalls(first.pk) == 2 and check_recalls(second.pk) == 2
    assert len(civic_recalls.calls("recalls")) == 1


def test_nhtsa_down_leaves_the_vehicle_unchecked(nhtsa, customer):
    nhtsa.outage = 503
    truck = Vehicle.objects.create(owner=customer, make="Ford", model="F-150", year=2021)

    assert fetch_recalls.delay(truck.pk).get() == "unavailable"

    truck.refresh_from_db()
    assert truck.recalls_checked_at is None and truck.recall_count is None
    assert len(nhtsa.calls("recalls")) == 2  # the first try and NHTSA_MAX_RETRIES=1 retry


def test_the_beat_rechecks_vehicles_never_or_long_ago_checked(civic_recalls, customer):
    Vehicle.objects.create(owner=customer, make="Honda", model="Civic", year=2019)
    Vehicle.objects.create(owner=customer, make="Honda")  # not enough to ask about

    assert refresh_stale_recalls.delay().get() == "1 vehicles queued"
    assert Vehicle.objects.get(model="Civic").recall_count == 2
