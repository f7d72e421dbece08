"""The availability rules as a pure computation: no database, fixed clocks."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.availability import (
    BookedInterval,
    DayHours,
    Demand,
    ServiceRules,
    ShopRules,
    refusal_for,
    slot_starts,
)

CHICAGO = ZoneInfo("America/Chicago")
WEEKDAY = DayHours(time(8), time(17), lunch_start=time(12), lunch_end=time(13))
MONDAY = date(2026, 3, 2)
OIL_CHANGE = ServiceRules(timedelta(minutes=30))
DIAGNOSIS = ServiceRules(timedelta(minutes=90))
BRAKES = ServiceRules(timedelta(hours=3), waiter_allowed=False)


def rules(**changes):
    base = dict(
        timezone=CHICAGO,
        hours={d: WEEKDAY for d in range(5)},
        bays=2,
        waiters_per_slot=1,
        slot_minutes=30,
        min_lead=timedelta(hours=1),
        horizon=timedelta(days=60),
    )
    return ShopRules(**{**base, **changes})


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def day_slots(shop_rules, service, day, *, now=None, demand=Demand(), waiter=False):
    now = now or local(day - timedelta(days=7), 9)
    return slot_starts(
        shop_rules, service, local(day, 0), local(day + timedelta(days=1), 0), now=now, demand=demand, waiter=waiter
    )


def clock(slots):
    return [f"{s:%H:%M}" for s in slots]


def booked(day, start, end, waiter=False):
    return BookedInterval(local(day, *start), local(day, *end), waiter)


# --- Hours and lunch -------------------------------------------------------------------------


def test_slots_are_offered_on_the_grid_inside_opening_hours_around_lunch():
    assert clock(day_slots(rules(), OIL_CHANGE, MONDAY)) == [
        "08:00",
        "08:30",
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
        "13:00",
        "13:30",
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
        "16:30",
    ]


def test_a_long_service_may_not_cross_lunch_or_closing():
    assert clock(day_slots(rules(), DIAGNOSIS, MONDAY)) == [
        "08:00",
        "08:30",
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "13:00",
        "13:30",
        "14:00",
        "14:30",
        "15:00",
        "15:30",
    ]
    assert refusal_for(rules(), DIAGNOSIS, local(MONDAY, 11), now=local(MONDAY, 6)) == "outside_hours"
    assert refusal_for(rules(), DIAGNOSIS, local(MONDAY, 16), now=local(MONDAY, 6)) == "outside_hours"
    assert refusal_for(rules(), DIAGNOSIS, local(MONDAY, 15, 30), now=local(MONDAY, 6)) is None


def test_a_service_longer_than_a_half_day_is_never_offered():
    assert day_slots(rules(), ServiceRules(timedelta(hours=5)), MONDAY) == []


def test_a_day_without_lunch_is_one_stretch():
    saturday = MONDAY + timedelta(days=5)
    shop = rules(hours={5: DayHours(time(8), time(12))})
    assert clock(day_slots(shop, DIAGNOSIS, saturday)) == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30"]


def test_starts_before_opening_during_lunch_or_after_closing_are_refused():
    now = local(MONDAY, 6)
    for hour, minute in [(7, 30), (12, 0), (12, 30), (17, 0), (18, 0)]:
        assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, hour, minute), now=now) == "outside_hours"


def test_off_grid_starts_can_be_booked_but_are_not_offered():
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 9, 15), now=local(MONDAY, 6)) is None
    assert "09:15" not in clock(day_slots(rules(), OIL_CHANGE, MONDAY))


def test_the_grid_follows_the_shops_slot_length():
    assert clock(day_slots(rules(slot_minutes=60), OIL_CHANGE, MONDAY)) == [
        "08:00",
        "09:00",
        "10:00",
        "11:00",
        "13:00",
        "14:00",
        "15:00",
        "16:00",
    ]


# --- Closed days -------------------------------------------------------------------------------


def test_weekdays_without_hours_are_closed():
    sunday = MONDAY + timedelta(days=6)
    assert day_slots(rules(), OIL_CHANGE, sunday) == []
    assert refusal_for(rules(), OIL_CHANGE, local(sunday, 9), now=local(MONDAY, 9)) == "closed"


def test_closures_close_every_day_they_cover_and_only_those():
    shop = rules(closures=((MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)),))
    week = slot_starts(
        shop,
        OIL_CHANGE,
        local(MONDAY, 0),
        local(MONDAY + timedelta(days=5), 0),
        now=local(MONDAY - timedelta(days=3), 9),
    )
    assert sorted({s.date() for s in week}) == [MONDAY, MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)]
    assert refusal_for(shop, OIL_CHANGE, local(MONDAY + timedelta(days=2), 9), now=local(MONDAY, 6)) == "closed"


# --- Bay and waiter capacity ----------------------------------------------------------------------


def test_a_slot_is_full_once_every_bay_is_taken_at_any_moment_of_it():
    demand = Demand.of([booked(MONDAY, (9, 0), (10, 0)), booked(MONDAY, (9, 30), (10, 30))])
    slots = clock(day_slots(rules(), DIAGNOSIS, MONDAY, demand=demand))
    # 8:00-9:30 fits (one bay taken from 9:00); 8:30 to 9:30 would reach 9:30-10:00, when both bays are busy.
    assert slots[:2] == ["08:00", "10:00"]
    assert clock(day_slots(rules(), OIL_CHANGE, MONDAY, demand=demand))[:5] == [
        "08:00",
        "08:30",
        "09:00",
        "10:00",
        "10:30",
    ]


def test_back_to_back_appointments_do_not_overlap():
    shop = rules(bays=1)
    demand = Demand.of([booked(MONDAY, (9, 0), (10, 0))])
    assert refusal_for(shop, OIL_CHANGE, local(MONDAY, 8, 30), now=local(MONDAY, 6), demand=demand) is None
    assert refusal_for(shop, OIL_CHANGE, local(MONDAY, 10), now=local(MONDAY, 6), demand=demand) is None
    assert refusal_for(shop, OIL_CHANGE, local(MONDAY, 9, 59), now=local(MONDAY, 6), demand=demand) == "slot_taken"


def test_busy_time_from_elsewhere_takes_a_bay():
    shop = rules(bays=1)
    demand = Demand.of(busy=[(local(MONDAY, 8), local(MONDAY, 11))])
    assert clock(day_slots(shop, OIL_CHANGE, MONDAY, demand=demand))[:2] == ["11:00", "11:30"]
    two_bays = Demand.of([booked(MONDAY, (13, 0), (14, 0))], busy=[(local(MONDAY, 13), local(MONDAY, 13, 30))])
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 13), now=local(MONDAY, 6), demand=two_bays) == "slot_taken"
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 13, 30), now=local(MONDAY, 6), demand=two_bays) is None


def test_waiters_are_limited_per_slot_but_drop_offs_are_not():
    demand = Demand.of([booked(MONDAY, (9, 0), (9, 30), waiter=True)])
    now = local(MONDAY, 6)
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 9), now=now, demand=demand, waiter=True) == "slot_taken"
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 9), now=now, demand=demand, waiter=False) is None
    waiting = clock(day_slots(rules(), OIL_CHANGE, MONDAY, demand=demand, waiter=True))
    assert "09:00" not in waiting and "08:30" in waiting and "09:30" in waiting
    roomier = rules(waiters_per_slot=2)
    assert refusal_for(roomier, OIL_CHANGE, local(MONDAY, 9), now=now, demand=demand, waiter=True) is None


def test_a_drop_off_customer_does_not_use_a_waiter_seat():
    demand = Demand.of([booked(MONDAY, (9, 0), (9, 30), waiter=False)])
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 9), now=local(MONDAY, 6), demand=demand, waiter=True) is None


def test_waiting_is_refused_for_drop_off_only_services():
    assert day_slots(rules(), BRAKES, MONDAY, waiter=True) == []
    assert refusal_for(rules(), BRAKES, local(MONDAY, 8), now=local(MONDAY, 6), waiter=True) == "waiter_not_allowed"
    assert refusal_for(rules(), BRAKES, local(MONDAY, 8), now=local(MONDAY, 6)) is None


def test_no_bays_means_nothing_is_offered():
    assert day_slots(rules(bays=0), OIL_CHANGE, MONDAY) == []


# --- Now, lead time and horizon ------------------------------------------------------------------


def test_nothing_is_offered_in_the_past_or_inside_the_lead_time():
    now = local(MONDAY, 9, 10)
    assert clock(day_slots(rules(), OIL_CHANGE, MONDAY, now=now))[:2] == ["10:30", "11:00"]
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 9), now=now) == "in_past"
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 10), now=now) == "too_soon"
    assert refusal_for(rules(), OIL_CHANGE, local(MONDAY, 10, 10), now=now) is None


def test_nothing_is_offered_beyond_the_horizon():
    now = local(MONDAY, 9)
    shop = rules(horizon=timedelta(days=3))
    slots = slot_starts(shop, OIL_CHANGE, local(MONDAY, 0), local(MONDAY + timedelta(days=7), 0), now=now)
    assert slots[-1] == local(MONDAY + timedelta(days=3), 9)
    assert refusal_for(shop, OIL_CHANGE, local(MONDAY + timedelta(days=3), 9, 30), now=now) == "too_far"


def test_the_window_includes_its_start_and_excludes_its_end():
    slots = slot_starts(rules(), OIL_CHANGE, local(MONDAY, 9), local(MONDAY, 10), now=local(MONDAY, 6))
    assert clock(slots) == ["09:00", "09:30"]


def test_naive_times_are_refused():
    naive = datetime(2026, 3, 2, 9)
    assert refusal_for(rules(), OIL_CHANGE, naive, now=local(MONDAY, 6)) == "invalid"
    with pytest.raises(ValueError):
        slot_starts(rules(), OIL_CHANGE, naive, naive + timedelta(days=1), now=local(MONDAY, 6))


def test_slots_are_given_in_the_shops_time_zone_whatever_zone_was_asked_in():
    slots = slot_starts(
        rules(),
        OIL_CHANGE,
        local(MONDAY, 0).astimezone(UTC),
        local(MONDAY, 23).astimezone(UTC),
        now=local(MONDAY, 6).astimezone(UTC),
    )
    assert slots[0] == local(MONDAY, 8) and slots[0].tzinfo == CHICAGO


# --- Daylight saving ------------------------------------------------------------------------------

SPRING_FORWARD = date(2026, 3, 8)  # 2:00 CST -> 3:00 CDT
FALL_BACK = date(2026, 11, 1)  # 2:00 CDT -> 1:00 CST
EVERY_DAY = {d: WEEKDAY for d in range(7)}


@pytest.mark.parametrize(
    "day, utc_hour",
    [
        (SPRING_FORWARD - timedelta(days=1), 15),
        (SPRING_FORWARD, 14),
        (FALL_BACK - timedelta(days=1), 14),
        (FALL_BACK, 15),
    ],
)
def test_a_nine_oclock_slot_is_nine_oclock_local_on_clock_change_days(day, utc_hour):
    slots = day_slots(rules(hours=EVERY_DAY), OIL_CHANGE, day)
    assert clock(slots)[:3] == ["08:00", "08:30", "09:00"]
    assert slots[2].astimezone(UTC).hour == utc_hour
    assert len(slots) == 16


def test_durations_are_real_time_when_clocks_spring_forward():
    night = DayHours(time(0), time(4))
    shop = rules(hours={6: night}, bays=1)
    two_hours = ServiceRules(timedelta(hours=2))
    slots = day_slots(shop, two_hours, SPRING_FORWARD)
    # 2:00 and 2:30 do not exist; 1:00 CST + 2 h is 4:00 CDT (fits), 1:30 + 2 h is 4:30 CDT (does not).
    assert clock(slots) == ["00:00", "00:30", "01:00"]
    assert slots[-1].astimezone(UTC) + two_hours.duration == local(SPRING_FORWARD, 4)
    assert refusal_for(shop, two_hours, local(SPRING_FORWARD, 1, 30), now=local(MONDAY, 6)) == "outside_hours"


def test_durations_are_real_time_when_clocks_fall_back():
    night = DayHours(time(0), time(2, 30))
    shop = rules(hours={6: night}, bays=1)
    two_hours = ServiceRules(timedelta(hours=2))
    # 1:30 CDT + 2 h of real time is 2:30 CST, the close (the wall clock only moved 1 h).
    assert clock(day_slots(shop, two_hours, FALL_BACK)) == ["00:00", "00:30", "01:00", "01:30"]
    assert refusal_for(
        shop, two_hours, local(FALL_BACK, 1, 30).replace(fold=1), now=local(FALL_BACK - timedelta(days=1), 9)
    ) == ("outside_hours")


def test_an_appointment_over_the_clock_change_blocks_its_real_time():
    shop = rules(hours={6: DayHours(time(0), time(6))}, bays=1)
    start = local(SPRING_FORWARD, 1)
    demand = Demand.of([BookedInterval(start, start + timedelta(hours=1))])  # 1:00 CST - 3:00 CDT
    slots = clock(day_slots(shop, OIL_CHANGE, SPRING_FORWARD, demand=demand))
    assert slots == ["00:00", "00:30", "03:00", "03:30", "04:00", "04:30", "05:00", "05:30"]


# --- One set of rules -------------------------------------------------------------------------------


def test_offered_slots_are_exactly_the_grid_starts_that_would_be_accepted():
    rng = random.Random(20260302)
    shop = rules(bays=3, waiters_per_slot=2)
    now = local(MONDAY, 9, 10)
    bookings = []
    for _ in range(60):
        day = MONDAY + timedelta(days=rng.randrange(7))
        start = local(day, rng.randrange(8, 17), rng.choice((0, 15, 30, 45)))
        bookings.append(
            BookedInterval(start, start + timedelta(minutes=rng.choice((30, 60, 90, 180))), rng.random() < 0.3)
        )
    demand = Demand.of(bookings, busy=[(local(MONDAY + timedelta(days=2), 14), local(MONDAY + timedelta(days=2), 16))])
    for service in (OIL_CHANGE, DIAGNOSIS, BRAKES):
        for waiter in (False, True):
            offered = slot_starts(
                shop,
                service,
                local(MONDAY, 0),
                local(MONDAY + timedelta(days=7), 0),
                now=now,
                demand=demand,
                waiter=waiter,
            )
            accepted = [
                local(MONDAY + timedelta(days=d), 0) + timedelta(minutes=m)
                for d in range(7)
                for m in range(0, 24 * 60, 30)
                if refusal_for(
                    shop,
                    service,
                    local(MONDAY + timedelta(days=d), 0) + timedelta(minutes=m),
                    now=now,
                    demand=demand,
                    waiter=waiter,
                )
                is None
            ]
            assert offered == accepted
            if service.waiter_allowed or not waiter:
                assert offered, "the random week should leave something free"
