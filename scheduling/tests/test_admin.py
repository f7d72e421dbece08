"""The back office for the schedule: bookings through the same rules as the phone agent."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, Vehicle
from scheduling.actions import Actor, book_appointment, set_appointment_status
from scheduling.models import Appointment, AppointmentChange, Closure, FaqAnswer, OpeningHours

APPOINTMENTS = reverse("admin:scheduling_appointment_changelist")
BOOK = reverse("admin:scheduling_appointment_add")
OFFICE = Actor.command("test-setup")


def change_url(appointment):
    return reverse("admin:scheduling_appointment_change", args=[appointment.pk])


def weekday_at(hour, minute=0, *, days_ahead=2):
    """A Monday-to-Thursday at least `days_ahead` days from today, at a local wall-clock time."""
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() > 3:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def next_sunday_at(hour):
    day = timezone.localdate() + timedelta(days=2)
    while day.weekday() != 6:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def booking_form(customer, service_type, start, **overrides):
    data = {
        "customer": customer.pk,
        "vehicle": "",
        "service_type": service_type.pk,
        "start_0": start.strftime("%Y-%m-%d"),
        "start_1": start.strftime("%H:%M:%S"),
        "notes": "",
        "booking_key": f"admin:test-{start:%Y%m%d%H%M}-{customer.pk}",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def moving_form(start, status):
    return {"start_0": start.strftime("%Y-%m-%d"), "start_1": start.strftime("%H:%M:%S"), "status": status}


def form_errors(response):
    return response.context["adminform"].form.errors


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def booked(shop, customer, oil_change):
    return book_appointment(customer=customer, service_type=oil_change, start=weekday_at(9), actor=OFFICE)


@pytest.fixture
def full_at_ten(shop, oil_change, other_customer):
    """Both bays taken at 10:00 by other people."""
    third = Customer.objects.create(name="Lena Kowalski", phone="+17735550133")
    for who in (other_customer, third):
        book_appointment(customer=who, service_type=oil_change, start=weekday_at(10), actor=OFFICE)
    return weekday_at(10)


# --- Who may see what ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["service_advisor", "manager"])
def test_advisors_and_managers_can_open_the_schedule_pages(request, signed_in, persona, shop, booked):
    client = signed_in(request.getfixturevalue(persona))
    closure = Closure.objects.create(
        start_date=weekday_at(9).date() + timedelta(days=30),
        end_date=weekday_at(9).date() + timedelta(days=30),
        reason="Thanksgiving",
    )
    pages = [
        APPOINTMENTS,
        BOOK,
        change_url(booked),
        APPOINTMENTS + "?when=today",
        APPOINTMENTS + "?when=week",
        APPOINTMENTS + "?when=upcoming",
        APPOINTMENTS + "?when=past",
        APPOINTMENTS + f"?status=booked&service_type__id__exact={booked.service_type_id}",
        reverse("admin:scheduling_servicetype_changelist"),
        reverse("admin:scheduling_servicetype_change", args=[booked.service_type_id]),
        reverse("admin:scheduling_openinghours_changelist"),
        reverse("admin:scheduling_openinghours_change", args=[OpeningHours.objects.first().pk]),
        reverse("admin:scheduling_closure_changelist"),
        reverse("admin:scheduling_closure_change", args=[closure.pk]),
        reverse("admin:scheduling_faqanswer_changelist"),
        reverse("admin:scheduling_faqanswer_change", args=[FaqAnswer.objects.first().pk]),
        reverse("admin:scheduling_shopprofile_change", args=[shop.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    page = client.get(change_url(booked)).content.decode()
    assert "booked" in page and "test-setup" in page  # the audit trail is on the page


def test_the_shop_profile_list_opens_the_one_shop(signed_in, manager, shop):
    client = signed_in(manager)
    response = client.get(reverse("admin:scheduling_shopprofile_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:scheduling_shopprofile_change", args=[shop.pk])
    assert client.get(reverse("admin:scheduling_shopprofile_add")).status_code == 403


def test_an_outsider_is_sent_to_the_login_page(signed_in, outsider, booked):
    for url in (APPOINTMENTS, BOOK, change_url(booked)):
        response = signed_in(outsider).get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_staff_outside_both_groups_cannot_see_or_book(signed_in, staff_without_group, booked, customer, oil_change):
    client = signed_in(staff_without_group)
    assert client.get(APPOINTMENTS).status_code == 403
    assert client.get(change_url(booked)).status_code == 403
    assert client.post(BOOK, booking_form(customer, oil_change, weekday_at(14))).status_code == 403
    assert Appointment.objects.count() == 1


def test_advisors_read_but_cannot_edit_service_types_hours_or_the_shop(signed_in, service_advisor, shop, oil_change):
    client = signed_in(service_advisor)
    url = reverse("admin:scheduling_servicetype_change", args=[oil_change.pk])
    data = {"name": "Oil change", "duration_minutes": "15", "price_low": "1", "price_high": "2", "active": "on"}
    assert client.post(url, data).status_code == 403
    oil_change.refresh_from_db()
    assert oil_change.duration_minutes == 30
    assert client.get(reverse("admin:scheduling_servicetype_add")).status_code == 403
    assert client.get(reverse("admin:scheduling_closure_add")).status_code == 403
    hours = OpeningHours.objects.get(weekday=0)
    assert (
        client.post(
            reverse("admin:scheduling_openinghours_change", args=[hours.pk]),
            {"weekday": "0", "opens": "06:00", "closes": "17:00"},
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:scheduling_appointmentchange_changelist")).status_code == 403


def test_managers_change_service_types_and_read_the_audit_trail(signed_in, manager, booked, oil_change):
    client = signed_in(manager)
    url = reverse("admin:scheduling_servicetype_change", args=[oil_change.pk])
    data = {
        "name": "Oil change",
        "description": "",
        "duration_minutes": "45",
        "price_low": "59",
        "price_high": "99",
        "waiter_allowed": "on",
        "active": "on",
    }
    assert client.post(url, data).status_code == 302
    oil_change.refresh_from_db()
    assert oil_change.duration_minutes == 45
    audit = client.get(reverse("admin:scheduling_appointmentchange_changelist"))
    assert audit.status_code == 200
    assert [c.action for c in audit.context["cl"].result_list] == ["booked"]


def test_nobody_deletes_an_appointment(signed_in, manager, booked):
    response = signed_in(manager).post(
        reverse("admin:scheduling_appointment_delete", args=[booked.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Appointment.objects.filter(pk=booked.pk).exists()


# --- Booking from the back office ----------------------------------------------------------------


def test_an_advisor_books_through_the_booking_rules(signed_in, service_advisor, shop, customer, oil_change):
    vehicle = Vehicle.objects.create(owner=customer, make="Subaru", model="Outback")
    response = signed_in(service_advisor).post(
        BOOK,
        booking_form(customer, oil_change, weekday_at(14), vehicle=vehicle.pk, waiter="on", notes="Rattle over bumps"),
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.customer, appointment.vehicle, appointment.start) == (customer, vehicle, weekday_at(14))
    assert appointment.end == weekday_at(14, 30)
    assert appointment.waiter and appointment.notes == "Rattle over bumps"
    assert appointment.source == Appointment.Source.ADVISOR
    entry = appointment.changes.get()
    assert (entry.action, entry.actor_kind, entry.actor_user) == ("booked", "advisor", service_advisor)


def test_booking_a_full_slot_is_a_form_error_with_the_reason(
    signed_in, service_advisor, customer, oil_change, full_at_ten
):
    before = Appointment.objects.count()
    response = signed_in(service_advisor).post(BOOK, booking_form(customer, oil_change, full_at_ten))
    assert response.status_code == 200
    assert form_errors(response)["start"][0] == "That time is already fully booked."
    assert form_errors(response)["start"][1].startswith("Free that day: ")  # the nearest free times
    assert "That time is already fully booked." in response.content.decode()
    assert Appointment.objects.count() == before
    assert not Appointment.objects.filter(customer=customer).exists()


def test_booking_a_closed_day_says_the_shop_is_closed(signed_in, service_advisor, shop, customer, oil_change):
    response = signed_in(service_advisor).post(BOOK, booking_form(customer, oil_change, next_sunday_at(10)))
    assert response.status_code == 200
    assert form_errors(response)["start"][0].startswith("The shop is closed on Sunday")
    assert not Appointment.objects.exists()


def test_a_service_that_would_run_into_lunch_is_refused(signed_in, service_advisor, shop, customer, brake_job):
    response = signed_in(service_advisor).post(BOOK, booking_form(customer, brake_job, weekday_at(10)))
    assert "has to start and finish while the shop is open" in form_errors(response)["start"][0]
    assert not Appointment.objects.exists()


def test_waiting_for_a_drop_off_only_service_is_refused(signed_in, service_advisor, shop, customer, brake_job):
    response = signed_in(service_advisor).post(BOOK, booking_form(customer, brake_job, weekday_at(8), waiter="on"))
    assert "drop-off only" in form_errors(response)["waiter"][0]
    assert not Appointment.objects.exists()


def test_a_vehicle_of_another_customer_is_refused(
    signed_in, service_advisor, shop, customer, other_customer, oil_change
):
    theirs = Vehicle.objects.create(owner=other_customer, make="Ford", model="Focus")
    response = signed_in(service_advisor).post(
        BOOK, booking_form(customer, oil_change, weekday_at(14), vehicle=theirs.pk)
    )
    assert form_errors(response)["vehicle"][0].startswith("That vehicle belongs to Marcus Oyelaran")
    assert not Appointment.objects.exists()


def test_a_double_clicked_save_books_once(signed_in, service_advisor, shop, customer, oil_change):
    client = signed_in(service_advisor)
    data = booking_form(customer, oil_change, weekday_at(14))
    assert client.post(BOOK, data).status_code == 302
    assert client.post(BOOK, data).status_code == 302
    assert Appointment.objects.count() == 1


def test_the_booking_page_offers_a_fresh_booking_key(signed_in, service_advisor, shop):
    client = signed_in(service_advisor)
    first, second = (client.get(BOOK).context["adminform"].form["booking_key"].value() for _ in range(2))
    assert first.startswith("admin:") and first != second


# --- Changing an appointment -----------------------------------------------------------------------


def test_moving_an_appointment_reschedules_it_and_records_who(signed_in, service_advisor, booked):
    response = signed_in(service_advisor).post(change_url(booked), moving_form(weekday_at(15), "booked"))
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.start, booked.end) == (weekday_at(15), weekday_at(15, 30))
    latest = booked.changes.first()
    assert (latest.action, latest.actor_user) == ("rescheduled", service_advisor)


def test_moving_into_a_full_slot_is_a_form_error_and_keeps_the_time(signed_in, service_advisor, booked, full_at_ten):
    response = signed_in(service_advisor).post(change_url(booked), moving_form(full_at_ten, "booked"))
    assert response.status_code == 200
    assert form_errors(response)["start"][0] == "That time is already fully booked."
    booked.refresh_from_db()
    assert booked.start == weekday_at(9)
    assert list(booked.changes.values_list("action", flat=True)) == ["booked"]


def test_cancelling_from_the_change_page_uses_the_cancel_action(signed_in, service_advisor, booked):
    response = signed_in(service_advisor).post(change_url(booked), moving_form(weekday_at(9), "cancelled"))
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    latest = booked.changes.first()
    assert (latest.action, latest.actor_user, latest.details["reason"]) == (
        "cancelled",
        service_advisor,
        "Cancelled in the back office",
    )


def test_a_refused_status_undoes_the_move_made_with_it(signed_in, service_advisor, booked):
    # No-show before the appointment has even started is refused; the move must not stick.
    response = signed_in(service_advisor).post(change_url(booked), moving_form(weekday_at(15), "no_show"))
    assert response.status_code == 200
    assert form_errors(response)["__all__"] == ["The appointment hasn't started yet, so it can't be a no-show."]
    booked.refresh_from_db()
    assert (booked.start, booked.status) == (weekday_at(9), Appointment.Status.BOOKED)
    assert booked.changes.count() == 1


def test_a_cancelled_appointment_cannot_be_moved(signed_in, service_advisor, booked):
    client = signed_in(service_advisor)
    client.post(change_url(booked), moving_form(weekday_at(9), "cancelled"))
    response = client.post(change_url(booked), moving_form(weekday_at(15), "cancelled"))
    assert form_errors(response)["__all__"] == ["That appointment is cancelled, so it can't be changed."]
    booked.refresh_from_db()
    assert booked.start == weekday_at(9)


def details_form(appointment, **overrides):
    """The change page as the advisor sees it (stored values), with some fields changed."""
    start = timezone.localtime(appointment.start)
    data = {
        **moving_form(start, appointment.status),
        "vehicle": appointment.vehicle_id or "",
        "notes": appointment.notes,
        "waiter": "on" if appointment.waiter else None,
        "loaner_requested": "on" if appointment.loaner_requested else None,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_change_page_lets_advisors_edit_the_details(signed_in, service_advisor, booked):
    form = signed_in(service_advisor).get(change_url(booked)).context["adminform"].form
    assert {"start", "status", "vehicle", "waiter", "loaner_requested", "notes"} <= set(form.fields)
    assert "customer" not in form.fields and "service_type" not in form.fields


def test_an_advisor_changes_notes_vehicle_waiting_and_loaner(signed_in, service_advisor, booked, customer):
    vehicle = Vehicle.objects.create(owner=customer, make="Subaru", model="Outback")
    response = signed_in(service_advisor).post(
        change_url(booked),
        details_form(
            booked, vehicle=vehicle.pk, notes="Customer waits; check the wipers too", waiter="on", loaner_requested="on"
        ),
    )
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.vehicle, booked.notes, booked.waiter, booked.loaner_requested) == (
        vehicle,
        "Customer waits; check the wipers too",
        True,
        True,
    )
    assert booked.start == weekday_at(9)
    latest = booked.changes.first()
    assert (latest.action, latest.actor_user) == ("details", service_advisor)
    assert (latest.details["before"]["notes"], latest.details["after"]["notes"]) == (
        "",
        "Customer waits; check the wipers too",
    )


def test_saving_an_unchanged_page_records_nothing(signed_in, service_advisor, booked):
    assert signed_in(service_advisor).post(change_url(booked), details_form(booked)).status_code == 302
    assert list(booked.changes.values_list("action", flat=True)) == ["booked"]


def test_clearing_the_vehicle_takes_it_off_the_appointment(signed_in, service_advisor, booked, customer):
    Appointment.objects.filter(pk=booked.pk).update(
        vehicle=Vehicle.objects.create(owner=customer, make="Ford", model="Ranger")
    )
    booked.refresh_from_db()
    assert signed_in(service_advisor).post(change_url(booked), details_form(booked, vehicle="")).status_code == 302
    booked.refresh_from_db()
    assert booked.vehicle is None


def test_a_vehicle_of_another_customer_is_an_error_on_the_vehicle(signed_in, service_advisor, booked, other_customer):
    theirs = Vehicle.objects.create(owner=other_customer, make="Ford", model="Focus")
    response = signed_in(service_advisor).post(
        change_url(booked), details_form(booked, vehicle=theirs.pk, notes="Changed")
    )
    assert response.status_code == 200
    assert form_errors(response)["vehicle"] == ["That vehicle isn't on file under this customer."]
    booked.refresh_from_db()
    assert (booked.vehicle, booked.notes) == (None, "")
    assert booked.changes.count() == 1


def test_waiting_when_every_seat_is_taken_is_an_error_on_waiting(
    signed_in, service_advisor, booked, oil_change, other_customer
):
    book_appointment(customer=other_customer, service_type=oil_change, start=weekday_at(9), waiter=True, actor=OFFICE)
    response = signed_in(service_advisor).post(change_url(booked), details_form(booked, waiter="on"))
    assert form_errors(response)["waiter"] == [
        "Every waiting spot is taken at that time, so it has to stay a drop-off."
    ]
    booked.refresh_from_db()
    assert not booked.waiter


def test_a_refused_detail_undoes_the_move_made_with_it(signed_in, service_advisor, shop, customer, brake_job):
    appointment = book_appointment(customer=customer, service_type=brake_job, start=weekday_at(8), actor=OFFICE)
    response = signed_in(service_advisor).post(
        change_url(appointment), details_form(appointment, start_1="13:00:00", waiter="on")
    )
    assert "drop-off only" in form_errors(response)["waiter"][0]
    appointment.refresh_from_db()
    assert (appointment.start, appointment.waiter) == (weekday_at(8), False)
    assert appointment.changes.count() == 1


def test_giving_up_waiting_lets_the_appointment_move_where_the_seats_are_taken(
    signed_in, service_advisor, shop, customer, other_customer, oil_change
):
    waiting = book_appointment(
        customer=customer, service_type=oil_change, start=weekday_at(9), waiter=True, actor=OFFICE
    )
    book_appointment(customer=other_customer, service_type=oil_change, start=weekday_at(15), waiter=True, actor=OFFICE)
    response = signed_in(service_advisor).post(
        change_url(waiting), details_form(waiting, start_1="15:00:00", waiter=None)
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.start, waiting.waiter) == (weekday_at(15), False)
    assert list(waiting.changes.order_by("id").values_list("action", flat=True)) == ["booked", "details", "rescheduled"]


def test_a_completed_appointment_keeps_its_details(signed_in, service_advisor, booked):
    set_appointment_status(booked, "completed", actor=OFFICE)
    booked.refresh_from_db()
    response = signed_in(service_advisor).post(change_url(booked), details_form(booked, notes="Paid in cash"))
    assert form_errors(response)["__all__"] == ["That appointment is completed, so it can't be changed."]
    booked.refresh_from_db()
    assert booked.notes == ""


# --- Actions on the list -------------------------------------------------------------------------


@pytest.fixture
def three_booked(shop, customer, other_customer, oil_change):
    return [
        book_appointment(customer=who, service_type=oil_change, start=weekday_at(hour), actor=OFFICE)
        for who, hour in ((customer, 8), (other_customer, 9), (customer, 14))
    ]


@pytest.mark.parametrize(
    "action, status",
    [
        ("mark_confirmed", "confirmed"),
        ("mark_arrived", "arrived"),
        ("mark_completed", "completed"),
        ("cancel", "cancelled"),
    ],
)
def test_list_actions_change_status_and_leave_an_audit_entry(signed_in, service_advisor, three_booked, action, status):
    chosen = three_booked[:2]
    response = signed_in(service_advisor).post(
        APPOINTMENTS, {"action": action, "_selected_action": [a.pk for a in chosen]}
    )
    assert response.status_code == 302
    for appointment in chosen:
        appointment.refresh_from_db()
        assert appointment.status == status
        latest = appointment.changes.first()
        assert (latest.actor_kind, latest.actor_user) == ("advisor", service_advisor)
    untouched = Appointment.objects.get(pk=three_booked[2].pk)
    assert untouched.status == "booked" and untouched.changes.count() == 1
    done = {"confirmed": "confirmed", "cancelled": "cancelled"}.get(status, f"marked {status}")
    assert said(response) == [f"2 appointments {done}."]


def test_a_refused_list_action_says_why_and_changes_nothing(signed_in, service_advisor, three_booked):
    response = signed_in(service_advisor).post(
        APPOINTMENTS, {"action": "mark_no_show", "_selected_action": [three_booked[0].pk]}
    )
    assert any("hasn't started yet" in message for message in said(response))
    three_booked[0].refresh_from_db()
    assert three_booked[0].status == "booked"
    assert three_booked[0].changes.count() == 1


def test_a_no_show_for_a_past_appointment_counts_against_the_customer(
    signed_in, service_advisor, shop, customer, oil_change
):
    start = timezone.now() - timedelta(hours=3)
    missed = Appointment.objects.create(
        customer=customer, service_type=oil_change, start=start, end=start + timedelta(minutes=30)
    )
    signed_in(service_advisor).post(APPOINTMENTS, {"action": "mark_no_show", "_selected_action": [missed.pk]})
    missed.refresh_from_db()
    customer.refresh_from_db()
    assert missed.status == "no_show"
    assert customer.no_show_count == 1
    assert AppointmentChange.objects.get(appointment=missed).actor_user == service_advisor


def test_advisors_without_change_rights_get_no_actions(signed_in, staff_without_group, three_booked):
    from django.contrib.auth.models import Permission

    staff_without_group.user_permissions.add(Permission.objects.get(codename="view_appointment"))
    client = signed_in(staff_without_group)
    response = client.post(APPOINTMENTS, {"action": "mark_confirmed", "_selected_action": [three_booked[0].pk]})
    assert response.status_code == 200
    three_booked[0].refresh_from_db()
    assert three_booked[0].status == "booked"


# --- Finding appointments --------------------------------------------------------------------------


def test_search_finds_appointments_by_phone_in_any_format_and_by_vin(
    signed_in, service_advisor, three_booked, customer
):
    Vehicle.objects.create(owner=customer, vin="1HGCM82633A004352", make="Honda", model="Accord")
    Appointment.objects.filter(pk=three_booked[0].pk).update(vehicle=customer.vehicles.get())
    client = signed_in(service_advisor)
    found = client.get(APPOINTMENTS, {"q": "312.555.0147"}).context["cl"].result_list
    assert sorted(a.pk for a in found) == sorted([three_booked[0].pk, three_booked[2].pk])
    found = client.get(APPOINTMENTS, {"q": "1hgcm82633a004352"}).context["cl"].result_list
    assert [a.pk for a in found] == [three_booked[0].pk]
    found = client.get(APPOINTMENTS, {"q": "oyelaran"}).context["cl"].result_list
    assert [a.pk for a in found] == [three_booked[1].pk]


def test_the_when_filter_splits_today_upcoming_and_past(signed_in, service_advisor, shop, customer, oil_change):
    midnight = datetime.combine(timezone.localdate(), time(), tzinfo=timezone.get_current_timezone())

    def at(moment):
        return Appointment.objects.create(
            customer=customer, service_type=oil_change, start=moment, end=moment + timedelta(minutes=30)
        )

    early_today = at(midnight + (timezone.now() - midnight) / 2)  # today, and past whatever the hour (00:00:30 too)
    yesterday = at(midnight - timedelta(hours=12))
    next_week = at(midnight + timedelta(days=7, hours=9))
    far = at(midnight + timedelta(days=21, hours=9))
    client = signed_in(service_advisor)

    def when(value):
        return {a.pk for a in client.get(APPOINTMENTS, {"when": value}).context["cl"].result_list}

    assert when("today") == {early_today.pk}
    assert when("past") == {early_today.pk, yesterday.pk}
    assert when("upcoming") == {next_week.pk, far.pk}
    assert early_today.pk in when("week") and far.pk not in when("week") and next_week.pk not in when("week")


# --- Staying fast -------------------------------------------------------------------------------


def _appointments_for_many_customers(count, service_type, *, first=0):
    base = weekday_at(8, days_ahead=3)
    for n in range(first, first + count):
        owner = Customer.objects.create(name=f"Customer {n}", phone=f"+1312555{2000 + n:04d}")
        vehicle = Vehicle.objects.create(owner=owner, make="Toyota", model="Camry")
        start = base + timedelta(minutes=30 * n)
        Appointment.objects.create(
            customer=owner, vehicle=vehicle, service_type=service_type, start=start, end=start + timedelta(minutes=30)
        )


def _queries_for_list(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(APPOINTMENTS)
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


def test_the_appointment_list_needs_the_same_few_queries_however_long(
    signed_in, service_advisor, shop, oil_change, django_assert_max_num_queries
):
    client = signed_in(service_advisor)
    _appointments_for_many_customers(3, oil_change)
    few, shown = _queries_for_list(client)
    assert shown == 3
    _appointments_for_many_customers(27, oil_change, first=3)
    with django_assert_max_num_queries(few):
        response = client.get(APPOINTMENTS)
    assert len(response.context["cl"].result_list) == 30
    assert few <= 12  # 2 of them draw the header's open-callbacks count (the count and the reader's role)


def test_the_audit_list_needs_the_same_few_queries_however_long(
    signed_in, manager, shop, oil_change, django_assert_max_num_queries
):
    _appointments_for_many_customers(30, oil_change)
    for appointment in Appointment.objects.all():
        AppointmentChange.objects.create(
            appointment=appointment, action="booked", actor_kind="advisor", actor_user=manager
        )
    client = signed_in(manager)
    with django_assert_max_num_queries(
        12
    ):  # 2 of them draw the header's open-callbacks count (the count and the reader's role)
        response = client.get(reverse("admin:scheduling_appointmentchange_changelist"))
    assert len(response.context["cl"].result_list) == 30


def test_the_service_type_list_shows_the_price_estimate(signed_in, service_advisor, oil_change):
    page = signed_in(service_advisor).get(reverse("admin:scheduling_servicetype_changelist")).content.decode()
    assert "$49 to $89" in page
