"""Who may open the call pages: managers everything, advisors the calls but not the dashboard,
other staff and outsiders nothing; visitors who are not signed in are sent to the login."""

import pytest
from django.urls import reverse

from .page_records import make_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(db):
    return make_call()


def call_pages(call):
    return {
        "list": reverse("call_pages:list"),
        "csv": reverse("call_pages:csv"),
        "detail": reverse("call_pages:detail", args=[call.call_sid]),
        "live": reverse("call_pages:live"),
        "live_fragment": reverse("call_pages:live_fragment"),
        "dashboard": reverse("call_pages:dashboard"),
    }


def test_a_manager_opens_every_page(signed_in, manager, call):
    client = signed_in(manager)
    for name, url in call_pages(call).items():
        assert client.get(url).status_code == 200, name


def test_a_service_advisor_reads_calls_but_not_the_dashboard(signed_in, service_advisor, call):
    client = signed_in(service_advisor)
    pages = call_pages(call)
    dashboard = pages.pop("dashboard")
    for name, url in pages.items():
        assert client.get(url).status_code == 200, name
    assert client.get(dashboard).status_code == 403


def test_the_dashboard_link_is_shown_to_managers_only(signed_in, manager, service_advisor, call):
    dashboard = reverse("call_pages:dashboard")
    assert f'href="{dashboard}"' in signed_in(manager).get(reverse("call_pages:list")).text
    assert f'href="{dashboard}"' not in signed_in(service_advisor).get(reverse("call_pages:list")).text


def test_the_layout_links_to_the_admin(signed_in, manager, call):
    page = signed_in(manager).get(reverse("call_pages:list")).text
    assert f'href="{reverse("admin:index")}"' in page
    assert '<main id="content"' in page and 'href="#content"' in page and '<nav aria-label="Main">' in page


def test_the_admin_links_back_to_the_pages_and_view_site_is_the_home_page(signed_in, service_advisor, call):
    page = signed_in(service_advisor).get(reverse("admin:index")).text
    for name in ("call_pages:list", "call_pages:live", "admin:scheduling_repairorder_board", "phone:page"):
        assert f'href="{reverse(name)}"' in page, name
    assert f'<a href="{reverse("home")}">View site</a>' in page
    assert "Recent actions" in page  # the admin's own sidebar is still there


@pytest.mark.parametrize("persona", ["staff_without_group", "outsider"])
def test_anyone_else_signed_in_is_refused(request, signed_in, persona, call):
    client = signed_in(request.getfixturevalue(persona))
    for name, url in call_pages(call).items():
        assert client.get(url).status_code == 403, name


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login(client, call):
    for name, url in call_pages(call).items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("admin:login")) and "next=" in response.url


def test_an_inactive_manager_is_refused(signed_in, manager, call):
    client = signed_in(manager)
    manager.is_active = False
    manager.save()
    assert client.get(reverse("call_pages:list")).status_code in (302, 403)


def test_a_superuser_sees_everything(signed_in, django_user_model, call):
    boss = django_user_model.objects.create_superuser("owner", "owner@ottos.example", "not-a-real-password")
    assert signed_in(boss).get(reverse("call_pages:dashboard")).status_code == 200


def test_an_unknown_call_is_not_found(signed_in, manager):
    assert signed_in(manager).get(reverse("call_pages:detail", args=["CAnope"])).status_code == 404


def test_the_pages_only_answer_get(signed_in, manager, call):
    assert signed_in(manager).post(reverse("call_pages:list")).status_code == 405
