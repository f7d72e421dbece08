"""A vehicle added with a VIN gets its year, make, model and trim from NHTSA vPIC - or, while vPIC
is unreachable, the manufacturer and model year from the VIN itself, and the full decode later.

httpx talks to a loopback vPIC; tasks run in-process.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from crm.actions import add_vehicle
from crm.models import Vehicle
from crm.tasks import decode_vehicle
from scheduling.tests.vendors import nhtsa, run_tasks  # noqa: F401

CIVIC = "2HGFC2F56KH512345"
ACCORD = "1HGCM82633A004352"
F150 = "1FTFW1E53MFA00001"
pytestmark = pytest.mark.usefixtures("run_tasks")


@pytest.fixture
def add(customer, django_capture_on_commit_callbacks):
    def adding(vin, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            vehicle = add_vehicle(customer, vin=vin, **fields)
        vehicle.refresh_from_db()
        return vehicle

    return adding


@pytest.fixture
def known(nhtsa):
    nhtsa.add_vehicle(CIVIC, make="HONDA", model="Civic", year=2019, trim="LX")
    nhtsa.add_vehicle(ACCORD, make="HONDA", model="Accord", year=2003, trim="EX")
    nhtsa.add_vehicle(
        F150, make="FORD", model="F-150", year=2021, trim="XLT", body_class="Pickup", vehicle_type="TRUCK"
    )
    return nhtsa


def test_adding_a_vehicle_decodes_its_vin(known, add):
    vehicle = add(CIVIC, mileage=48000)

    assert (vehicle.year, vehicle.make, vehicle.model, vehicle.trim) == (2019, "Honda", "Civic", "LX")
    assert vehicle.decode_source == "vpic" and vehicle.decoded_at is not None
    assert vehicle.decoded["details"]["BodyClass"] == "Sedan/Saloon"
    assert vehicle.mileage == 48000
    assert str(vehicle) == "2019 Honda Civic"


def test_vpic_timing_out_keeps_the_offline_decode_and_decodes_later(known, add, settings):
    settings.NHTSA_TIMEOUT_SECONDS = 0.3
    known.stall_s = 2.0

    vehicle = add(CIVIC)

    assert (vehicle.year, vehicle.make, vehicle.model) == (2019, "Honda", "")
    assert vehicle.decode_source == "offline"
    assert len(known.calls("vpic")) == 2  # the first try and NHTSA_MAX_RETRIES=1 retry

    known.stall_s = 0
    assert decode_vehicle.delay(vehicle.pk).get() == "decoded"  # what the next retry or the backfill does

    vehicle.refresh_from_db()
    assert (vehicle.year, vehicle.make, vehicle.model, vehicle.trim) == (2019, "Honda", "Civic", "LX")
    assert vehicle.decode_source == "vpic"


def test_vpic_overloaded_once_is_retried(known, add):
    known.fail_next(503)

    vehicle = add(ACCORD)

    assert (vehicle.year, vehicle.model, vehicle.decode_source) == (2003, "Accord", "vpic")


def test_a_vin_vpic_cannot_decode_keeps_the_offline_decode_without_retrying(nhtsa, add):
    vehicle = add(F150)  # this fake vPIC does not know it: ErrorCode 7

    assert (vehicle.year, vehicle.make, vehicle.decode_source) == (2021, "Ford", "offline")
    assert "not registered" in vehicle.decoded["vpic_error"]
    assert len(nhtsa.calls("vpic")) == 1


def test_the_offline_decode_never_overwrites_what_an_advisor_typed(nhtsa, add):
    nhtsa.outage = 503

    vehicle = add(CIVIC, year=2018, make="Honda (Canada)")

    assert (vehicle.year, vehicle.make, vehicle.decode_source) == (2018, "Honda (Canada)", "offline")


def test_a_decode_task_delivered_twice_asks_vpic_once(known, add):
    vehicle = add(CIVIC)

    assert decode_vehicle.delay(vehicle.pk).get() == "already_decoded"
    assert decode_vehicle.delay(vehicle.pk).get() == "already_decoded"
    assert len(known.calls("vpic")) == 1


def test_vpic_answers_are_cached(known, customer):
    vehicle = Vehicle.objects.create(owner=customer, vin=CIVIC)
    decode_vehicle.delay(vehicle.pk, force=True)
    decode_vehicle.delay(vehicle.pk, force=True)
    assert len(known.calls("vpic")) == 1


def test_decode_vins_backfills_with_a_progress_bar(nhtsa, customer, other_customer):
    nhtsa.add_vehicle(CIVIC, make="HONDA", model="Civic", year=2019, trim="LX")
    Vehicle.objects.create(owner=customer, vin=CIVIC)
    Vehicle.objects.create(owner=customer, vin=F150)
    Vehicle.objects.create(
        owner=other_customer, vin=ACCORD, make="Honda", model="Accord", year=2003, decode_source="vpic"
    )
    Vehicle.objects.create(owner=other_customer, make="Toyota", model="Corolla")  # no VIN
    nhtsa.add_recall("HONDA", "Civic", 2019, campaign="19V182000", component="AIR BAGS")
    out, err = StringIO(), StringIO()

    call_command("decode_vins", stdout=out, stderr=err)

    assert out.getvalue().strip() == (
        "2 vehicles: 1 decoded by vPIC, 0 kept offline (vPIC unreachable), 1 not decodable; "
        "recalls checked for 1, 0 recall lookups failed"
    )
    assert "VINs" in err.getvalue() and "2/2" in err.getvalue()
    civic = Vehicle.objects.get(vin=CIVIC)
    assert civic.model == "Civic" and len(civic.recalls) == 1


def test_decode_vins_with_vpic_down_keeps_offline_decodes(nhtsa, customer):
    nhtsa.outage = 503
    Vehicle.objects.create(owner=customer, vin=CIVIC)

    out = StringIO()
    call_command("decode_vins", stdout=out, stderr=StringIO())

    assert "0 decoded by vPIC, 1 kept offline" in out.getvalue()
    assert Vehicle.objects.get(vin=CIVIC).decode_source == "offline"
