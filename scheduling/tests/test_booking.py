from datetime import timedelta

import pytest
from django.utils import timezone

from crm.actions import add_vehicle
from scheduling.actions import (
    Actor,
    BookingRefused,
    available_slots,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
    set_appointment_status,
    upcoming_appointments,
    upcoming_count,
)
from scheduling.models import Appointment, AppointmentChange, Closure

agent = Actor.phone_agent("CA0001")


def book(customer, service, start, **kwargs):
    return book_appointment(
        customer=customer, service_type=service, start=start, actor=kwargs.pop("actor", agent), **kwargs
    )


def refusal(call, *args, **kwargs):
    with pytest.raises(BookingRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def test_it_books_for_the_length_of_the_service(shop, customer, brake_job, at):
    appointment = book(customer, brake_job, at(8), notes="Squeals when braking", loaner_requested=True)
    appointment.refresh_from_db()
    assert appointment.end - appointment.start == timedelta(hours=3)
    assert appointment.start == at(8)
    assert (appointment.status, appointment.source) == ("booked", "phone_agent")
    assert appointment.loaner_requested and appointment.notes == "Squeals when braking"


def test_it_records_who_booked_and_what(shop, customer, oil_change, at, advisor):
    appointment = book(customer, oil_change, at(9), actor=Actor.advisor(advisor))
    change = AppointmentChange.objects.get(appointment=appointment)
    assert (change.action, change.actor_kind, change.actor_user, change.actor_label) == (
        "booked",
        "advisor",
        advisor,
        "priya",
    )
    assert change.details["before"] is None
    assert change.details["after"]["start"] == at(9).isoformat()
    assert change.details["after"]["service_type"] == "Oil change"
    assert appointment.source == "advisor"


def test_commands_and_tasks_book_as_commands(shop, customer, oil_change, at):
    assert book(customer, oil_change, at(9), actor=Actor.command("seed_demo")).source == "command"
    assert book(customer, oil_change, at(10), actor=Actor.task("import")).source == "command"


def test_it_announces_the_booking_only_after_commit(
    shop, customer, oil_change, at, announced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        appointment = book(customer, oil_change, at(9))
        assert announced == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert announced == [(appointment.pk, "booked")]


def test_a_failing_listener_does_not_undo_or_break_the_booking(
    shop, customer, oil_change, at, django_capture_on_commit_callbacks
):
    from scheduling.signals import appointment_changed

    def broken(**kwargs):
        raise RuntimeError("broker down")

    appointment_changed.connect(broken, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            appointment = book(customer, oil_change, at(9))
    finally:
        appointment_changed.disconnect(broken)
    assert Appointment.objects.filter(pk=appointment.pk, status="booked").exists()


def test_it_books_the_customers_own_vehicle(shop, customer, oil_change, at):
    vehicle = add_vehicle(customer, year=2016, make="Honda", model="Civic")
    assert book(customer, oil_change, at(9), vehicle=vehicle).vehicle == vehicle


def test_it_refuses_someone_elses_vehicle(shop, customer, other_customer, oil_change, at):
    vehicle = add_vehicle(other_customer, year=2012, make="Ford", model="F-150")
    refused = refusal(book, customer, oil_change, at(9), vehicle=vehicle)
    assert refused.code == "invalid" and "vehicle" in refused.message
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "hour, minute, code",
    [(7, 30, "outside_hours"), (12, 0, "outside_hours"), (16, 45, "outside_hours"), (17, 0, "outside_hours")],
)
def test_it_refuses_times_outside_opening_hours(shop, customer, oil_change, at, hour, minute, code):
    refused = refusal(book, customer, oil_change, at(hour, minute))
    assert refused.code == code
    assert "while the shop is open" in refused.message


def test_a_long_job_may_not_run_into_lunch_or_past_closing(shop, customer, brake_job, at):
    assert refusal(book, customer, brake_job, at(10)).code == "outside_hours"
    assert refusal(book, customer, brake_job, at(14, 30)).code == "outside_hours"
    assert book(customer, brake_job, at(13)).end == at(16)


def test_it_refuses_closed_days_and_holidays(shop, customer, oil_change, at, booking_day):
    sunday = booking_day + timedelta(days=6 - booking_day.weekday())
    refused = refusal(book, customer, oil_change, at(9, day=sunday))
    assert refused.code == "closed" and "Sunday" in refused.message
    Closure.objects.create(start_date=booking_day, end_date=booking_day, reason="Staff training")
    assert refusal(book, customer, oil_change, at(9)).code == "closed"


def test_it_refuses_the_past_too_soon_and_too_far(shop, customer, oil_change):
    now = timezone.now().astimezone(shop.tz)
    assert refusal(book, customer, oil_change, now - timedelta(days=1)).code == "in_past"
    too_soon = refusal(book, customer, oil_change, now + timedelta(minutes=20))
    assert too_soon.code == "too_soon" and "earliest start" in too_soon.message
    too_far = refusal(book, customer, oil_change, now + timedelta(days=61))
    assert too_far.code == "too_far" and "60 days" in too_far.message


def test_it_refuses_naive_times_and_non_times(shop, customer, oil_change, at):
    assert refusal(book, customer, oil_change, at(9).replace(tzinfo=None)).code == "invalid"
    assert refusal(book, customer, oil_change, "tomorrow at nine").code == "invalid"


def test_a_waiter_cannot_book_a_drop_off_only_service(shop, customer, brake_job, at):
    refused = refusal(book, customer, brake_job, at(8), waiter=True)
    assert refused.code == "waiter_not_allowed" and "drop-off only" in refused.message


def test_an_inactive_service_cannot_be_booked(shop, customer, oil_change, at):
    oil_change.active = False
    oil_change.save()
    assert refusal(book, customer, oil_change, at(9)).code == "service_inactive"
    assert refusal(available_slots, oil_change, at(8), at(17)).code == "service_inactive"


def test_when_every_bay_is_taken_the_slot_is_refused(shop, customer, other_customer, oil_change, brake_job, at):
    from crm.models import Customer

    third = Customer.objects.create(name="Lena Kowalski", phone="+17735550133")
    book(third, brake_job, at(8))
    book(other_customer, oil_change, at(9, 30))
    refused = refusal(book, customer, oil_change, at(9, 30))
    assert refused.code == "slot_taken" and "fully booked" in refused.message
    assert Appointment.objects.count() == 2
    assert book(customer, oil_change, at(10)).start == at(10)


def test_only_so_many_customers_can_wait_at_once(shop, customer, other_customer, oil_change, at):
    book(customer, oil_change, at(9), waiter=True)
    assert refusal(book, other_customer, oil_change, at(9), waiter=True).code == "slot_taken"
    assert book(other_customer, oil_change, at(9), waiter=False).waiter is False


def test_cancelled_and_finished_appointments_free_their_bay(shop, customer, other_customer, oil_change, at):
    first = book(customer, oil_change, at(9))
    book(other_customer, oil_change, at(9))
    assert at(9) not in available_slots(oil_change, at(8), at(17))
    cancel_appointment(first, actor=agent)
    assert at(9) in available_slots(oil_change, at(8), at(17))


def test_available_slots_says_why_rather_than_offering_nothing(shop, brake_job, at):
    assert refusal(available_slots, brake_job, at(8), at(17), waiter=True).code == "waiter_not_allowed"
    assert refusal(available_slots, brake_job, at(8).replace(tzinfo=None), at(17)).code == "invalid"


def test_an_actor_must_be_a_known_kind():
    with pytest.raises(ValueError):
        Actor("somebody")


def test_available_slots_counts_calendar_busy_time_as_a_bay(shop, oil_change, at, monkeypatch):
    import scheduling.actions

    shop.bays = 1
    shop.save()
    monkeypatch.setattr(scheduling.actions, "external_busy", lambda start, end: [(at(10), at(11))])
    slots = available_slots(oil_change, at(8), at(17))
    assert at(9, 30) in slots and at(11) in slots
    assert at(10) not in slots and at(10, 30) not in slots


def test_available_slots_are_aware_and_local(shop, oil_change, at):
    slots = available_slots(oil_change, at(0), at(23))
    assert slots[0] == at(8) and slots[-1] == at(16, 30)
    assert all(slot.tzinfo is not None and slot.utcoffset() == at(9).utcoffset() for slot in slots)


# --- Idempotency ---------------------------------------------------------------------------


def test_a_repeated_idempotency_key_books_once(shop, customer, oil_change, at):
    first = book(customer, oil_change, at(9), idempotency_key="CA0001:book:1")
    again = book(customer, oil_change, at(9), idempotency_key="CA0001:book:1")
    assert again.pk == first.pk
    assert Appointment.objects.count() == 1
    assert AppointmentChange.objects.count() == 1


def test_a_repeated_key_returns_the_booking_even_once_the_slot_is_full(shop, customer, other_customer, oil_change, at):
    first = book(customer, oil_change, at(9), idempotency_key="retry-me")
    book(other_customer, oil_change, at(9))
    assert book(customer, oil_change, at(9), idempotency_key="retry-me").pk == first.pk


def test_an_idempotency_key_of_another_customer_is_refused(shop, customer, other_customer, oil_change, at):
    book(customer, oil_change, at(9), idempotency_key="shared")
    assert refusal(book, other_customer, oil_change, at(10), idempotency_key="shared").code == "invalid"
    assert Appointment.objects.count() == 1


# --- Rescheduling ----------------------------------------------------------------------------


def test_it_reschedules_and_keeps_the_length(
    shop, customer, brake_job, at, announced, django_capture_on_commit_callbacks
):
    appointment = book(customer, brake_job, at(8))
    with django_capture_on_commit_callbacks(execute=True):
        moved = reschedule_appointment(appointment.pk, new_start=at(13), actor=agent, customer=customer)
    moved.refresh_from_db()
    assert (moved.start, moved.end) == (at(13), at(16))
    change = moved.changes.get(action="rescheduled")
    assert change.details["before"]["start"] == at(8).isoformat()
    assert change.details["after"]["start"] == at(13).isoformat()
    assert announced == [(moved.pk, "rescheduled")]


def test_rescheduling_does_not_count_the_appointment_against_itself(shop, customer, brake_job, at):
    shop.bays = 1
    shop.save()
    appointment = book(customer, brake_job, at(8))
    assert reschedule_appointment(appointment, new_start=at(8, 30), actor=agent).start == at(8, 30)


def test_rescheduling_into_a_full_slot_leaves_the_appointment_alone(shop, customer, other_customer, oil_change, at):
    shop.bays = 1
    shop.save()
    mine = book(customer, oil_change, at(9))
    book(other_customer, oil_change, at(10))
    assert refusal(reschedule_appointment, mine, new_start=at(10), actor=agent).code == "slot_taken"
    mine.refresh_from_db()
    assert mine.start == at(9)
    assert mine.changes.count() == 1


def test_rescheduling_follows_the_same_rules_as_booking(shop, customer, brake_job, at):
    appointment = book(customer, brake_job, at(8))
    assert refusal(reschedule_appointment, appointment, new_start=at(11), actor=agent).code == "outside_hours"
    past = timezone.now() - timedelta(hours=3)
    assert refusal(reschedule_appointment, appointment, new_start=past, actor=agent).code == "in_past"


def test_nobody_can_move_or_cancel_someone_elses_appointment(shop, customer, other_customer, oil_change, at):
    theirs = book(other_customer, oil_change, at(9))
    moved = refusal(reschedule_appointment, theirs, new_start=at(10), actor=agent, customer=customer)
    missing = refusal(reschedule_appointment, 999999, new_start=at(10), actor=agent, customer=customer)
    cancelled = refusal(cancel_appointment, theirs.pk, actor=agent, customer=customer)
    assert moved.code == missing.code == cancelled.code == "not_your_appointment"
    assert moved.message == missing.message == cancelled.message
    theirs.refresh_from_db()
    assert (theirs.start, theirs.status) == (at(9), "booked")


def test_a_cancelled_appointment_cannot_be_rescheduled(shop, customer, oil_change, at):
    appointment = book(customer, oil_change, at(9))
    cancel_appointment(appointment, actor=agent)
    refused = refusal(reschedule_appointment, appointment, new_start=at(10), actor=agent)
    assert refused.code == "not_active" and "cancelled" in refused.message


def test_an_unknown_appointment_is_a_clear_refusal_for_staff(shop, advisor):
    assert refusal(cancel_appointment, 424242, actor=Actor.advisor(advisor)).code == "invalid"
    assert refusal(cancel_appointment, "not-an-id", actor=Actor.advisor(advisor)).code == "invalid"


# --- Cancelling and status --------------------------------------------------------------------


def test_it_cancels_with_a_reason_on_record(
    shop, customer, oil_change, at, announced, django_capture_on_commit_callbacks
):
    appointment = book(customer, oil_change, at(9))
    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(appointment, actor=agent, customer=customer, reason="Car sold")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    change = appointment.changes.get(action="cancelled")
    assert change.details["reason"] == "Car sold"
    assert (change.details["before"]["status"], change.details["after"]["status"]) == ("booked", "cancelled")
    assert announced == [(appointment.pk, "cancelled")]


def test_cancelling_twice_changes_nothing_the_second_time(shop, customer, oil_change, at):
    appointment = book(customer, oil_change, at(9))
    cancel_appointment(appointment, actor=agent)
    cancel_appointment(appointment, actor=agent)
    assert appointment.changes.filter(action="cancelled").count() == 1


def test_advisors_move_an_appointment_through_its_day(
    shop, customer, oil_change, at, advisor, announced, django_capture_on_commit_callbacks
):
    appointment = book(customer, oil_change, at(9))
    actor = Actor.advisor(advisor)
    with django_capture_on_commit_callbacks(execute=True):
        for status in ("confirmed", "arrived", "completed"):
            assert set_appointment_status(appointment, status, actor=actor).status == status
    assert [c.details["after"]["status"] for c in appointment.changes.filter(action="status").order_by("id")] == [
        "confirmed",
        "arrived",
        "completed",
    ]
    assert announced == [(appointment.pk, "status")] * 3
    refused = refusal(set_appointment_status, appointment, "arrived", actor=actor)
    assert refused.code == "not_active"


def test_status_cannot_go_backwards_or_be_made_up(shop, customer, oil_change, at, advisor):
    appointment = book(customer, oil_change, at(9))
    actor = Actor.advisor(advisor)
    set_appointment_status(appointment, "arrived", actor=actor)
    assert refusal(set_appointment_status, appointment, "confirmed", actor=actor).code == "invalid"
    assert refusal(set_appointment_status, appointment, "on_fire", actor=actor).code == "invalid"
    assert refusal(set_appointment_status, appointment, "cancelled", actor=actor).code == "invalid"


@pytest.fixture
def missed_appointment(shop, customer, oil_change):
    start = timezone.now() - timedelta(days=1)
    return Appointment.objects.create(
        customer=customer, service_type=oil_change, start=start, end=start + oil_change.duration
    )


def test_a_no_show_counts_against_the_customer(missed_appointment, customer, advisor):
    from crm.actions import find_customer_by_phone

    assert find_customer_by_phone(customer.phone).no_show_count == 0
    set_appointment_status(missed_appointment, "no_show", actor=Actor.advisor(advisor))
    set_appointment_status(missed_appointment, "no_show", actor=Actor.advisor(advisor))
    customer.refresh_from_db()
    assert customer.no_show_count == 1
    assert find_customer_by_phone(customer.phone).no_show_count == 1


def test_a_future_appointment_cannot_be_a_no_show(shop, customer, oil_change, at, advisor):
    appointment = book(customer, oil_change, at(9))
    assert refusal(set_appointment_status, appointment, "no_show", actor=Actor.advisor(advisor)).code == "invalid"
    customer.refresh_from_db()
    assert customer.no_show_count == 0


# --- Upcoming ----------------------------------------------------------------------------------


def test_upcoming_lists_the_customers_active_future_appointments_soonest_first(
    shop, customer, other_customer, oil_change, brake_job, at, missed_appointment
):
    later = book(customer, oil_change, at(15))
    sooner = book(customer, brake_job, at(8))
    cancel_appointment(book(customer, oil_change, at(13)), actor=agent)
    book(other_customer, oil_change, at(9))
    assert upcoming_appointments(customer) == [sooner, later]
    assert upcoming_appointments(customer, now=at(9)) == [later]


def test_upcoming_count_counts_only_the_customers_active_future_appointments(
    shop, customer, other_customer, oil_change, brake_job, at, missed_appointment
):
    book(customer, oil_change, at(15))
    book(customer, brake_job, at(8))
    cancel_appointment(book(customer, oil_change, at(13)), actor=agent)
    book(other_customer, oil_change, at(9))
    assert upcoming_count(customer) == 2
    assert upcoming_count(customer, now=at(9)) == 1
    assert upcoming_count(other_customer) == 1


def test_upcoming_loads_services_without_extra_queries(shop, customer, oil_change, at, django_assert_num_queries):
    for hour in (9, 10, 14):
        book(customer, oil_change, at(hour))
    with django_assert_num_queries(1):
        names = [a.service_type.name for a in upcoming_appointments(customer)]
    assert names == ["Oil change"] * 3


# --- Daylight saving ---------------------------------------------------------------------------


def test_a_booking_over_the_spring_clock_change_lasts_its_real_length(shop, customer, oil_change):
    from datetime import date, datetime, time

    from scheduling.models import OpeningHours, ServiceType

    today = timezone.now().astimezone(shop.tz).date()
    year = today.year if today < date(today.year, 3, 1) else today.year + 1
    march_first = date(year, 3, 1)
    spring_forward = march_first + timedelta(days=(6 - march_first.weekday()) % 7 + 7)  # second Sunday
    shop.booking_horizon_days = 400
    shop.save()
    OpeningHours.objects.create(weekday=6, opens=time(0), closes=time(4))
    overnight = ServiceType.objects.create(name="Overnight diagnosis", duration_minutes=120)
    start = datetime.combine(spring_forward, time(1), tzinfo=shop.tz)

    appointment = book(customer, overnight, start)
    appointment.refresh_from_db()
    assert appointment.end.astimezone(shop.tz).time() == time(4)  # 1:00 CST + 2 h = 4:00 CDT
    assert appointment.end - appointment.start == timedelta(hours=2)
    assert refusal(book, customer, overnight, start + timedelta(minutes=30)).code == "outside_hours"
    slots = available_slots(overnight, start - timedelta(hours=1), start + timedelta(hours=5))
    assert [s.time() for s in slots] == [time(0), time(0, 30), time(1)]


# --- The embedded default (SQLite) reads booked times the same way ------------------------------


def test_booked_times_read_back_as_the_same_instants_on_sqlite(django_db_blocker):
    from datetime import UTC, datetime

    from django.db.models.expressions import RawSQL
    from django.db.models.sql import Query
    from django.db.utils import ConnectionHandler

    from scheduling.actions import _EpochSeconds

    moment = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
    with django_db_blocker.unblock():
        sqlite = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})["default"]
        try:
            compiler = Query(Appointment).get_compiler(connection=sqlite)
            sql, params = _EpochSeconds(RawSQL("at", [])).as_sqlite(compiler, sqlite)
            with sqlite.cursor() as cursor:
                cursor.execute("CREATE TABLE booked (at datetime)")
                cursor.execute("INSERT INTO booked VALUES (%s)", [sqlite.ops.adapt_datetimefield_value(moment)])
                cursor.execute(f"SELECT {sql} FROM booked", params)
                assert cursor.fetchone()[0] == moment.timestamp()
        finally:
            sqlite.close()
