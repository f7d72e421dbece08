"""The advisors' appointment board: a day by time and bay with the room left in each slot (as the
booking rules count it), waiting customers marked, and quick actions that go through the booking
actions and show their refusals; a week at a glance; advisors and managers only."""

from datetime import timedelta

import pytest
from django.urls import reverse

from crm.models import Customer
from ottos.lib import clock
from scheduling.actions import Actor, available_slots, book_appointment
from scheduling.models import Appointment, AppointmentChange

BOARD = reverse("admin:scheduling_appointment_board")
WEEK = reverse("admin:scheduling_appointment_week")
OFFICE = Actor.command("test-setup")


def status_url(appointment):
    return reverse("admin:scheduling_appointment_board_status", args=[appointment.pk])


def move_url(appointment):
    return reverse("admin:scheduling_appointment_board_move", args=[appointment.pk])


def cancel_url(appointment):
    return reverse("admin:scheduling_appointment_board_cancel", args=[appointment.pk])


def said(response):
    return [str(message) for message in response.context["messages"]]


def row_at(response, label):
    return next(row for row in response.context["rows"] if row["label"] == label)


def cards_in(response):
    return {
        cell["card"]["appointment"].pk: cell
        for row in response.context["rows"]
        for cell in row["cells"]
        if cell["card"]
    }


@pytest.fixture
def desk(signed_in, service_advisor):
    return signed_in(service_advisor)


@pytest.fixture
def the_day(shop, customer, other_customer, oil_change, brake_job, at):
    """On booking_day (2 bays, 1 waiter seat): Dana waits for an oil change at 9:00; Marcus's brakes
    take 9:00 to noon; Lena's oil change is at 10:00."""
    lena = Customer.objects.create(name="Lena Kowalski", phone="+17735550133")
    return {
        "waiting": book_appointment(customer=customer, service_type=oil_change, start=at(9), waiter=True, actor=OFFICE),
        "brakes": book_appointment(customer=other_customer, service_type=brake_job, start=at(9), actor=OFFICE),
        "later": book_appointment(customer=lena, service_type=oil_change, start=at(10), actor=OFFICE),
    }


def open_board(desk, booking_day, **extra):
    return desk.get(BOARD, {"day": booking_day.isoformat(), **extra})


# --- The room left, as availability counts it ---------------------------------------------------


def test_room_by_slot_counts_bays_and_waiter_seats_over_each_slot_of_the_open_hours():
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    from scheduling.availability import BookedInterval, DayHours, Demand, ShopRules, room_by_slot

    tz = ZoneInfo("America/Chicago")
    tuesday = date(2026, 12, 15)
    rules = ShopRules(tz, {1: DayHours(time(8), time(10), time(9), time(9, 15))}, bays=2, waiters_per_slot=1)

    def at(hour, minute=0):
        return datetime.combine(tuesday, time(hour, minute), tzinfo=tz)

    demand = Demand.of([BookedInterval(at(8), at(8, 45), waiter=True)], busy=[(at(8, 15), at(8, 30))])
    room = [
        (s.start.time(), s.end.time(), s.bays_left, s.waiter_seats_left)
        for s in room_by_slot(rules, tuesday, demand=demand)
    ]
    assert room == [
        (time(8), time(8, 30), 0, 0),  # the appointment and, for a quarter hour, a calendar block
        (time(8, 30), time(9), 1, 0),
        (time(9, 30), time(10), 2, 1),  # lunch 9:00 to 9:15 takes the 9:00 slot out
    ]
    assert room_by_slot(rules, date(2026, 12, 16)) == []  # no hours on Wednesday


# --- The day, by time and bay -------------------------------------------------------------------


def test_it_lays_out_the_day_by_time_and_bay(desk, the_day, booking_day, at):
    with clock.set_to(at(8, 30)):
        response = open_board(desk, booking_day)
    assert response.status_code == 200
    assert response.context["lanes"] == ["Bay 1", "Bay 2"]
    labels = [row["label"] for row in response.context["rows"]]
    assert labels[0] == "8:00 AM" and labels[-1] == "4:30 PM"
    assert "12:00 PM" not in labels  # lunch
    assert [row["label"] for row in response.context["rows"] if row["after_break"]] == ["1:00 PM"]
    cards = cards_in(response)
    assert cards[the_day["brakes"].pk]["rowspan"] == 6  # 9:00 to noon
    assert cards[the_day["waiting"].pk]["rowspan"] == 1
    nine = row_at(response, "9:00 AM")
    assert {cell["card"]["appointment"].pk for cell in nine["cells"]} == {the_day["waiting"].pk, the_day["brakes"].pk}
    # The brake job spans its bay until noon: the 10:00 row has one cell of its own, Lena's.
    ten = row_at(response, "10:00 AM")
    assert [cell["card"]["appointment"].pk for cell in ten["cells"]] == [the_day["later"].pk]
    assert response.context["active_count"] == 3
    content = response.content.decode()
    assert "Dana Whitfield" in content and "Brake pads and rotors" in content and "9:00 AM – 12:00 PM" in content


def test_the_room_left_in_each_slot_is_what_the_booking_rules_count(desk, the_day, booking_day, oil_change, at):
    with clock.set_to(at(7)):  # before opening: every slot of the day is still ahead
        response = open_board(desk, booking_day)
        free_for_an_oil_change = available_slots(oil_change, at(8), at(17), walk_in=True)
    room = {row["label"]: (row["slot"].bays_left, row["slot"].waiter_seats_left) for row in response.context["rows"]}
    assert room["8:00 AM"] == (2, 1)
    assert room["9:00 AM"] == (0, 0)  # Dana and the brake job; Dana takes the waiter seat
    assert room["9:30 AM"] == (1, 1)
    assert room["10:00 AM"] == (0, 1)
    assert room["1:00 PM"] == (2, 1)
    assert row_at(response, "9:00 AM")["full"] and not row_at(response, "9:30 AM")["full"]
    # A slot with a bay left is one an oil change can be booked at, and a full one is not.
    offered = {start.astimezone(at(8).tzinfo).strftime("%-I:%M %p") for start in free_for_an_oil_change}
    assert {label for label, (bays, _) in room.items() if bays} == offered
    assert "1 of 2 bays free" in response.content.decode()


def test_customers_who_wait_are_marked(desk, the_day, booking_day, at):
    with clock.set_to(at(8, 30)):
        content = open_board(desk, booking_day).content.decode()
    waiting, brakes = the_day["waiting"].pk, the_day["brakes"].pk
    assert f'class="appt-card status-booked is-waiter" data-appointment="{waiting}"' in content
    assert f'class="appt-card status-booked" data-appointment="{brakes}"' in content
    assert content.count('<span class="waiter-badge"') == 1
    assert "1 waiting at the shop" in content


def test_appointments_that_hold_no_bay_are_listed_below(desk, the_day, booking_day, at, service_advisor):
    from scheduling.actions import cancel_appointment

    cancel_appointment(the_day["later"], actor=Actor.advisor(service_advisor))
    with clock.set_to(at(8, 30)):
        response = open_board(desk, booking_day)
    assert the_day["later"].pk not in cards_in(response)
    assert [item["appointment"].pk for item in response.context["off_board"]] == [the_day["later"].pk]
    assert row_at(response, "10:00 AM")["slot"].bays_left == 1


def test_a_closed_day_says_so(desk, shop, booking_day):
    sunday = booking_day + timedelta(days=6 - booking_day.weekday())
    response = open_board(desk, sunday)
    assert response.context["closed"] and response.context["rows"] == []
    assert "The shop is closed on this day." in response.content.decode()


def test_it_opens_on_today_with_links_to_the_days_around(desk, shop, booking_day, at):
    with clock.set_to(at(8, 30)):
        response = desk.get(BOARD)
    assert response.context["day"] == booking_day
    assert response.context["previous_url"] == f"{BOARD}?day={booking_day - timedelta(days=1)}"
    assert response.context["next_url"] == f"{BOARD}?day={booking_day + timedelta(days=1)}"
    content = response.content.decode()
    assert f'type="date" id="board-day" name="day" value="{booking_day.isoformat()}"' in content
    assert f'href="{WEEK}?day={booking_day.isoformat()}"' in content


def test_a_day_it_cannot_read_is_today(desk, shop, booking_day, at):
    with clock.set_to(at(8, 30)):
        assert desk.get(BOARD, {"day": "next tuesday"}).context["day"] == booking_day


# --- Quick actions --------------------------------------------------------------------------------


def test_an_advisor_marks_a_car_arrived(desk, service_advisor, the_day, booking_day, at):
    brakes = the_day["brakes"]
    with clock.set_to(at(8, 50)):
        response = desk.post(status_url(brakes), {"status": "arrived", "day": booking_day.isoformat(), "view": "day"})
        assert response.status_code == 302
        assert response.url == f"{BOARD}?day={booking_day.isoformat()}"
        page = desk.get(response.url)
    brakes.refresh_from_db()
    assert brakes.status == Appointment.Status.ARRIVED
    change = brakes.changes.first()
    assert (change.action, change.actor_user) == ("status", service_advisor)
    assert said(page) == [f"Marcus Oyelaran (Brake pads and rotors, {_local(brakes.start)}): marked arrived."]
    card = cards_in(page)[brakes.pk]["card"]
    assert card["quick"] == [(Appointment.Status.COMPLETED, "Completed")] and not card["movable"]


def test_a_no_show_is_marked_through_the_action_and_counts_against_the_customer(desk, the_day, booking_day, at):
    waiting = the_day["waiting"]
    with clock.set_to(at(9, 40)):
        page = desk.post(status_url(waiting), {"status": "no_show", "day": booking_day.isoformat()}, follow=True)
    waiting.refresh_from_db()
    assert waiting.status == Appointment.Status.NO_SHOW
    assert Customer.objects.get(pk=waiting.customer_id).no_show_count == 1
    assert said(page)[0].endswith(": marked no-show.")
    assert waiting.pk in [item["appointment"].pk for item in page.context["off_board"]]


def test_a_refused_status_change_is_shown_and_changes_nothing(desk, the_day, booking_day, at):
    later = the_day["later"]
    with clock.set_to(at(9, 10)):
        page = desk.post(status_url(later), {"status": "no_show", "day": booking_day.isoformat()}, follow=True)
    later.refresh_from_db()
    assert later.status == Appointment.Status.BOOKED
    assert said(page) == [
        f"Lena Kowalski (Oil change, {_local(later.start)}): "
        "The appointment hasn't started yet, so it can't be a no-show."
    ]
    assert not AppointmentChange.objects.filter(appointment=later, action="status").exists()


def test_a_status_the_board_does_not_offer_is_refused(desk, the_day, booking_day, at):
    later = the_day["later"]
    page = desk.post(status_url(later), {"status": "cancelled", "day": booking_day.isoformat()}, follow=True)
    assert said(page)[0].endswith("Choose arrived, no-show or completed.")
    later.refresh_from_db()
    assert later.status == Appointment.Status.BOOKED


def test_a_card_offers_only_free_times_to_move_to(desk, the_day, booking_day, at):
    with clock.set_to(at(8, 30)):
        response = open_board(desk, booking_day)
    card = cards_in(response)[the_day["later"].pk]["card"]
    label, times = card["moves"][0]
    assert label == f"{booking_day:%a %b} {booking_day.day}"
    offered = [time for _, time in times]
    assert "9:00 AM" not in offered and "10:00 AM" not in offered  # full, and its own time
    assert offered[:3] == ["8:30 AM", "9:30 AM", "10:30 AM"]  # not 8:00: it has passed
    open_days = [d for d in (booking_day + timedelta(days=n) for n in range(3)) if d.weekday() != 6]
    assert len(card["moves"]) == len(open_days)  # the day and the two after, but a Sunday
    # A waiter's list has only times with a waiter seat: not 10:00 either.
    waiter_times = [t for _, t in cards_in(response)[the_day["waiting"].pk]["card"]["moves"][0][1]]
    assert "9:30 AM" in waiter_times and "10:00 AM" not in waiter_times


@pytest.fixture
def a_full_afternoon(customer, other_customer, brake_job, at):
    """Both bays taken from 1:00 to 4:00 PM by brake jobs: Dana's and Marcus's."""
    return [
        book_appointment(customer=who, service_type=brake_job, start=at(13), actor=OFFICE)
        for who in (customer, other_customer)
    ]


def test_a_card_offers_the_times_only_its_own_appointment_holds(desk, a_full_afternoon, booking_day, at):
    danas, _ = a_full_afternoon
    with clock.set_to(at(8, 30)):
        response = open_board(desk, booking_day)
    label, times = cards_in(response)[danas.pk]["card"]["moves"][0]
    offered = [time for _, time in times]
    assert "1:30 PM" in offered and "2:00 PM" in offered  # only Dana's own job is in the way
    assert "1:00 PM" not in offered  # where it is already
    with clock.set_to(at(8, 30)):
        desk.post(move_url(danas), {"start": at(13, 30).isoformat(), "day": booking_day.isoformat()})
    danas.refresh_from_db()
    assert danas.start == at(13, 30)


def test_an_advisor_moves_an_appointment_to_a_free_time(desk, service_advisor, the_day, booking_day, at):
    later = the_day["later"]
    with clock.set_to(at(8, 30)):
        page = desk.post(
            move_url(later), {"start": at(13, 30).isoformat(), "day": booking_day.isoformat()}, follow=True
        )
    later.refresh_from_db()
    assert later.start == at(13, 30) and later.end == at(14)
    change = later.changes.first()
    assert (change.action, change.actor_user) == ("rescheduled", service_advisor)
    assert said(page) == [f"Lena Kowalski (Oil change, {_local(at(10))}): moved to {_local(at(13, 30))}."]
    assert [cell["card"]["appointment"].pk for cell in row_at(page, "1:30 PM")["cells"] if cell["card"]] == [later.pk]


def test_a_move_to_a_full_time_is_refused_with_the_free_times(desk, the_day, booking_day, at):
    later = the_day["later"]
    with clock.set_to(at(8, 30)):
        page = desk.post(move_url(later), {"start": at(9).isoformat(), "day": booking_day.isoformat()}, follow=True)
    later.refresh_from_db()
    assert later.start == at(10)
    (message,) = said(page)
    assert "That time is already fully booked. Free that day: 8:30 AM, 9:30 AM" in message


def test_a_move_without_a_time_is_refused(desk, the_day, booking_day):
    page = desk.post(move_url(the_day["later"]), {"start": "soon", "day": booking_day.isoformat()}, follow=True)
    assert said(page)[0].endswith("Choose a free time to move it to.")


def test_an_advisor_cancels_with_a_reason(desk, service_advisor, the_day, booking_day, at):
    brakes = the_day["brakes"]
    with clock.set_to(at(8, 30)):
        page = desk.post(
            cancel_url(brakes), {"reason": "Parts not in", "day": booking_day.isoformat(), "view": "day"}, follow=True
        )
    brakes.refresh_from_db()
    assert brakes.status == Appointment.Status.CANCELLED
    change = brakes.changes.first()
    assert (change.action, change.actor_user, change.details["reason"]) == (
        "cancelled",
        service_advisor,
        "Parts not in",
    )
    assert said(page)[0].endswith(": cancelled.")
    assert row_at(page, "10:30 AM")["slot"].bays_left == 2


def test_cancelling_without_a_reason_says_where_it_was_cancelled(desk, the_day, booking_day):
    desk.post(cancel_url(the_day["later"]), {"day": booking_day.isoformat()})
    assert the_day["later"].changes.first().details["reason"] == "Cancelled on the appointment board"


def test_an_action_on_the_week_goes_back_to_the_week(desk, the_day, booking_day, at):
    with clock.set_to(at(8, 50)):
        response = desk.post(status_url(the_day["brakes"]), {"status": "arrived", "day": "2026-01-05", "view": "week"})
    assert response.url == f"{WEEK}?day=2026-01-05"


def test_an_appointment_gone_is_said_so(desk, shop):
    page = desk.post(reverse("admin:scheduling_appointment_board_status", args=[999999]), {"status": "arrived"})
    assert page.url == BOARD
    assert said(desk.get(page.url)) == ["There is no such appointment (it may have been removed)."]


def test_quick_actions_are_posted(desk, the_day):
    for url in (status_url(the_day["later"]), move_url(the_day["later"]), cancel_url(the_day["later"])):
        assert desk.get(url).status_code == 405


# --- The week -------------------------------------------------------------------------------------


def test_the_week_has_seven_days_with_their_counts_and_appointments(desk, the_day, booking_day, at):
    with clock.set_to(at(8, 30)):
        response = desk.get(WEEK, {"day": booking_day.isoformat()})
    columns = response.context["columns"]
    monday = booking_day - timedelta(days=booking_day.weekday())
    assert [c["day"] for c in columns] == [monday + timedelta(days=n) for n in range(7)]
    day = columns[booking_day.weekday()]
    assert (day["count"], day["waiters"], day["today"]) == (3, 1, True)
    assert [item["when"] for item in day["items"]] == ["9:00 AM", "9:00 AM", "10:00 AM"]
    # Two bays over 16 slots, less what the three take (1 + 6 + 1 bay slots).
    assert (day["free"], day["room"]) == (32 - 8, 32)
    assert columns[6]["closed"]  # Sunday
    assert response.context["week_count"] == 3
    content = response.content.decode()
    assert f'href="{BOARD}?day={booking_day.isoformat()}">{booking_day:%a %b} {booking_day.day}</a>' in content
    assert 'class="is-waiter"' in content and "Closed" in content
    assert response.context["previous_url"] == f"{WEEK}?day={booking_day - timedelta(days=7)}"


# --- Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["service_advisor", "manager"])
def test_advisors_and_managers_see_the_board_and_act_on_it(persona, request, signed_in, the_day, booking_day, at):
    client = signed_in(request.getfixturevalue(persona))
    assert client.get(BOARD).status_code == 200
    assert client.get(WEEK).status_code == 200
    with clock.set_to(at(8, 50)):
        client.post(status_url(the_day["brakes"]), {"status": "arrived"})
    the_day["brakes"].refresh_from_db()
    assert the_day["brakes"].status == Appointment.Status.ARRIVED


def test_staff_outside_the_groups_may_not(signed_in, staff_without_group, the_day):
    client = signed_in(staff_without_group)
    assert client.get(BOARD).status_code == 403
    assert client.get(WEEK).status_code == 403
    assert client.post(cancel_url(the_day["later"])).status_code == 403
    the_day["later"].refresh_from_db()
    assert the_day["later"].status == Appointment.Status.BOOKED


def test_someone_who_may_only_look_gets_no_buttons(signed_in, staff_without_group, the_day, booking_day, at):
    from django.contrib.auth.models import Permission

    staff_without_group.user_permissions.add(Permission.objects.get(codename="view_appointment"))
    client = signed_in(staff_without_group)
    with clock.set_to(at(8, 30)):
        content = open_board(client, booking_day).content.decode()
    assert "Dana Whitfield" in content
    assert 'name="status"' not in content and 'name="start"' not in content and "Cancel appointment" not in content
    assert client.post(status_url(the_day["later"]), {"status": "arrived"}).status_code == 403


def test_outsiders_are_sent_to_sign_in(signed_in, outsider, shop):
    response = signed_in(outsider).get(BOARD)
    assert response.status_code == 302 and "/login/" in response.url


def test_the_board_is_linked_from_the_admin_and_the_home_page(desk, shop):
    assert f'href="{BOARD}"' in desk.get(reverse("admin:index")).content.decode()
    assert f'href="{BOARD}"' in desk.get(reverse("home")).content.decode()


# --- A busy day ----------------------------------------------------------------------------------


@pytest.fixture
def a_busy_week(shop, oil_change, brake_job, booking_day, at):
    """Sixty appointments over the week's weekdays, for three services, some waiting."""
    shop.bays, shop.waiters_per_slot = 12, 6
    shop.save()
    tire_rotation = oil_change.__class__.objects.create(name="Tire rotation", duration_minutes=60)
    services = [oil_change, brake_job, tire_rotation]
    day = booking_day - timedelta(days=booking_day.weekday())
    for n in range(60):
        who = Customer.objects.create(name=f"Customer {n}", phone=f"+1312555{n:04d}")
        service = services[n % 3]
        start = at(8 + n % 2, day=day + timedelta(days=n % 5))
        if start < clock.now() + timedelta(hours=2):
            start += timedelta(days=7)
        waiter = service.waiter_allowed and n % 7 == 0
        book_appointment(customer=who, service_type=service, start=start, waiter=waiter, actor=OFFICE)


def test_the_day_board_reads_a_busy_day_in_a_bounded_number_of_queries(
    desk, a_busy_week, booking_day, at, django_assert_max_num_queries
):
    # The times every card could move to come from one load of the shop's rules and appointments.
    with clock.set_to(at(7)), django_assert_max_num_queries(20):
        response = open_board(desk, booking_day)
    assert response.context["active_count"] == 12


def test_the_week_board_reads_a_busy_week_in_a_bounded_number_of_queries(
    desk, a_busy_week, booking_day, at, django_assert_max_num_queries
):
    with clock.set_to(at(7)), django_assert_max_num_queries(13):
        response = desk.get(WEEK, {"day": booking_day.isoformat()})
    assert response.context["week_count"] >= 12


def _local(moment):
    from scheduling.admin_sync import local_time

    return local_time(moment)
