"""Fixtures shared by every app's tests: a shop with realistic hours, services and a customer.

App-specific fixtures live in that app's tests/conftest.py.
"""

from datetime import time
from decimal import Decimal

import pytest


@pytest.fixture
def shop(db):
    """Mon-Fri 8:00-17:00 with lunch 12:00-13:00, Saturday 8:00-12:00, Sunday closed; 2 bays."""
    from scheduling.models import FaqAnswer, OpeningHours, ShopProfile

    profile = ShopProfile.objects.create(
        name="Otto's Auto Repair",
        address="1200 W Fulton St, Chicago, IL 60607",
        phone="+13125550100",
        timezone="America/Chicago",
        bays=2,
        waiters_per_slot=1,
        slot_minutes=30,
        min_lead_minutes=60,
    )
    for weekday in range(5):
        OpeningHours.objects.create(
            weekday=weekday, opens=time(8), closes=time(17), lunch_start=time(12), lunch_end=time(13)
        )
    OpeningHours.objects.create(weekday=5, opens=time(8), closes=time(12))
    FaqAnswer.objects.create(
        topic="hours",
        question="What are your hours?",
        approved=True,
        answer="We're open 8 to 5 on weekdays and 8 to noon on Saturday.",
    )
    FaqAnswer.objects.create(
        topic="location",
        question="Where are you?",
        approved=True,
        answer="We're at 1200 West Fulton Street, near the Morgan L stop.",
    )
    return profile


@pytest.fixture
def oil_change(db):
    from scheduling.models import ServiceType

    return ServiceType.objects.create(
        name="Oil change", duration_minutes=30, price_low=Decimal("49"), price_high=Decimal("89"), waiter_allowed=True
    )


@pytest.fixture
def brake_job(db):
    from scheduling.models import ServiceType

    return ServiceType.objects.create(
        name="Brake pads and rotors",
        duration_minutes=180,
        price_low=Decimal("250"),
        price_high=Decimal("600"),
        waiter_allowed=False,
    )


@pytest.fixture
def customer(db):
    from crm.models import Customer

    return Customer.objects.create(
        name="Dana Whitfield", phone="+13125550147", email="dana@example.com", sms_opt_in=True
    )


@pytest.fixture
def other_customer(db):
    from crm.models import Customer

    return Customer.objects.create(name="Marcus Oyelaran", phone="+17735550199")


# --- Back-office personas (who is signed in to the admin) -------------------------------------
# One place for every permission path: a manager, a service advisor (`service_advisor`;
# scheduling/tests has its own group-less `advisor` for actor tests), a staff account in no
# group, and an outsider who is not staff at all.


def _person(username, *, staff=True, group=None):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, f"{username}@ottos.example", "not-a-real-password", is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def manager(db):
    return _person("morgan.manager", group="Managers")


@pytest.fixture
def service_advisor(db):
    return _person("avery.advisor", group="Service advisors")


@pytest.fixture
def staff_without_group(db):
    return _person("sam.staff")


@pytest.fixture
def outsider(db):
    return _person("olive.outsider", staff=False)


@pytest.fixture
def signed_in():
    """signed_in(user) -> a test client with that user logged in (one client per user)."""
    from django.test import Client

    def sign_in(user):
        client = Client()
        client.force_login(user)
        return client

    return sign_in
