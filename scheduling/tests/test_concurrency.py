"""Truly concurrent bookings on PostgreSQL: each thread has its own connection and transaction."""

import threading

import pytest
from django.db import connection

from crm.models import Customer
from scheduling.actions import Actor, BookingRefused, book_appointment, reschedule_appointment
from scheduling.models import Appointment, AppointmentChange

pytestmark = pytest.mark.django_db(transaction=True)

CALLERS = 12


def race(work, n=CALLERS):
    """Run work(i) in n threads released at the same instant; return what each returned or raised."""
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def run(i):
        try:
            connection.ensure_connection()  # connect first, so the race is on the booking itself
            barrier.wait(timeout=30)
            outcomes[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def booked(outcomes):
    return [o for o in outcomes if isinstance(o, Appointment)]


def refusal_codes(outcomes):
    unexpected = [o for o in outcomes if not isinstance(o, (Appointment, BookingRefused))]
    assert unexpected == []
    return sorted(o.code for o in outcomes if isinstance(o, BookingRefused))


@pytest.fixture
def callers(db):
    return [Customer.objects.create(name=f"Caller {i}", phone=f"+1312555{1000 + i:04d}") for i in range(CALLERS)]


def test_only_one_of_many_callers_gets_the_last_bay(shop, callers, customer, oil_change, at):
    book_appointment(customer=customer, service_type=oil_change, start=at(9), actor=Actor.command("setup"))

    outcomes = race(
        lambda i: book_appointment(
            customer=callers[i], service_type=oil_change, start=at(9), actor=Actor.phone_agent(f"CA{i}")
        )
    )

    assert len(booked(outcomes)) == 1
    assert refusal_codes(outcomes) == ["slot_taken"] * (CALLERS - 1)
    assert Appointment.objects.active().filter(start=at(9)).count() == shop.bays


def test_exactly_as_many_callers_as_bays_get_an_empty_slot(shop, callers, brake_job, at):
    shop.bays = 3
    shop.save()

    outcomes = race(
        lambda i: book_appointment(
            customer=callers[i], service_type=brake_job, start=at(8), actor=Actor.phone_agent(f"CA{i}")
        )
    )

    assert len(booked(outcomes)) == 3
    assert refusal_codes(outcomes) == ["slot_taken"] * (CALLERS - 3)
    assert Appointment.objects.count() == 3
    assert AppointmentChange.objects.filter(action="booked").count() == 3


def test_overlapping_but_different_starts_still_respect_capacity(shop, callers, brake_job, oil_change, at):
    # Brake jobs from 8:00 and oil changes at 8:30-10:30 all overlap 10:00-10:30 or earlier.
    starts = [(brake_job, at(8)), (oil_change, at(8, 30)), (oil_change, at(9)), (oil_change, at(10))]

    outcomes = race(
        lambda i: book_appointment(
            customer=callers[i],
            service_type=starts[i % 4][0],
            start=starts[i % 4][1],
            actor=Actor.phone_agent(f"CA{i}"),
        )
    )

    refusal_codes(outcomes)
    bookings = list(Appointment.objects.active())
    for moment in (at(8), at(8, 30), at(9), at(10)):
        assert sum(1 for b in bookings if b.start <= moment < b.end) <= shop.bays


def test_only_so_many_waiters_get_the_same_slot(shop, callers, oil_change, at):
    outcomes = race(
        lambda i: book_appointment(
            customer=callers[i], service_type=oil_change, start=at(10), waiter=True, actor=Actor.phone_agent(f"CA{i}")
        )
    )

    assert len(booked(outcomes)) == shop.waiters_per_slot
    assert refusal_codes(outcomes) == ["slot_taken"] * (CALLERS - shop.waiters_per_slot)


def test_a_repeated_idempotency_key_books_once_under_concurrency(shop, customer, oil_change, at):
    outcomes = race(
        lambda i: book_appointment(
            customer=customer,
            service_type=oil_change,
            start=at(11),
            actor=Actor.phone_agent("CA-retry"),
            idempotency_key="CA-retry:book:1",
        )
    )

    assert refusal_codes(outcomes) == []
    assert len({appointment.pk for appointment in outcomes}) == 1
    assert Appointment.objects.count() == 1
    assert AppointmentChange.objects.count() == 1


def test_moving_appointments_into_the_last_bay_lets_only_one_through(shop, callers, customer, oil_change, at):
    book_appointment(customer=customer, service_type=oil_change, start=at(14), actor=Actor.command("setup"))
    movers = [
        book_appointment(
            customer=callers[i],
            service_type=oil_change,
            start=at(8 + i % 4, 30 * (i // 4 % 2)),
            actor=Actor.command("setup"),
        )
        for i in range(8)
    ]

    outcomes = race(
        lambda i: reschedule_appointment(
            movers[i].pk, new_start=at(14), actor=Actor.phone_agent(f"CA{i}"), customer=callers[i]
        ),
        n=len(movers),
    )

    assert len(booked(outcomes)) == 1
    assert refusal_codes(outcomes) == ["slot_taken"] * (len(movers) - 1)
    assert Appointment.objects.active().filter(start=at(14)).count() == shop.bays
