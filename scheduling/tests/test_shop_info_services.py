"""Service names read naturally in sentences, whatever the shop called them: the verb agrees
with a plural name ("Brake pads are"), a singular one takes an article ("An oil change is")."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from scheduling import shop_info
from scheduling.availability import ShopRules
from scheduling.models import ServiceType
from scheduling.refusals import refused


def service(name, minutes=60, low=None, high=None, waiter_allowed=True):
    def price(amount):
        return None if amount is None else Decimal(amount)

    return ServiceType(
        name=name, duration_minutes=minutes, waiter_allowed=waiter_allowed, price_low=price(low), price_high=price(high)
    )


@pytest.mark.parametrize(
    ("name", "low", "high", "said"),
    [
        ("Brake pads", 189, 349, "Brake pads are usually $189 to $349."),
        ("Oil change", 49, 99, "An oil change is usually $49 to $99."),
        ("State inspection", 35, 35, "A state inspection is about $35."),
        ("A/C service", 149, 249, "An A/C service is usually $149 to $249."),
        ("Brake pads and rotors", 250, 600, "Brake pads and rotors are usually $250 to $600."),
        ("Oil and filter change", 59, None, "An oil and filter change is about $59."),
        ("Wiper blades", 25, 40, "Wiper blades are usually $25 to $40."),
        ("ABS diagnosis", 120, 160, "An ABS diagnosis is usually $120 to $160."),
        ("Check engine light diagnostic", 99, 149, "A check engine light diagnostic is usually $99 to $149."),
    ],
)
def test_a_price_sentence_agrees_with_the_service_name(name, low, high, said):
    assert shop_info.price_answer(service(name, low=low, high=high)) == said


def test_a_service_without_a_price_has_no_price_sentence():
    assert shop_info.price_answer(service("Diagnostics")) is None


@pytest.mark.parametrize(
    ("name", "minutes", "said"),
    [
        ("Brake pads", 120, "Brake pads take about 2 hours."),
        ("Oil change", 30, "An oil change takes about 30 minutes."),
        ("Wheel alignment", 60, "A wheel alignment takes about an hour."),
        ("A/C service", 90, "An A/C service takes about an hour and a half."),
        ("Transmission fluid service", 150, "A transmission fluid service takes about 2 and a half hours."),
        ("Tires", 75, "Tires take about an hour and 15 minutes."),
    ],
)
def test_a_duration_sentence_agrees_with_the_service_name(name, minutes, said):
    assert shop_info.duration_answer(service(name, minutes)) == said


def test_the_booking_refusals_read_naturally_too():
    rules = ShopRules(timezone=ZoneInfo("America/Chicago"), hours={}, bays=1, waiters_per_slot=1)
    start = datetime(2030, 6, 4, 16, tzinfo=rules.timezone)
    brakes, oil = service("Brake pads", 120, waiter_allowed=False), service("Oil change", 30)

    assert refused("outside_hours", service=brakes, start=start, rules=rules).message.startswith(
        "Brake pads take 2 hours, so the work has to start and finish while the shop is open"
    )
    assert refused("outside_hours", service=oil, start=start, rules=rules).message.startswith(
        "An oil change takes 30 minutes, so"
    )
    assert refused("waiter_not_allowed", service=brakes).message.startswith("Brake pads are drop-off only;")
