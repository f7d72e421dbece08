"""`manage.py create_staff`: a login for a service advisor or a manager that works in the back office."""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

pytestmark = pytest.mark.django_db
STRONG = "torque-wrench-42-ratchet"


def create(*args):
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def can_sign_in(username, password):
    return Client().login(username=username, password=password)


def test_an_advisor_gets_staff_status_the_advisor_group_and_can_use_the_admin():
    output = create("avery", "--role", "advisor", "--email", "avery@ottos.example", "--password", STRONG)
    assert "Created avery as advisor (group 'Service advisors')." in output
    user = User.objects.get(username="avery")
    assert user.is_staff and not user.is_superuser and user.email == "avery@ottos.example"
    assert [g.name for g in user.groups.all()] == ["Service advisors"]
    assert user.has_perm("scheduling.add_appointment") and not user.has_perm("scheduling.add_servicetype")
    client = Client()
    assert client.login(username="avery", password=STRONG)
    assert client.get("/admin/").status_code == 200


def test_a_manager_gets_the_managers_group_and_its_permissions():
    create("morgan", "--role", "manager", "--password", STRONG)
    user = User.objects.get(username="morgan")
    assert [g.name for g in user.groups.all()] == ["Managers"]
    assert user.has_perm("scheduling.change_servicetype")


def test_without_a_terminal_a_strong_password_is_generated_and_shown_once():
    output = create("sam", "--role", "advisor")  # stdin is not a terminal under pytest
    password = re.search(r"Password for sam: (\S+)", output).group(1)
    assert len(password) >= 16
    assert can_sign_in("sam", password)
    other = re.search(r"Password for kim: (\S+)", create("kim", "--role", "advisor", "--generate-password")).group(1)
    assert other != password


def test_a_typed_password_is_asked_twice_and_checked(monkeypatch):
    answers = iter(["short", "short", "mismatch-one-x", "mismatch-two-y", STRONG, STRONG])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    err = io.StringIO()
    call_command("create_staff", "pat", "--role", "manager", stdout=io.StringIO(), stderr=err)
    assert "too short" in err.getvalue() and "differ" in err.getvalue()
    assert can_sign_in("pat", STRONG)


def test_weak_passwords_are_refused():
    with pytest.raises(CommandError, match="too common|too short"):
        create("lee", "--role", "advisor", "--password", "password")
    assert not User.objects.filter(username="lee").exists()


def test_an_existing_login_is_not_overwritten_without_update():
    create("avery", "--role", "advisor", "--password", STRONG)
    with pytest.raises(CommandError, match="already exists .*--update"):
        create("avery", "--role", "manager", "--password", "another-" + STRONG)
    assert can_sign_in("avery", STRONG)


def test_update_moves_a_login_to_the_other_role_keeping_its_password():
    create("avery", "--role", "advisor", "--password", STRONG)
    output = create("avery", "--role", "manager", "--update", "--email", "avery@ottos.example")
    assert "Updated avery as manager" in output and "Password" not in output
    user = User.objects.get(username="avery")
    assert [g.name for g in user.groups.all()] == ["Managers"] and user.email == "avery@ottos.example"
    assert can_sign_in("avery", STRONG)


@pytest.mark.parametrize(
    "args, message",
    [
        (["x", "--role", "owner"], "invalid choice: 'owner'"),
        (["x", "--role", "advisor", "--email", "not-an-address", "--password", STRONG], "not an e-mail address"),
        (["bad name!", "--role", "advisor", "--password", STRONG], "valid username"),
        (["ghost", "--role", "advisor", "--update"], "no login named 'ghost'"),
        (["x", "--role", "advisor", "--password", STRONG, "--generate-password"], "not allowed with argument"),
    ],
)
def test_mistakes_are_refused_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        create(*args)
    assert not User.objects.exists()


def test_missing_groups_point_to_migrate():
    from django.contrib.auth.models import Group

    Group.objects.filter(name="Managers").delete()
    with pytest.raises(CommandError, match="run `manage.py migrate`"):
        create("morgan", "--role", "manager", "--password", STRONG)
