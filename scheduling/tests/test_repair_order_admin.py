"""The back office for repair orders: the board by status, quick moves, the order page and its
job lines, the declined work to follow up; every change through the actions, refusals as messages."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, Vehicle
from ottos.lib import clock
from scheduling.models import JobLine, RepairOrder, RepairOrderChange
from scheduling.repair_orders.actions import (
    Actor,
    add_job_line,
    approve_job_lines,
    close_repair_order,
    decline_job_lines,
    open_repair_order,
    set_repair_status,
)

BOARD = reverse("admin:scheduling_repairorder_board")
FOLLOW_UPS = reverse("admin:scheduling_repairorder_follow_ups")
ORDERS = reverse("admin:scheduling_repairorder_changelist")
OFFICE = Actor.command("test-setup")
Status = RepairOrder.Status


def move_url(order):
    return reverse("admin:scheduling_repairorder_move", args=[order.pk])


def change_url(order):
    return reverse("admin:scheduling_repairorder_change", args=[order.pk])


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def column(page, status):
    found = re.search(rf'<section class="ro-column" data-status="{status}".*?</section>', page, re.S)
    assert found, f"no {status} column"
    return found.group(0)


def card(page, order):
    found = re.search(rf'<li class="ro-card[^"]*" data-order="{order.pk}">.*?</li>', page, re.S)
    assert found, f"no card for RO {order.number}"
    return found.group(0)


@pytest.fixture
def camry(customer):
    return Vehicle.objects.create(owner=customer, year=2019, make="Toyota", model="Camry")


@pytest.fixture
def checked_in(shop, customer, camry):
    return open_repair_order(
        customer=customer, vehicle=camry, actor=OFFICE, promised_at=clock.now() + timedelta(hours=4)
    )


def an_order(customer, vehicle, status=Status.CHECKED_IN, **kwargs):
    order = open_repair_order(customer=customer, vehicle=vehicle, actor=OFFICE, **kwargs)
    if status == Status.PICKED_UP:
        return close_repair_order(order, actor=OFFICE)
    if status != Status.CHECKED_IN:
        return set_repair_status(order, status, actor=OFFICE)
    return order


# --- Who may see and move what ----------------------------------------------------------------


def test_an_advisor_sees_open_orders_in_columns_by_status(signed_in, service_advisor, shop, customer, camry):
    waiting = an_order(customer, camry)
    ready = an_order(customer, camry, Status.READY)
    gone = an_order(customer, camry, Status.PICKED_UP)
    response = signed_in(service_advisor).get(BOARD)
    assert response.status_code == 200
    page = response.text
    assert f"RO {waiting.number}" in column(page, Status.CHECKED_IN)
    assert f"RO {ready.number}" in column(page, Status.READY)
    assert f"RO {gone.number}" not in page  # picked up: off the board
    assert "2019 Toyota Camry" in card(page, ready) and "Dana Whitfield" in card(page, ready)
    assert 'name="csrfmiddlewaretoken"' in card(page, ready)
    assert '<script src="http' not in page and "cdn" not in page.lower()


def test_the_list_links_to_the_board_and_the_follow_ups(signed_in, service_advisor, checked_in):
    page = signed_in(service_advisor).get(ORDERS).text
    assert f'href="{BOARD}"' in page and f'href="{FOLLOW_UPS}"' in page
    assert "Dana Whitfield" in page


def test_staff_outside_the_groups_are_refused(signed_in, staff_without_group, checked_in):
    client = signed_in(staff_without_group)
    assert client.get(BOARD).status_code == 403
    assert client.get(FOLLOW_UPS).status_code == 403
    assert client.post(move_url(checked_in), {"status": Status.READY}).status_code == 403
    checked_in.refresh_from_db()
    assert checked_in.status == Status.CHECKED_IN


def test_people_who_are_not_staff_are_sent_to_sign_in(signed_in, outsider, checked_in):
    response = signed_in(outsider).get(BOARD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_manager_reads_the_board_but_does_not_move_orders(signed_in, manager, checked_in):
    client = signed_in(manager)
    page = client.get(BOARD).text
    assert f"RO {checked_in.number}" in page
    assert "<button" not in card(page, checked_in)
    assert client.post(move_url(checked_in), {"status": Status.READY}).status_code == 403


# --- Moving orders ------------------------------------------------------------------------


def test_a_status_button_moves_the_order_and_records_who(signed_in, service_advisor, checked_in):
    client = signed_in(service_advisor)
    assert 'value="ready"' in card(client.get(BOARD).text, checked_in)
    response = client.post(move_url(checked_in), {"status": Status.READY})
    assert response.status_code == 302 and response["Location"] == BOARD
    checked_in.refresh_from_db()
    assert checked_in.status == Status.READY
    change = RepairOrderChange.objects.filter(repair_order=checked_in, action="status").get()
    assert change.actor_user == service_advisor and change.details["after"]["status"] == Status.READY
    assert f"RO {checked_in.number}" in column(client.get(BOARD).text, Status.READY)


def test_picked_up_closes_the_order(signed_in, service_advisor, shop, customer, camry):
    ready = an_order(customer, camry, Status.READY)
    signed_in(service_advisor).post(move_url(ready), {"status": Status.PICKED_UP})
    ready.refresh_from_db()
    assert ready.status == Status.PICKED_UP and ready.closed_at is not None
    assert RepairOrderChange.objects.filter(repair_order=ready, action="closed").exists()


def test_a_refused_move_is_a_message_on_the_board_not_an_error(signed_in, service_advisor, shop, customer, camry):
    gone = an_order(customer, camry, Status.PICKED_UP)
    client = signed_in(service_advisor)
    response = client.post(move_url(gone), {"status": Status.READY}, follow=True)
    assert response.status_code == 200
    assert any("already been picked up" in m for m in said(response))
    gone.refresh_from_db()
    assert gone.status == Status.PICKED_UP
    assert client.post(move_url(gone), {"status": "teleported"}, follow=True).status_code == 200
    assert client.get(move_url(gone)).status_code == 405


def test_the_lists_actions_move_orders_and_report_refusals(signed_in, service_advisor, shop, customer, camry):
    waiting = an_order(customer, camry)
    gone = an_order(customer, camry, Status.PICKED_UP)
    response = signed_in(service_advisor).post(
        ORDERS, {"action": "move_to_in_progress", "_selected_action": [waiting.pk, gone.pk]}, follow=True
    )
    assert response.status_code == 200
    messages = said(response)
    assert any("1 repair order moved to in progress" in m for m in messages)
    assert any(f"RO {gone.number}: That car has already been picked up" in m for m in messages)
    waiting.refresh_from_db()
    assert waiting.status == Status.IN_PROGRESS


# --- What a card says ---------------------------------------------------------------------


def test_an_overdue_order_is_marked_in_words(signed_in, service_advisor, shop, customer, camry):
    promised = clock.now() - timedelta(hours=2)
    late = an_order(customer, camry, Status.IN_PROGRESS, opened_at=promised - timedelta(days=1), promised_at=promised)
    ready_late = an_order(customer, camry, Status.READY, opened_at=promised - timedelta(days=1), promised_at=promised)
    page = signed_in(service_advisor).get(BOARD).text
    assert "Overdue: promised" in card(page, late)
    assert "Overdue" not in card(page, ready_late)  # ready in time: nothing late about it
    assert "1 overdue" in page
    changelist = signed_in(service_advisor).get(ORDERS + "?open=overdue").text
    assert f">{late.number}<" in changelist and f">{ready_late.number}<" not in changelist


def test_a_card_counts_the_lines_awaiting_approval(signed_in, service_advisor, checked_in):
    for work in ("Front brake pads", "Cabin air filter"):
        add_job_line(checked_in, description=work, actor=OFFICE, amount="120")
    approved = add_job_line(checked_in, description="Oil change", actor=OFFICE, amount="60")
    approve_job_lines(checked_in, [approved.pk], actor=OFFICE, via=JobLine.Via.PHONE)
    assert "2 lines awaiting approval" in card(signed_in(service_advisor).get(BOARD).text, checked_in)


def test_the_board_takes_the_same_few_queries_for_30_orders(signed_in, service_advisor, shop, customer, camry):
    client = signed_in(service_advisor)
    an_order(customer, camry, promised_at=clock.now() + timedelta(hours=1))
    client.get(BOARD)  # the session and the permissions are cached from here on
    with CaptureQueriesContext(connection) as one:
        client.get(BOARD)
    statuses = list(RepairOrder.OPEN_STATUSES)
    for n in range(29):
        owner = Customer.objects.create(name=f"Customer {n}", phone=f"+1312555{n:04d}")
        car = Vehicle.objects.create(owner=owner, year=2015, make="Honda", model="Civic")
        order = an_order(owner, car, statuses[n % len(statuses)], promised_at=clock.now() + timedelta(hours=n - 10))
        add_job_line(order, description="Brake fluid flush", actor=OFFICE, amount="99")
    with CaptureQueriesContext(connection) as thirty:
        page = client.get(BOARD).text
    assert page.count("data-order=") == 30
    assert len(thirty) == len(one) <= 8, [q["sql"] for q in thirty.captured_queries]


# --- The order page -----------------------------------------------------------------------


def change_form_data(response, **fields):
    """What the order page posts back as shown, with `fields` changed (inline fields by full name)."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if name == "promised_at":
            local = timezone.localtime(value) if value else None
            data["promised_at_0"] = local.strftime("%Y-%m-%d") if local else ""
            data["promised_at_1"] = local.strftime("%H:%M:%S") if local else ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": len(formset.forms),
                f"{formset.prefix}-INITIAL_FORMS": formset.initial_form_count(),
                f"{formset.prefix}-MIN_NUM_FORMS": 0,
                f"{formset.prefix}-MAX_NUM_FORMS": 1000,
            }
        )
        for line_form in formset.initial_forms:
            data[f"{line_form.prefix}-id"] = line_form.instance.pk
            data[f"{line_form.prefix}-repair_order"] = line_form.instance.repair_order_id
    data.update(fields)
    return data


def inline_prefix(response, verbose_name_plural):
    for inline in response.context["inline_admin_formsets"]:
        if inline.opts.verbose_name_plural == verbose_name_plural:
            return inline.formset.prefix
    raise AssertionError(f"no inline {verbose_name_plural!r}")


def test_the_order_page_moves_the_status_adds_work_and_takes_decisions_in_person(
    signed_in, service_advisor, checked_in
):
    brakes = add_job_line(
        checked_in, description="Front brake pads", actor=OFFICE, estimate_low="250", estimate_high="400"
    )
    wipers = add_job_line(checked_in, description="Wiper blades", actor=OFFICE, amount="35")
    client = signed_in(service_advisor)
    shown = client.get(change_url(checked_in))
    assert shown.status_code == 200
    work = inline_prefix(shown, "work on this order")
    new = inline_prefix(shown, "add work (recommended, waiting for the customer)")
    response = client.post(
        change_url(checked_in),
        change_form_data(
            shown,
            status=Status.IN_PROGRESS,
            technician="Luis",
            internal_notes="Rotor lip, check next visit",
            **{
                f"{work}-0-decision": "approve",
                f"{work}-1-decision": "decline",
                f"{work}-1-reason": "Next month",
                f"{new}-0-description": "Cabin air filter",
                f"{new}-0-amount": "45",
            },
        ),
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    checked_in.refresh_from_db()
    brakes.refresh_from_db()
    wipers.refresh_from_db()
    assert checked_in.status == Status.IN_PROGRESS and checked_in.technician == "Luis"
    assert (brakes.status, brakes.decided_via) == (JobLine.Status.APPROVED, JobLine.Via.IN_PERSON)
    assert (wipers.status, wipers.decline_reason) == (JobLine.Status.DECLINED, "Next month")
    assert wipers.follow_up_on is not None
    added = checked_in.lines.get(description="Cabin air filter")
    assert added.status == JobLine.Status.RECOMMENDED
    actions = set(
        RepairOrderChange.objects.filter(repair_order=checked_in, actor_user=service_advisor).values_list(
            "action", flat=True
        )
    )
    assert actions == {"status", "shop_details", "approved", "declined", "line_added"}
    history = client.get(change_url(checked_in)).text
    assert "shop_details" in history and "avery.advisor" in history


def test_a_refused_change_on_the_order_page_is_a_form_error(signed_in, service_advisor, shop, customer, camry):
    gone = an_order(customer, camry, Status.PICKED_UP)
    client = signed_in(service_advisor)
    shown = client.get(change_url(gone))
    response = client.post(change_url(gone), change_form_data(shown, status=Status.READY))
    assert response.status_code == 200
    assert "already been picked up" in str(response.context["adminform"].form.non_field_errors())
    gone.refresh_from_db()
    assert gone.status == Status.PICKED_UP


def test_an_advisor_checks_a_car_in_from_the_admin(signed_in, service_advisor, shop, customer, camry):
    response = signed_in(service_advisor).post(
        reverse("admin:scheduling_repairorder_add"),
        {
            "customer": customer.pk,
            "vehicle": camry.pk,
            "appointment": "",
            "promised_at_0": "",
            "promised_at_1": "",
            "mileage_in": "48210",
            "status_note": "",
            "technician": "",
            "internal_notes": "",
        },
    )
    assert response.status_code == 302
    order = RepairOrder.objects.get()
    assert (order.status, order.mileage_in) == (Status.CHECKED_IN, 48210)
    assert order.changes.get().action == "opened"


def test_another_customers_vehicle_is_refused_on_check_in(
    signed_in, service_advisor, shop, customer, other_customer, camry
):
    response = signed_in(service_advisor).post(
        reverse("admin:scheduling_repairorder_add"),
        {
            "customer": other_customer.pk,
            "vehicle": camry.pk,
            "promised_at_0": "",
            "promised_at_1": "",
        },
    )
    assert response.status_code == 200
    assert "belongs to" in str(response.context["adminform"].form.errors)
    assert not RepairOrder.objects.exists()


# --- Declined work to follow up -------------------------------------------------------------


def test_the_follow_up_list_shows_declined_work_that_is_due(signed_in, service_advisor, checked_in):
    brakes = add_job_line(
        checked_in, description="Front brake pads", actor=OFFICE, estimate_low="250", estimate_high="400"
    )
    later = add_job_line(checked_in, description="Timing belt", actor=OFFICE, amount="900")
    decline_job_lines(
        checked_in, [brakes.pk, later.pk], actor=OFFICE, via=JobLine.Via.IN_PERSON, reason="Money is tight this month"
    )
    JobLine.objects.filter(pk=brakes.pk).update(follow_up_on=clock.now().date() - timedelta(days=1))  # due
    page = signed_in(service_advisor).get(FOLLOW_UPS).text
    row = re.search(r"<tbody>.*?</tbody>", page, re.S).group(0)
    for shown in (
        "Dana Whitfield",
        "(312) 555-0147",
        "2019 Toyota Camry",
        "Front brake pads",
        "$250 to $400",
        "Money is tight this month",
        f"RO {checked_in.number}",
    ):
        assert shown in row
    assert "Timing belt" not in page  # its follow-up day has not come


def test_an_advisor_who_called_marks_the_follow_up_done_and_it_leaves_the_list(signed_in, service_advisor, checked_in):
    brakes = add_job_line(checked_in, description="Front brake pads", actor=OFFICE, amount="300")
    decline_job_lines(checked_in, [brakes.pk], actor=OFFICE, via=JobLine.Via.IN_PERSON)
    JobLine.objects.filter(pk=brakes.pk).update(follow_up_on=clock.now().date() - timedelta(days=1))
    client = signed_in(service_advisor)
    done = reverse("admin:scheduling_repairorder_followed_up", args=[brakes.pk])
    assert done in client.get(FOLLOW_UPS).text
    page = client.post(done, {"note": "Will book after payday"}, follow=True).text
    assert "Front brake pads marked followed up" in page and "No declined work is due for a follow-up." in page
    client.post(done, {"note": "again"})  # a second click records nothing more
    record = brakes.changes.get(action="followed_up")
    assert (record.details["note"], record.actor_user) == ("Will book after payday", service_advisor)
    assert client.get(done).status_code == 405


def test_the_follow_up_list_says_when_nothing_is_due(signed_in, service_advisor, checked_in):
    assert "No declined work is due for a follow-up." in signed_in(service_advisor).get(FOLLOW_UPS).text


# --- The customer's and the vehicle's pages ---------------------------------------------------


def test_the_customer_and_vehicle_pages_list_their_repair_orders(
    signed_in, service_advisor, customer, camry, checked_in
):
    client = signed_in(service_advisor)
    for url in (
        reverse("admin:crm_customer_change", args=[customer.pk]),
        reverse("admin:crm_vehicle_change", args=[camry.pk]),
    ):
        page = client.get(url).text
        assert "repair orders (open one to change it)" in page.lower()
        assert change_url(checked_in) in page


def test_a_manager_reads_the_order_page_and_its_history_without_changing_it(signed_in, manager, checked_in):
    add_job_line(checked_in, description="Front brake pads", actor=OFFICE, amount="300")
    response = signed_in(manager).get(change_url(checked_in))
    assert response.status_code == 200
    page = response.text
    assert "Front brake pads" in page and "about $300" in page and "line_added" in page
    assert "customer's decision" not in page.lower() and 'name="_save"' not in page


def test_selected_lines_are_approved_or_declined_in_person_from_the_job_line_list(
    signed_in, service_advisor, checked_in
):
    brakes = add_job_line(checked_in, description="Front brake pads", actor=OFFICE, amount="300")
    wipers = add_job_line(checked_in, description="Wiper blades", actor=OFFICE, amount="35")
    lines = reverse("admin:scheduling_jobline_changelist")
    client = signed_in(service_advisor)
    client.post(lines, {"action": "approve_in_person", "_selected_action": [brakes.pk]})
    response = client.post(
        lines, {"action": "decline_in_person", "_selected_action": [brakes.pk, wipers.pk]}, follow=True
    )
    brakes.refresh_from_db()
    wipers.refresh_from_db()
    assert (brakes.status, brakes.decided_via) == (JobLine.Status.APPROVED, JobLine.Via.IN_PERSON)
    assert wipers.status == JobLine.Status.DECLINED
    assert any("Front brake pads: Front brake pads is already approved." in m for m in said(response))
    assert RepairOrderChange.objects.filter(line=brakes, action="approved", actor_user=service_advisor).exists()
