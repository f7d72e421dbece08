"""The managers' Staff page: the logins with their role and last sign-in; inviting a colleague (a
login with no password, in the role's group, and a one-time link where they choose it, e-mailed
and shown); changing a role; deactivating (never yourself, never the last manager) and
reactivating. Managers only; every change is logged without e-mail addresses."""

import logging
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from crm import staff

pytestmark = pytest.mark.django_db

STAFF = reverse("call_pages:staff")
INVITE = reverse("call_pages:staff_invite")
STRONG = "torque-wrench-42-ratchet"
LINK = re.compile(r"https?://[^\s\"<]+/calls/staff/set-password/[^\s\"<]+/")


def invite(client, name="Riley Chen", email="riley@ottos.example", role="advisor"):
    return client.post(INVITE, {"name": name, "email": email, "role": role})


def link_on_page(client):
    page = client.get(STAFF).content.decode()
    return LINK.search(page).group(0)


def roles(user):
    return sorted(g.name for g in user.groups.all())


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["service_advisor", "staff_without_group", "outsider"])
def test_only_managers_may_open_or_use_the_staff_page(persona, request, signed_in, manager):
    client = signed_in(request.getfixturevalue(persona))
    assert client.get(STAFF).status_code == 403
    assert "The staff page is for managers." in client.get(STAFF).content.decode()
    assert invite(client).status_code == 403
    for name in ("staff_deactivate", "staff_reactivate", "staff_role", "staff_link"):
        assert client.post(reverse(f"call_pages:{name}", args=[manager.pk]), {"role": "advisor"}).status_code == 403
    assert not User.objects.filter(email="riley@ottos.example").exists()
    assert User.objects.get(pk=manager.pk).is_active


def test_visitors_are_sent_to_sign_in():
    response = Client().get(STAFF)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_a_manager_sees_every_login_with_role_state_and_last_sign_in(signed_in, manager, service_advisor):
    service_advisor.first_name, service_advisor.last_name = "Avery", "Advisor"
    service_advisor.save()
    client = signed_in(manager)
    page = client.get(STAFF).content.decode()
    row = re.search(r'<tr data-username="avery.advisor".*?</tr>', page, re.S).group(0)
    for text in ("Avery Advisor", "avery.advisor@ottos.example", "Service advisor", "Yes", "Never"):
        assert text in row
    mine = re.search(r'<tr data-username="morgan.manager".*?</tr>', page, re.S).group(0)
    assert "Manager" in mine and "You" in mine and "Deactivate" not in mine
    assert '<a href="/calls/staff/" aria-current="page">Staff</a>' in page


def test_the_nav_links_the_staff_page_for_managers_only(signed_in, manager, service_advisor):
    assert 'href="/calls/staff/"' in signed_in(manager).get(reverse("call_pages:dashboard")).content.decode()
    assert 'href="/calls/staff/"' not in signed_in(service_advisor).get(reverse("home")).content.decode()


def test_the_page_takes_a_few_queries_however_many_logins(signed_in, manager, django_assert_max_num_queries):
    client = signed_in(manager)
    for n in range(20):
        staff.create_staff(f"person{n}", role="advisor" if n % 2 else "manager", by=manager)
    with django_assert_max_num_queries(7):  # session, user, roles, logins, their groups, callbacks count
        assert client.get(STAFF).status_code == 200


# --- inviting --------------------------------------------------------------------------------


def test_an_invitation_makes_a_login_without_a_password_in_the_roles_group(signed_in, manager, caplog):
    caplog.set_level(logging.INFO, logger="crm.staff")
    response = invite(signed_in(manager), name="Riley  Chen", role="advisor")
    assert response.status_code == 302 and response["Location"] == STAFF
    user = User.objects.get(email="riley@ottos.example")
    assert user.username == "riley.chen" and (user.first_name, user.last_name) == ("Riley", "Chen")
    assert user.is_staff and user.is_active and not user.is_superuser
    assert not user.has_usable_password()
    assert roles(user) == ["Service advisors"]
    assert "morgan.manager created the login riley.chen as advisor" in caplog.text
    assert "riley@ottos.example" not in caplog.text


def test_a_manager_invitation_gives_the_managers_group(signed_in, manager):
    invite(signed_in(manager), name="Jo Park", email="jo@ottos.example", role="manager")
    assert roles(User.objects.get(username="jo.park")) == ["Managers"]


def test_the_link_is_mailed_and_shown_once_to_the_manager(signed_in, manager):
    client = signed_in(manager)
    invite(client)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["riley@ottos.example"] and "riley.chen" in message.body
    mailed = LINK.search(message.body).group(0)
    page = client.get(STAFF).content.decode()
    assert mailed in page and "The link was e-mailed to them." in page
    assert mailed not in client.get(STAFF).content.decode(), "shown once"


def test_the_link_is_shown_even_when_the_mail_fails(signed_in, manager, monkeypatch):
    def mail_server_down(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("crm.staff.send_mail", mail_server_down)
    client = signed_in(manager)
    invite(client)
    page = client.get(STAFF).content.decode()
    assert LINK.search(page) and "No e-mail went out" in page
    assert User.objects.get(username="riley.chen").is_active


def test_the_link_lets_them_choose_a_password_once_and_sign_in(signed_in, manager):
    client = signed_in(manager)
    invite(client)
    link = link_on_page(client)
    newcomer = Client()
    first = newcomer.get(link)
    assert first.status_code == 302  # Django moves the token out of the address bar
    form = newcomer.get(first["Location"])
    assert form.status_code == 200 and "riley.chen" in form.content.decode()
    done = newcomer.post(first["Location"], {"new_password1": STRONG, "new_password2": STRONG})
    assert done.status_code == 302 and done["Location"] == reverse("admin:login") + "?next=/"
    assert "Your password is set" in newcomer.get(done["Location"]).content.decode()
    assert newcomer.login(username="riley.chen", password=STRONG)
    assert newcomer.get(reverse("home")).status_code == 200
    assert newcomer.get(reverse("call_pages:callbacks")).status_code == 200  # an advisor now
    assert newcomer.get(STAFF).status_code == 403

    used = Client().get(link, follow=True).content.decode()
    assert "This link no longer works" in used


def test_a_weak_password_is_refused_on_the_set_password_form(signed_in, manager):
    client = signed_in(manager)
    invite(client)
    newcomer = Client()
    form_url = newcomer.get(link_on_page(client))["Location"]
    response = newcomer.post(form_url, {"new_password1": "password", "new_password2": "password"})
    assert response.status_code == 200 and "too common" in response.content.decode()
    assert not User.objects.get(username="riley.chen").has_usable_password()


def test_a_deactivated_invitees_link_stops_working(signed_in, manager):
    client = signed_in(manager)
    invite(client)
    link = link_on_page(client)
    User.objects.filter(username="riley.chen").update(is_active=False)
    assert "This link no longer works" in Client().get(link, follow=True).content.decode()


def test_a_new_link_can_be_sent_while_the_invitation_is_pending(signed_in, manager):
    client = signed_in(manager)
    invite(client)
    riley = User.objects.get(username="riley.chen")
    client.get(STAFF)  # the first link shown
    assert client.post(reverse("call_pages:staff_link", args=[riley.pk])).status_code == 302
    assert LINK.search(client.get(STAFF).content.decode()) and len(mail.outbox) == 2


def test_a_taken_address_or_a_bad_form_is_refused_with_the_reason(signed_in, manager, service_advisor):
    client = signed_in(manager)
    response = invite(client, name="Avery Again", email="AVERY.ADVISOR@ottos.example")
    assert response.status_code == 400
    assert "already belongs to the login &#x27;avery.advisor&#x27;" in response.content.decode()
    response = invite(client, name="", email="not-an-address")
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    assert User.objects.count() == 2 and not mail.outbox


def test_a_second_person_with_the_same_name_gets_the_next_username(signed_in, manager):
    client = signed_in(manager)
    invite(client)
    invite(client, email="riley.two@ottos.example")
    assert User.objects.get(email="riley.two@ottos.example").username == "riley.chen2"


# --- changing a login ------------------------------------------------------------------------


def post(client, name, user, **data):
    return client.post(reverse(f"call_pages:{name}", args=[user.pk]), data, follow=True).content.decode()


def test_deactivate_and_reactivate(signed_in, manager, service_advisor, caplog):
    caplog.set_level(logging.INFO, logger="crm.staff")
    client = signed_in(manager)
    advisor_client = signed_in(service_advisor)
    assert "avery.advisor can no longer sign in." in post(client, "staff_deactivate", service_advisor)
    service_advisor.refresh_from_db()
    assert not service_advisor.is_active
    assert advisor_client.get(reverse("call_pages:callbacks")).status_code == 302, "their session is over"
    assert "avery.advisor can sign in again." in post(client, "staff_reactivate", service_advisor)
    service_advisor.refresh_from_db()
    assert service_advisor.is_active
    assert "morgan.manager deactivated avery.advisor" in caplog.text
    assert "morgan.manager reactivated avery.advisor" in caplog.text


def test_nobody_deactivates_themselves(signed_in, manager):
    staff.create_staff("jo.park", role="manager")
    page = post(signed_in(manager), "staff_deactivate", manager)
    assert "Not changed: You cannot deactivate yourself: ask another manager." in page
    manager.refresh_from_db()
    assert manager.is_active


def test_the_last_active_manager_stays(manager):
    other = staff.create_staff("jo.park", role="manager")
    staff.deactivate_staff(other, by=manager)
    with pytest.raises(staff.StaffRefused, match="needs an active manager"):
        staff.deactivate_staff(manager, by=other)  # `other` is inactive: it would sign in no more
    with pytest.raises(staff.StaffRefused, match="needs an active manager"):
        staff.change_role(manager, "advisor", by=None)
    manager.refresh_from_db()
    assert manager.is_active and roles(manager) == ["Managers"]


def test_a_manager_is_deactivated_while_another_remains(signed_in, manager):
    other = staff.create_staff("jo.park", role="manager")
    assert "jo.park can no longer sign in." in post(signed_in(manager), "staff_deactivate", other)


def test_the_role_changes_from_the_page(signed_in, manager, service_advisor, caplog):
    caplog.set_level(logging.INFO, logger="crm.staff")
    client = signed_in(manager)
    assert "avery.advisor is now a manager." in post(client, "staff_role", service_advisor, role="manager")
    assert roles(service_advisor) == ["Managers"]
    assert "avery.advisor is now a service advisor." in post(client, "staff_role", service_advisor, role="advisor")
    assert roles(service_advisor) == ["Service advisors"]
    assert "You cannot change the role of yourself" in post(client, "staff_role", manager, role="advisor")
    assert "Choose a role" in post(client, "staff_role", service_advisor, role="owner")
    assert "morgan.manager made avery.advisor a manager" in caplog.text


def test_superusers_are_left_to_the_admin(signed_in, manager):
    root = User.objects.create_superuser("root", "root@ottos.example", STRONG)
    assert "Superusers are changed in the admin" in post(signed_in(manager), "staff_deactivate", root)
    root.refresh_from_db()
    assert root.is_active


def test_the_create_staff_command_goes_through_the_same_actions(caplog):
    from io import StringIO

    from django.core.management import call_command

    caplog.set_level(logging.INFO, logger="crm.staff")
    call_command("create_staff", "sam", "--role", "advisor", "--password", STRONG, stdout=StringIO())
    assert "manage.py created the login sam as advisor" in caplog.text
    call_command("create_staff", "kim", "--role", "manager", "--password", STRONG, stdout=StringIO())
    from django.core.management import CommandError

    kim = User.objects.get(username="kim")
    with pytest.raises(CommandError, match="needs an active manager"):
        call_command("create_staff", "kim", "--role", "advisor", "--update", stdout=StringIO())
    assert roles(kim) == ["Managers"]
