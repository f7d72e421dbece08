"""A VIN is decoded in the background once, after the write that added it commits; never for a write
that rolled back; and a broker that is down never fails the write (`manage.py decode_vins` catches up).

Tasks run in-process against a loopback vPIC.
"""

import logging

import pytest
from django.db import transaction
from django.urls import reverse
from kombu.exceptions import OperationalError

from crm import tasks
from crm.actions import add_vehicle
from crm.models import Vehicle
from crm.tasks import queue_vin_decode
from scheduling.tests.vendors import nhtsa, run_tasks  # noqa: F401

ACCORD = "1HGCM82633A004352"
pytestmark = pytest.mark.usefixtures("run_tasks")


class RolledBack(Exception):
    pass


@pytest.fixture
def known(nhtsa):
    nhtsa.add_vehicle(ACCORD, make="HONDA", model="Accord", year=2003, trim="EX")
    return nhtsa


@pytest.fixture
def accord(customer):
    """A vehicle with a VIN, written without queueing anything."""
    return Vehicle.objects.create(owner=customer, vin=ACCORD)


class BrokerDown:
    """A task whose broker refuses the connection, as Celery raises it when Redis is down."""

    def delay(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")


@pytest.fixture
def broker_down(monkeypatch):
    monkeypatch.setattr(tasks, "decode_vehicle", BrokerDown())


def test_it_decodes_once_after_the_write_commits(known, accord, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_vin_decode(accord.pk)
        assert known.calls("vpic") == []  # a worker must not look before the vehicle is there

    accord.refresh_from_db()
    assert (accord.make, accord.model, accord.decode_source) == ("Honda", "Accord", "vpic")
    assert len(known.calls("vpic")) == 1


def test_nothing_is_decoded_when_the_write_rolls_back(known, accord, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RolledBack), transaction.atomic():
            queue_vin_decode(accord.pk)
            raise RolledBack

    assert callbacks == []
    assert known.calls("vpic") == []
    accord.refresh_from_db()
    assert accord.decode_source == ""


def test_a_broker_outage_is_logged_and_the_vehicle_is_still_added(
    customer, broker_down, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.ERROR, logger="crm.tasks"), django_capture_on_commit_callbacks(execute=True):
        vehicle = add_vehicle(customer, vin=ACCORD)

    assert Vehicle.objects.filter(pk=vehicle.pk, vin=ACCORD).exists()
    [record] = [r for r in caplog.records if r.name == "crm.tasks"]
    assert record.getMessage() == (
        f"Could not queue the VIN decode of vehicle {vehicle.pk}; `manage.py decode_vins` will do it"
    )
    assert isinstance(record.exc_info[1], OperationalError)


def test_decode_again_in_the_back_office_decodes_even_a_decoded_vin(
    known, customer, signed_in, service_advisor, django_capture_on_commit_callbacks
):
    # Marked decoded but empty: only a forced decode looks at vPIC again.
    vehicle = Vehicle.objects.create(owner=customer, vin=ACCORD, decode_source="vpic")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(service_advisor).post(
            reverse("admin:crm_vehicle_changelist"),
            {"action": "decode_again", "_selected_action": [vehicle.pk]},
            follow=True,
        )

    assert "1 vehicles queued for decoding." in response.content.decode()
    vehicle.refresh_from_db()
    assert (vehicle.make, vehicle.model, vehicle.trim) == ("Honda", "Accord", "EX")
    assert len(known.calls("vpic")) == 1
