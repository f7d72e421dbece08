"""manage.py seed_demo: a realistic demo shop, built through the booking actions, idempotent."""

import re
from datetime import time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, Vehicle
from crm.phones import normalize_phone
from crm.vin import normalize_vin
from scheduling.management import demo_shop
from scheduling.models import (
    Appointment,
    AppointmentChange,
    Closure,
    FaqAnswer,
    JobLine,
    OpeningHours,
    RepairOrder,
    RepairOrderChange,
    ServiceType,
    ShopProfile,
)


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def everything():
    """What the database holds, in enough detail to notice any change."""
    return {
        "shop": list(ShopProfile.objects.values()),
        "hours": list(OpeningHours.objects.values()),
        "closures": list(Closure.objects.values()),
        "services": list(ServiceType.objects.values()),
        "faq": list(FaqAnswer.objects.values_list("topic", "answer")),
        "customers": list(Customer.objects.order_by("pk").values_list("pk", "name", "phone", "updated_at")),
        "vehicles": list(Vehicle.objects.order_by("pk").values_list("pk", "vin", "owner_id", "updated_at")),
        "appointments": list(Appointment.objects.order_by("pk").values_list("pk", "start", "status", "updated_at")),
        "changes": AppointmentChange.objects.count(),
        "repair_orders": list(RepairOrder.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        "job_lines": list(JobLine.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        "repair_order_changes": RepairOrderChange.objects.count(),
    }


@pytest.fixture(autouse=True)
def no_cached_customers():
    """Phone lookups are cached in Redis, which outlives each test's rolled-back database."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def seeded(db):
    return seed()


def test_it_builds_the_shop_with_hours_lunch_and_a_holiday(seeded):
    shop = ShopProfile.objects.get()
    assert (shop.name, shop.bays, shop.waiters_per_slot) == ("Otto's Auto Repair", 4, 2)
    assert "Chicago, IL" in shop.address
    weekdays = {h.weekday: h for h in OpeningHours.objects.all()}
    assert sorted(weekdays) == [0, 1, 2, 3, 4, 5]  # Sunday closed
    monday = weekdays[0]
    assert (monday.opens, monday.closes, monday.lunch_start, monday.lunch_end) == (
        time(7, 30),
        time(17, 30),
        time(12),
        time(13),
    )
    assert (weekdays[5].opens, weekdays[5].closes, weekdays[5].lunch_start) == (time(8), time(13), None)
    assert Closure.objects.filter(reason="Thanksgiving", start_date__gte=timezone.localdate()).exists()


def test_it_offers_priced_services_and_approved_faq_answers(seeded):
    services = list(ServiceType.objects.all())
    assert len(services) >= 8
    assert {
        "Oil change",
        "Tire rotation",
        "Brake pads",
        "State inspection",
        "A/C service",
        "Wheel alignment",
        "Battery replacement",
        "Check engine light diagnostic",
    } <= {s.name for s in services}
    for service in services:
        service.full_clean()
        assert service.duration_minutes > 0 and "$" in service.price_estimate
    assert any(s.waiter_allowed for s in services) and any(not s.waiter_allowed for s in services)
    assert set(FaqAnswer.objects.values_list("topic", flat=True)) == {
        "location",
        "payment",
        "warranty",
        "loaners",
        "makes",
    }  # hours come from OpeningHours, not FAQ text


def test_its_customers_have_fictional_valid_phones_and_valid_vins(seeded):
    customers = list(Customer.objects.all())
    assert 45 <= len(customers) <= 60
    assert len({c.name for c in customers}) == len(customers)
    for customer in customers:
        assert normalize_phone(customer.phone) == customer.phone
        assert re.fullmatch(r"\+1\d{3}55501\d\d", customer.phone), customer.phone
    vehicles = list(Vehicle.objects.select_related("owner"))
    assert len(vehicles) == len(customers) + len(demo_shop.SECOND_CARS)
    for vehicle in vehicles:
        assert normalize_vin(vehicle.vin) == vehicle.vin
        vehicle.full_clean()


def test_its_appointments_fill_the_next_two_weeks_through_the_booking_actions(seeded):
    appointments = list(Appointment.objects.select_related("service_type"))
    assert len(appointments) >= 25
    now = timezone.now()
    assert all(now < a.start < now + timedelta(days=15) for a in appointments)
    assert len({timezone.localtime(a.start).date() for a in appointments}) >= 5
    assert all(a.end - a.start == a.service_type.duration for a in appointments)
    assert {a.source for a in appointments} == {"command"}
    assert {a.status for a in appointments} == {"booked", "confirmed"}
    booked_by = AppointmentChange.objects.filter(action="booked").values_list("actor_kind", "actor_label")
    assert set(booked_by) == {("command", "seed_demo")}
    assert AppointmentChange.objects.filter(action="booked").count() == len(appointments)


def test_it_names_the_demo_caller_who_has_an_appointment(seeded):
    assert "Demo caller: Dana Whitfield, (312) 555-0147 (+13125550147)." in seeded
    dana = Customer.objects.get(phone="+13125550147")
    assert dana.name == "Dana Whitfield"
    assert dana.vehicles.get().make == "Honda"
    assert dana.appointments.filter(start__gt=timezone.now()).exists()


def test_cars_are_in_the_shop_in_every_status_through_the_repair_order_actions(seeded):
    orders = list(RepairOrder.objects.select_related("customer", "vehicle").prefetch_related("lines"))
    assert {o.status for o in orders} == set(RepairOrder.Status.values)
    assert "10 repair orders (10 new)" in seeded
    for order in orders:
        order.full_clean()
        assert order.vehicle.owner_id == order.customer_id
        assert order.opened_at <= timezone.now()
        assert order.changes.filter(action="opened", actor_kind="command", actor_label="seed_demo").exists()
    by_customer = {}
    for order in RepairOrder.objects.open():
        by_customer.setdefault(order.customer.name, []).append(order)
    assert len(by_customer["Marcus Johnson"]) == 2, "one customer has two cars in the shop"
    truck = next(o for o in by_customer["Marcus Johnson"] if o.vehicle.model == "F-150")
    assert truck.status == "awaiting_approval"
    assert [(l.description, l.status) for l in truck.lines.all()] == [
        ("Check engine light diagnostic", "done"),
        ("Front brake pads", "recommended"),
        ("Rear rotors", "recommended"),
        ("Coolant flush", "recommended"),
    ]
    dana = by_customer["Dana Whitfield"][0]
    assert dana.status == "ready" and dana.status_note_approved and dana.technician
    held = RepairOrder.objects.get(status="on_hold")
    assert held.status_note and not held.status_note_approved, "a note no advisor approved, never to be read"
    parts = RepairOrder.objects.get(status="waiting_parts")
    assert parts.status_note_approved and "water pump arrives" in parts.status_note
    assert parts.promised_at > timezone.now()
    assert sum(bool(o.technician and o.internal_notes) for o in orders) >= 4
    lines = JobLine.objects.all()
    assert {l.status for l in lines} == set(JobLine.Status.values)
    assert lines.filter(requested_by_customer=True, status="recommended").exists()
    assert all(l.follow_up_on for l in lines.filter(status="declined"))


def test_running_it_again_changes_nothing(seeded):
    before = everything()
    again = seed()
    assert everything() == before
    assert "(0 new)" in again and "(0 new, " in again
    assert "10 repair orders (0 new)" in again


def test_it_keeps_a_shop_the_manager_already_set_up(db):
    ShopProfile.objects.create(name="Otto's Auto Repair & Tire", bays=6)
    seed()
    assert ShopProfile.objects.get().name == "Otto's Auto Repair & Tire"


def test_it_builds_a_large_data_set_of_valid_customers_once(db):
    output = seed("--customers", "500")
    assert Customer.objects.count() == 500
    assert Vehicle.objects.count() == 500 + len(demo_shop.SECOND_CARS)
    assert "500 customers (500 new)" in output
    for customer in Customer.objects.order_by("?")[:50]:
        assert normalize_phone(customer.phone) == customer.phone
    for vin in Vehicle.objects.order_by("?").values_list("vin", flat=True)[:50]:
        assert normalize_vin(vin) == vin
    before = everything()
    seed("--customers", "500")
    assert everything() == before
    seed("--customers", "520")
    assert Customer.objects.count() == 520


def test_generated_customers_are_found_by_phone(db):
    from crm.actions import find_customer_by_phone

    seed("--customers", "120")
    generated = Customer.objects.exclude(phone__regex=r"55501\d\d$").first()
    assert find_customer_by_phone(generated.phone) == generated


def test_a_negative_count_is_refused(db):
    with pytest.raises(CommandError, match="zero or more"):
        seed("--customers", "-1")
    assert not Customer.objects.exists()


def test_the_back_office_shows_the_seeded_shop(seeded, signed_in, manager, django_assert_max_num_queries):
    client = signed_in(manager)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:scheduling_appointment_changelist"), {"when": "upcoming"})
    assert len(response.context["cl"].result_list) == Appointment.objects.count()
    for url in (
        reverse("admin:crm_customer_changelist"),
        reverse("admin:scheduling_servicetype_changelist"),
        reverse("admin:crm_customer_change", args=[Customer.objects.get(phone="+13125550147").pk]),
        reverse("admin:scheduling_appointment_change", args=[Appointment.objects.first().pk]),
    ):
        assert client.get(url).status_code == 200, url
