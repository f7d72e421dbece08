"""The scripted receptionist books: service from the caller's words, natural days and times in
the shop's timezone, read-back and a clear yes before anything is written."""

from datetime import timedelta

import pytest

from calls.tests.scripted_calls import DANA, NEWCOMER, call_from, clock, db, local  # noqa: F401 (call_from, clock: fixtures)
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)


def appointments_of(phone):
    return list(Appointment.objects.filter(customer__phone=phone).select_related("service_type").order_by("start"))


async def test_an_oil_change_tomorrow_at_9_is_read_back_and_booked_after_yes(shop, oil_change, customer, clock, call_from):
    call = await call_from(DANA)
    tuesday = clock.date() + timedelta(days=1)
    said = await call.caller("Hi, I'd like to get an oil change tomorrow at 9.")
    assert "So that's an oil change on Tuesday" in said and "at 9 AM" in said and said.endswith("Shall I book it?")
    assert await db(appointments_of, DANA) == []
    said = await call.caller("Yes please.")
    assert "You're all set" in said
    (booked,) = await db(appointments_of, DANA)
    assert booked.start == local(shop, tuesday, 9)
    assert booked.service_type == oil_change
    said = await call.caller("No, that's all, thanks.")
    assert "Goodbye" in said and call.ended == "end_call"
