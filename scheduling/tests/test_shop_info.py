"""What the phone agent may tell callers about the shop comes from the rows the booking rules use:
bookable services only, approved answers only, the real hours and closures."""

from datetime import date
from decimal import Decimal

from scheduling import shop_info
from scheduling.models import Closure, FaqAnswer, ServiceType, ShopProfile


def test_the_profile_is_the_shops_row(shop):
    assert shop_info.shop_profile() == shop


def test_without_a_profile_a_default_one_is_made(db):
    profile = shop_info.shop_profile()
    assert ShopProfile.objects.get() == profile and profile.name == "Otto's Auto Repair"


def test_only_bookable_services_are_named_in_the_shops_order(oil_change, brake_job):
    ServiceType.objects.create(name="Transmission flush", duration_minutes=90, active=False)
    assert shop_info.active_service_names() == ["Brake pads and rotors", "Oil change"]


def test_a_service_is_found_whatever_the_capitalization(oil_change):
    assert shop_info.active_service("oil CHANGE") == oil_change
    assert shop_info.active_service("Tire rotation") is None


def test_a_retired_service_is_not_found(db):
    ServiceType.objects.create(name="Transmission flush", duration_minutes=90, active=False)
    assert shop_info.active_service("Transmission flush") is None


def test_the_overview_says_what_each_service_takes_and_costs(oil_change, brake_job):
    ServiceType.objects.create(
        name="Diagnostics",
        description="We find what the warning light means.",
        duration_minutes=60,
        waiter_allowed=True,
    )
    ServiceType.objects.create(name="Transmission flush", duration_minutes=90, price_low=Decimal("120"), active=False)

    assert shop_info.services_overview() == [
        {
            "service": "Brake pads and rotors",
            "about": None,
            "duration_minutes": 180,
            "price_estimate": "$250 to $600",
            "wait_at_shop": False,
        },
        {
            "service": "Diagnostics",
            "about": "We find what the warning light means.",
            "duration_minutes": 60,
            "price_estimate": None,
            "wait_at_shop": True,
        },
        {
            "service": "Oil change",
            "about": None,
            "duration_minutes": 30,
            "price_estimate": "$49 to $89",
            "wait_at_shop": True,
        },
    ]


def test_only_an_approved_answer_is_quoted(shop):
    FaqAnswer.objects.create(topic="payment", answer="Cash only, and we take IOUs.", approved=False)

    assert shop_info.approved_answer("location") == "We're at 1200 West Fulton Street, near the Morgan L stop."
    assert shop_info.approved_answer("payment") is None
    assert shop_info.approved_answer("warranty") is None


def test_an_hours_text_left_in_the_faq_is_never_quoted(shop):
    FaqAnswer.objects.update_or_create(topic="hours", defaults={"answer": "Open 24/7!", "approved": True})

    assert shop_info.approved_answer("hours") is None


def test_weekly_hours_list_the_open_days_from_monday(shop):
    weekday = {"opens": "08:00", "closes": "17:00", "lunch_start": "12:00", "lunch_end": "13:00"}
    assert shop_info.weekly_hours() == [
        *({"weekday": day, **weekday} for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")),
        {"weekday": "Saturday", "opens": "08:00", "closes": "12:00", "lunch_start": None, "lunch_end": None},
    ]


def test_closures_are_those_touching_the_days_asked_about(shop):
    Closure.objects.create(start_date=date(2030, 12, 20), end_date=date(2030, 12, 21), reason="Before")
    Closure.objects.create(start_date=date(2030, 12, 23), end_date=date(2030, 12, 26), reason="Christmas")
    Closure.objects.create(start_date=date(2031, 1, 1), end_date=date(2031, 1, 1), reason="")
    Closure.objects.create(start_date=date(2031, 1, 3), end_date=date(2031, 1, 4), reason="After")

    assert shop_info.closures_between(date(2030, 12, 26), date(2031, 1, 2)) == [
        {"first_day": "2030-12-23", "last_day": "2030-12-26", "reason": "Christmas"},
        {"first_day": "2031-01-01", "last_day": "2031-01-01", "reason": ""},
    ]
