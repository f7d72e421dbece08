"""manage.py ensure_demo_login: the local demo always has a login that works, and says it."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def ensure():
    out = StringIO()
    call_command("ensure_demo_login", stdout=out)
    match = re.fullmatch(r"Log in at http://localhost:8000/admin/ as admin / (\S+)\n", out.getvalue())
    assert match, out.getvalue()
    return match[1]


def test_it_creates_a_superuser_in_both_groups_with_a_kept_password(db, data_dir):
    password = ensure()
    assert (data_dir / "admin_password").read_text().strip() == password
    assert (data_dir / "admin_password").stat().st_mode & 0o777 == 0o600
    admin = authenticate(username="admin", password=password)
    assert admin is not None and admin.is_staff and admin.is_superuser
    assert sorted(admin.groups.values_list("name", flat=True)) == ["Managers", "Service advisors"]


def test_running_it_again_reuses_the_password(db, data_dir):
    assert ensure() == ensure()
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_a_password_file_from_an_earlier_setup_is_used(db, data_dir):
    (data_dir / "admin_password").write_text("kept-from-last-time\n")
    assert ensure() == "kept-from-last-time"
    assert authenticate(username="admin", password="kept-from-last-time") is not None


def test_the_printed_password_works_even_after_it_was_changed(db, data_dir):
    password = ensure()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("something-else")
    admin.save()
    assert ensure() == password
    assert authenticate(username="admin", password=password) is not None


def test_the_printed_login_opens_the_back_office(db, data_dir, client):
    password = ensure()
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
