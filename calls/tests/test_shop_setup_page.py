"""The managers' Hours and services page: the week as one grid (12-hour times, a closed day has no
row), closures with their reasons, the services with duration, price range and whether customers
may wait; the FAQ page's entries, each read to callers only once approved. Managers only. What
is saved is what the agent says (scheduling.shop_info, the function its shop_info tool calls)."""

import html
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling import shop_info
from scheduling.models import Closure, FaqAnswer, OpeningHours, ServiceType

pytestmark = pytest.mark.django_db

SHOP = reverse("call_pages:shop")
HOURS = reverse("call_pages:shop_hours")
SERVICES = reverse("call_pages:shop_services")
CLOSURES = reverse("call_pages:shop_closure_add")
FAQ = reverse("call_pages:faq")
FAQ_ADD = reverse("call_pages:faq_add")


def week_as_saved():
    """The grid as a manager who changes nothing would post it."""
    saved = {row.weekday: row for row in OpeningHours.objects.all()}
    data = {}
    for weekday in range(7):
        row = saved.get(weekday)
        prefix = f"day{weekday}-"
        if row is None:
            data[prefix + "closed"] = "on"
            continue
        for name in ("opens", "closes", "lunch_start", "lunch_end"):
            clock = getattr(row, name)
            data[prefix + name] = clock.strftime("%I:%M %p") if clock else ""
    return data


def services_as_saved():
    services = list(ServiceType.objects.order_by("name"))
    data = {
        "services-TOTAL_FORMS": str(len(services) + 1),
        "services-INITIAL_FORMS": str(len(services)),
        "services-MIN_NUM_FORMS": "0",
        "services-MAX_NUM_FORMS": "1000",
    }
    for i, service in enumerate(services):
        prefix = f"services-{i}-"
        data |= {
            prefix + "id": str(service.pk),
            prefix + "name": service.name,
            prefix + "duration_minutes": str(service.duration_minutes),
            prefix + "price_low": "" if service.price_low is None else str(service.price_low),
            prefix + "price_high": "" if service.price_high is None else str(service.price_high),
        }
        if service.waiter_allowed:
            data[prefix + "waiter_allowed"] = "on"
        if service.active:
            data[prefix + "active"] = "on"
    new = f"services-{len(services)}-"
    data |= {new + "waiter_allowed": "on", new + "active": "on"}  # the empty row, boxes as drawn
    return data


def hours_of(weekday):
    row = OpeningHours.objects.filter(weekday=weekday).first()
    return row and (row.opens, row.closes, row.lunch_start, row.lunch_end)


def now_in_shop():
    return timezone.localtime()


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["service_advisor", "staff_without_group", "outsider"])
def test_only_managers_may_open_or_change_the_shop_and_faq_pages(persona, request, signed_in, shop, oil_change):
    client = signed_in(request.getfixturevalue(persona))
    before = hours_of(5)
    assert client.get(SHOP).status_code == 403
    assert "The shop page is for managers." in client.get(SHOP).content.decode()
    data = week_as_saved() | {"day5-closed": "on"}
    assert client.post(HOURS, data).status_code == 403
    assert client.post(SERVICES, services_as_saved() | {"services-0-duration_minutes": "5"}).status_code == 403
    assert client.post(CLOSURES, {"start_date": "2031-01-01", "end_date": "2031-01-01"}).status_code == 403
    assert client.get(FAQ).status_code == 403
    assert client.post(FAQ_ADD, {"question": "Wifi?", "answer": "Yes.", "approved": "on"}).status_code == 403
    assert hours_of(5) == before
    assert ServiceType.objects.get(pk=oil_change.pk).duration_minutes == 30
    assert not Closure.objects.exists() and not FaqAnswer.objects.filter(question="Wifi?").exists()


def test_visitors_are_sent_to_sign_in():
    response = Client().get(SHOP)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_the_header_links_managers_to_the_page(signed_in, manager, service_advisor, shop):
    assert f'href="{SHOP}"' in signed_in(manager).get("/").content.decode()
    assert f'href="{SHOP}"' not in signed_in(service_advisor).get("/").content.decode()


# --- hours -----------------------------------------------------------------------------------


def test_the_grid_shows_the_week_in_12_hour_times_and_sunday_closed(signed_in, manager, shop):
    page = signed_in(manager).get(SHOP).content.decode()
    assert 'name="day0-opens"' in page and 'value="8:00 AM"' in page and 'value="5:00 PM"' in page
    assert 'value="12:00 PM"' in page
    assert 'name="day6-closed" id="id_day6-closed" aria-label="Sunday closed" checked' in page


def test_saturday_changed_in_the_grid_is_what_callers_hear(signed_in, manager, shop):
    client = signed_in(manager)
    data = week_as_saved() | {"day5-opens": "9:00 AM", "day5-closes": "2:30 pm"}
    response = client.post(HOURS, data)
    assert response.status_code == 302
    assert hours_of(5) == (time(9), time(14, 30), None, None)
    assert hours_of(0) == (time(8), time(17), time(12), time(13))
    assert "and Saturday 9 AM to 2:30 PM. We're closed on Sundays." in shop_info.hours_answer(now_in_shop())
    assert "callers hear them from now on" in client.get(SHOP).content.decode()


def test_a_day_ticked_closed_loses_its_row_and_a_closed_day_can_open(signed_in, manager, shop):
    data = week_as_saved() | {"day2-closed": "on"}
    data |= {"day6-closed": "", "day6-opens": "10 AM", "day6-closes": "14:00"}
    data.pop("day6-closed")
    assert signed_in(manager).post(HOURS, data).status_code == 302
    assert hours_of(2) is None
    assert hours_of(6) == (time(10), time(14), None, None)
    said = shop_info.hours_answer(now_in_shop())
    assert "We're closed on Wednesdays." in said and "Sunday 10 AM to 2 PM" in said


def test_closing_before_opening_is_refused_and_nothing_is_saved(signed_in, manager, shop):
    client = signed_in(manager)
    data = week_as_saved() | {"day0-opens": "7:30 AM", "day5-opens": "3:00 PM", "day5-closes": "11:00 AM"}
    response = client.post(HOURS, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The shop must open before it closes." in page
    assert 'value="7:30 AM"' in page and 'value="3:00 PM"' in page  # what was typed stays in the grid
    assert hours_of(5) == (time(8), time(12), None, None)
    assert hours_of(0) == (time(8), time(17), time(12), time(13))  # the valid Monday is not half-saved


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"day1-lunch_start": "4:00 PM", "day1-lunch_end": "6:00 PM"}, "Lunch must fall inside opening hours"),
        ({"day1-lunch_end": ""}, "Give both the start and the end of lunch"),
        ({"day1-opens": ""}, "Give Tuesday's opening and closing times, or tick Closed."),
        ({"day1-opens": "quarter past eight"}, "Enter a valid time."),
    ],
)
def test_a_wrong_day_says_what_is_wrong(signed_in, manager, shop, change, message):
    response = signed_in(manager).post(HOURS, week_as_saved() | change)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert hours_of(1) == (time(8), time(17), time(12), time(13))


# --- closures --------------------------------------------------------------------------------


def test_a_closure_with_its_reason_is_listed_heard_and_removed(signed_in, manager, shop):
    client = signed_in(manager)
    today = timezone.localdate()
    first, last = today + timedelta(days=3), today + timedelta(days=4)
    response = client.post(CLOSURES, {"start_date": first, "end_date": last, "reason": "the owner's wedding"})
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert (closure.start_date, closure.end_date, closure.reason) == (first, last, "the owner's wedding")
    assert "the owner's wedding" in html.unescape(client.get(SHOP).content.decode())
    assert "for the owner's wedding." in shop_info.day_answer(first, now_in_shop())

    assert client.post(reverse("call_pages:shop_closure_remove", args=[closure.pk])).status_code == 302
    assert not Closure.objects.exists()
    assert "No closures ahead." in client.get(SHOP).content.decode()


def test_a_closure_that_ends_before_it_starts_is_refused(signed_in, manager, shop):
    response = signed_in(manager).post(CLOSURES, {"start_date": "2031-05-04", "end_date": "2031-05-01"})
    assert response.status_code == 400
    assert "A closure cannot end before it starts." in response.content.decode()
    assert not Closure.objects.exists()


def test_past_closures_are_not_listed(signed_in, manager, shop):
    today = timezone.localdate()
    Closure.objects.create(start_date=today - timedelta(days=9), end_date=today - timedelta(days=8), reason="Gone")
    assert "Gone" not in signed_in(manager).get(SHOP).content.decode()


# --- services --------------------------------------------------------------------------------


def test_services_are_changed_and_added_on_one_screen(signed_in, manager, shop, oil_change, brake_job):
    client = signed_in(manager)
    data = services_as_saved()
    index = {v: k.split("-")[1] for k, v in data.items() if k.endswith("-name")}
    oil = index["Oil change"]
    data |= {f"services-{oil}-duration_minutes": "45", f"services-{oil}-price_high": "99"}
    data.pop(f"services-{oil}-waiter_allowed")
    data |= {"services-2-name": "Tire rotation", "services-2-duration_minutes": "30", "services-2-price_low": "25"}
    response = client.post(SERVICES, data)
    assert response.status_code == 302
    oil_change.refresh_from_db()
    assert (oil_change.duration_minutes, oil_change.price_high, oil_change.waiter_allowed) == (45, Decimal("99"), False)
    rotation = ServiceType.objects.get(name="Tire rotation")
    assert (rotation.duration_minutes, rotation.price_low, rotation.waiter_allowed, rotation.active) == (
        30,
        Decimal("25"),
        True,
        True,
    )
    oil = next(s for s in shop_info.services_overview() if s["service"] == "Oil change")
    assert oil["duration_minutes"] == 45 and oil["price_estimate"] == "$49 to $99" and oil["wait_at_shop"] is False


def test_a_price_range_upside_down_is_shown_on_its_row_and_nothing_is_saved(
    signed_in, manager, shop, oil_change, brake_job
):
    data = services_as_saved()
    index = {v: k.split("-")[1] for k, v in data.items() if k.endswith("-name")}
    data |= {
        f"services-{index['Oil change']}-price_high": "20",
        f"services-{index['Brake pads and rotors']}-duration_minutes": "90",
    }
    response = signed_in(manager).post(SERVICES, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The high end of the price range is below the low end." in page
    row = page[page.index('data-service="Oil change"') :]
    assert row.index("The high end of the price range") < row.index("</tr>")
    assert ServiceType.objects.get(name="Brake pads and rotors").duration_minutes == brake_job.duration_minutes


def test_an_untouched_empty_row_adds_no_service(signed_in, manager, shop, oil_change):
    assert signed_in(manager).post(SERVICES, services_as_saved()).status_code == 302
    assert list(ServiceType.objects.values_list("name", flat=True)) == ["Oil change"]


# --- FAQ entries -----------------------------------------------------------------------------


def test_a_new_entry_waits_for_approval_before_callers_hear_it(signed_in, manager, shop):
    client = signed_in(manager)
    response = client.post(FAQ_ADD, {"question": "Do you offer a shuttle?", "answer": "Yes, within 3 miles."})
    assert response.status_code == 302
    entry = FaqAnswer.objects.get(question="Do you offer a shuttle?")
    assert not entry.approved
    assert shop_info.faq_answer("other", "is there a shuttle to downtown?") == (None, None)
    assert "Not approved: callers do not hear it" in client.get(FAQ).content.decode()

    edit = reverse("call_pages:faq_edit", args=[entry.pk])
    data = {"question": entry.question, "answer": "Yes, free within 3 miles.", "approved": "on"}
    assert client.post(edit, data).status_code == 302
    assert shop_info.faq_answer("other", "is there a shuttle to downtown?") == (
        "Yes, free within 3 miles.",
        "Do you offer a shuttle?",
    )

    assert client.post(reverse("call_pages:faq_delete", args=[entry.pk])).status_code == 302
    assert not FaqAnswer.objects.filter(pk=entry.pk).exists()


def test_an_entry_needs_a_question_and_an_answer(signed_in, manager, shop):
    response = signed_in(manager).post(FAQ_ADD, {"question": "", "answer": "", "approved": "on"})
    assert response.status_code == 400
    assert response.content.decode().count("This field is required.") == 2
    assert FaqAnswer.objects.count() == 2  # the shop fixture's
