"""The staff's home page at /: today's appointments (shop time, not cancelled), the callbacks
waiting, the calls going on, links to every page; sign-in first for visitors; the 403 and 404
pages inside the layout when DEBUG is off; a query count that does not grow with the day."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, CallbackRequest
from crm.models import Customer, Vehicle
from scheduling.models import Appointment

from .page_records import make_call

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def at_today(hour, minute=0, days=0):
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def appointment(customer, service, start, **fields):
    return Appointment.objects.create(
        customer=customer, service_type=service, start=start, end=start + service.duration, **fields
    )


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next=/"


@pytest.mark.parametrize("persona", ["manager", "service_advisor"])
def test_managers_and_advisors_open_the_home_page(request, signed_in, persona):
    assert signed_in(request.getfixturevalue(persona)).get(HOME).status_code == 200


def test_staff_who_may_not_read_calls_are_taken_to_the_admin(signed_in, staff_without_group):
    response = signed_in(staff_without_group).get(HOME)
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_an_outsider_is_refused(signed_in, outsider):
    assert signed_in(outsider).get(HOME).status_code == 403


def test_it_lists_todays_appointments_in_shop_time_without_the_cancelled_ones(
    signed_in, service_advisor, customer, other_customer, oil_change, brake_job
):
    camry = Vehicle.objects.create(owner=customer, year=2019, make="Toyota", model="Camry")
    appointment(customer, brake_job, at_today(13), vehicle=camry)
    appointment(other_customer, oil_change, at_today(8, 30), waiter=True)
    appointment(customer, oil_change, at_today(10), status=Appointment.Status.CANCELLED)
    appointment(customer, oil_change, at_today(9, days=-1))
    appointment(customer, oil_change, at_today(9, days=1))
    response = signed_in(service_advisor).get(HOME)
    shown = [(a.start, a.customer.name) for a in response.context["appointments"]]
    assert shown == [(at_today(8, 30), "Marcus Oyelaran"), (at_today(13), "Dana Whitfield")]
    page = response.text
    assert "8:30 AM" in page and "1:00 PM" in page and "2019 Toyota Camry" in page and "Brake pads and rotors" in page
    assert 'id="appointments-today">2<' in page


def test_it_shows_the_callbacks_waiting_urgent_first_and_their_count(signed_in, service_advisor):
    now = timezone.now()
    CallbackRequest.objects.create(reason="Quote for tires", name="Pat Kim", created_at=now - timedelta(minutes=1))
    CallbackRequest.objects.create(
        reason="Stranded on the highway",
        name="Lee Park",
        urgency=CallbackRequest.Urgency.URGENT,
        created_at=now - timedelta(hours=1),
    )
    CallbackRequest.objects.create(reason="Handled", name="Old", handled_at=now)
    response = signed_in(service_advisor).get(HOME)
    assert [c.name for c in response.context["callbacks"]] == ["Lee Park", "Pat Kim"]
    assert f'id="callbacks-waiting" href="{reverse("call_pages:callbacks")}">2<' in response.text


def test_it_shows_the_calls_going_on_now(signed_in, service_advisor, customer):
    make_call(customer=customer, ended=False, status=Call.Status.IN_PROGRESS, started_at=timezone.now())
    make_call()  # over
    response = signed_in(service_advisor).get(HOME)
    assert [c.customer for c in response.context["live_calls"]] == [customer]
    assert 'id="calls-live"' in response.text and "Dana Whitfield" in response.text


def test_it_links_to_every_page_the_person_may_open(signed_in, manager, service_advisor):
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name="Managers").permissions.add(Permission.objects.get(codename="view_repairorder"))
    everything = [
        "call_pages:list",
        "call_pages:live",
        "call_pages:callbacks",
        "call_pages:dashboard",
        "admin:scheduling_repairorder_board",
        "admin:scheduling_repairorder_follow_ups",
        "admin:index",
        "phone:page",
    ]
    page = signed_in(manager).get(HOME).text
    for name in everything:
        assert f'href="{reverse(name)}"' in page, name
    advisor_page = signed_in(service_advisor).get(HOME).text
    assert f'href="{reverse("call_pages:dashboard")}"' not in advisor_page
    assert f'href="{reverse("call_pages:callbacks")}"' in advisor_page


def test_the_layout_takes_you_home(signed_in, service_advisor):
    page = signed_in(service_advisor).get(reverse("call_pages:list")).text
    assert f'<a class="brand" href="{HOME}">' in page


def test_the_home_page_runs_a_fixed_number_of_queries(signed_in, manager, oil_change, django_assert_max_num_queries):
    start = at_today(0, 30)
    for n in range(40):
        customer = Customer.objects.create(name=f"Customer {n}", phone=f"+1312555{n:04d}")
        vehicle = Vehicle.objects.create(owner=customer, year=2015, make="Honda", model="Civic")
        appointment(customer, oil_change, start + timedelta(minutes=30 * n), vehicle=vehicle)
        CallbackRequest.objects.create(reason=f"Message {n}", customer=customer, call=make_call(customer=customer))
        make_call(customer=customer, ended=False, status=Call.Status.IN_PROGRESS, started_at=timezone.now())
    client = signed_in(manager)
    with django_assert_max_num_queries(14):
        response = client.get(HOME)
    assert len(response.context["live_calls"]) == 40 and len(response.context["callbacks"]) == 5


# --- the error pages, inside the layout (DEBUG off) -----------------------------------------------


def test_a_missing_page_is_a_404_inside_the_layout_with_a_link_home(signed_in, service_advisor, settings):
    settings.DEBUG = False
    response = signed_in(service_advisor).get("/calls/CAnothing/")
    assert response.status_code == 404
    page = response.text
    assert "Page not found" in page and '<nav aria-label="Main">' in page
    assert f'<a href="{HOME}">Go to the home page</a>' in page
    assert 'id="open-callbacks"' in page  # the header as on every staff page


def test_a_visitor_gets_the_404_page_without_the_staff_header(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text and 'id="open-callbacks"' not in response.text


def test_a_refused_page_is_a_403_inside_the_layout_with_the_reason_and_a_link_home(
    signed_in, service_advisor, settings
):
    settings.DEBUG = False
    response = signed_in(service_advisor).get(reverse("call_pages:dashboard"))
    assert response.status_code == 403
    page = response.text
    assert "You can&#x27;t open this page" in page or "You can't open this page" in page
    assert "The dashboard is for managers." in page
    assert f'<a href="{HOME}">Go to the home page</a>' in page and '<nav aria-label="Main">' in page
