"""The hours a caller hears are said from the OpeningHours and Closure rows that bookings obey,
never from FAQ text: change a row and the sentence changes with it."""

import html
import importlib
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.urls import reverse

from scheduling import shop_info
from scheduling.management import demo_shop
from scheduling.models import Closure, FaqAnswer, OpeningHours

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 11, 9, 10, 0, tzinfo=CHICAGO)  # Thanksgiving is Thursday, November 26
WEEK = (
    "We're open Monday to Friday 8 AM to 5 PM, closed for lunch from noon to 1, and Saturday 8 AM to noon. "
    "We're closed on Sundays."
)


def at(clock, day=MONDAY.date()):
    return datetime.combine(day, clock, CHICAGO)


def thanksgiving():
    return Closure.objects.create(start_date=date(2026, 11, 26), end_date=date(2026, 11, 27), reason="Thanksgiving")


# --- The week ------------------------------------------------------------------------------


def test_the_week_groups_days_with_equal_hours_and_names_the_closed_ones(shop):
    assert shop_info.hours_answer(MONDAY) == WEEK


def test_the_demo_shops_hours_read_as_its_rows_say(db):
    for weekday, (opens, closes, lunch_start, lunch_end) in demo_shop.HOURS.items():
        OpeningHours.objects.create(
            weekday=weekday, opens=opens, closes=closes, lunch_start=lunch_start, lunch_end=lunch_end
        )

    assert shop_info.hours_answer(MONDAY) == (
        "We're open Monday to Friday 7:30 AM to 5:30 PM, closed for lunch from noon to 1, and Saturday 8 AM to 1 PM. "
        "We're closed on Sundays."
    )


def test_changing_saturdays_row_changes_what_callers_hear(shop):
    OpeningHours.objects.filter(weekday=5).update(opens=time(9), closes=time(14))
    assert shop_info.hours_answer(MONDAY).endswith("and Saturday 9 AM to 2 PM. We're closed on Sundays.")

    OpeningHours.objects.filter(weekday=5).delete()
    assert shop_info.hours_answer(MONDAY) == (
        "We're open Monday to Friday 8 AM to 5 PM, closed for lunch from noon to 1. "
        "We're closed on Saturdays and Sundays."
    )


def test_days_apart_with_the_same_hours_are_said_together(db):
    for weekday in (0, 2, 4):
        OpeningHours.objects.create(weekday=weekday, opens=time(9), closes=time(17))
    for weekday in (1, 3):
        OpeningHours.objects.create(weekday=weekday, opens=time(10), closes=time(18, 30))

    assert shop_info.hours_answer(MONDAY) == (
        "We're open Monday, Wednesday and Friday 9 AM to 5 PM, and Tuesday and Thursday 10 AM to 6:30 PM. "
        "We're closed on Saturdays and Sundays."
    )


def test_closures_in_the_next_month_follow_the_week(shop):
    thanksgiving()
    Closure.objects.create(start_date=date(2026, 12, 25), end_date=date(2026, 12, 25), reason="Christmas Day")

    assert shop_info.hours_answer(MONDAY) == (
        f"{WEEK} We're also closed on Thursday, November 26 and Friday, November 27 for Thanksgiving."
    )


def test_a_closure_under_way_is_said_from_today_and_a_long_one_as_a_span(shop):
    Closure.objects.create(start_date=date(2026, 11, 6), end_date=date(2026, 11, 10))
    Closure.objects.create(start_date=date(2026, 11, 16), end_date=date(2026, 11, 20), reason="our move")

    assert shop_info.hours_answer(MONDAY) == (
        f"{WEEK} We're also closed today and tomorrow. "
        "We're also closed from Monday, November 16 through Friday, November 20 for our move."
    )


def test_a_shop_without_hours_has_no_hours_answer(db):
    assert shop_info.hours_answer(MONDAY) is None


# --- One day -------------------------------------------------------------------------------


def test_saturday_is_answered_from_its_row(shop):
    saturday = date(2026, 11, 14)
    assert shop_info.day_answer(saturday, MONDAY) == "On Saturday, November 14 we're open from 8 AM to noon."

    OpeningHours.objects.filter(weekday=5).update(closes=time(13))
    assert shop_info.day_answer(saturday, MONDAY) == "On Saturday, November 14 we're open from 8 AM to 1 PM."


def test_tomorrow_is_said_as_tomorrow(shop):
    assert shop_info.day_answer(date(2026, 11, 10), MONDAY) == (
        "Tomorrow we're open from 8 AM to 5 PM, closed for lunch from noon to 1."
    )


def test_a_closed_weekday_says_when_the_shop_opens_again(shop):
    assert shop_info.day_answer(date(2026, 11, 15), MONDAY) == (
        "We're closed on Sundays. We're open again on Monday, November 16 from 8 AM to 5 PM."
    )


def test_a_closure_day_says_why_and_when_the_shop_opens_again(shop):
    thanksgiving()

    assert shop_info.day_answer(date(2026, 11, 27), MONDAY) == (
        "We're closed on Thursday, November 26 and Friday, November 27 for Thanksgiving. "
        "We're open again on Saturday, November 28 from 8 AM to noon."
    )


@pytest.mark.parametrize(
    ("clock", "said"),
    [
        (time(7), "Today we're open from 8 AM to 5 PM, closed for lunch from noon to 1."),
        (time(10), "We're open today until 5 PM, closed for lunch from noon to 1."),
        (time(12, 30), "We're closed for lunch until 1, then open until 5 PM."),
        (time(15), "We're open today until 5 PM."),
        (time(17), "We're closed for the rest of today. We're open again tomorrow from 8 AM to 5 PM."),
    ],
)
def test_today_is_answered_from_where_the_clock_stands(shop, clock, said):
    assert shop_info.day_answer(MONDAY.date(), at(clock)) == said


def test_saturday_evening_points_past_sunday_to_monday(shop):
    saturday = date(2026, 11, 14)
    assert shop_info.day_answer(saturday, at(time(18), saturday)) == (
        "We're closed for the rest of today. We're open again on Monday, November 16 from 8 AM to 5 PM."
    )


# --- No hours text anywhere else -----------------------------------------------------------


def test_hours_are_no_faq_topic_and_the_migration_deletes_old_hours_text(shop):
    FaqAnswer.objects.get_or_create(topic="hours", defaults={"answer": "Open 8 to 5."})
    migration = importlib.import_module("scheduling.migrations.0005_hours_come_from_opening_hours")

    migration.forget_hours_text(apps, None)

    assert "hours" not in FaqAnswer.Topic.values
    assert list(FaqAnswer.objects.values_list("topic", flat=True)) == ["location"]


def test_the_hours_page_shows_what_callers_hear(signed_in, manager, shop):
    page = html.unescape(signed_in(manager).get(reverse("admin:scheduling_openinghours_changelist")).content.decode())

    assert "Callers hear: \"We're open Monday to Friday 8 AM to 5 PM, closed for lunch from noon to 1" in page


def test_the_faq_pages_say_where_hours_come_from_and_offer_no_hours_topic(signed_in, manager, shop):
    client = signed_in(manager)
    listing = html.unescape(client.get(reverse("admin:scheduling_faqanswer_changelist")).content.decode())
    form = client.get(reverse("admin:scheduling_faqanswer_add")).context["adminform"].form

    assert "callers hear them from Opening hours and Closures" in listing
    assert "hours" not in dict(form.fields["topic"].choices)
    assert "reads them from Opening hours and Closures" in form.fields["topic"].help_text
