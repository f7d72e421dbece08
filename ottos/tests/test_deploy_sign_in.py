"""Admin sign-in is throttled: after SIGN_IN_FAILURE_LIMIT wrong passwords for one username from
one address, even the right password is refused there for SIGN_IN_LOCKOUT_MINUTES."""

import re

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.test import Client

from ottos.tests.server_process import server_process

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-right-password-for-avery"
HOME = "203.0.113.7"


@pytest.fixture(autouse=True)
def quick_hashing(settings):
    # dozens of sign-ins here; a server process of its own checks with the real hasher
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture
def avery():
    return User.objects.create_user("avery", "avery@ottos.example", PASSWORD, is_staff=True)


def sign_in(password, *, address=HOME, client=None, **headers):
    client = client or Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "avery", "password": password}, REMOTE_ADDR=address, **headers
    )
    return client, response


def signed_in(client):
    return client.get("/admin/", REMOTE_ADDR=HOME).status_code == 200


def fail_until_locked():
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _, response = sign_in("wrong-password")
    return response


def test_the_limit_and_the_lockout_come_from_the_settings():
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_a_wrong_password_below_the_limit_just_fails(avery):
    client, response = sign_in("wrong-password")
    assert response.status_code == 200 and "Please enter the correct username and password" in response.text
    client, response = sign_in(PASSWORD, client=client)
    assert response.status_code == 302 and signed_in(client)


def test_after_the_limit_even_the_right_password_is_refused_and_the_lockout_is_shown(avery):
    last = fail_until_locked()
    assert last.status_code == 429

    client, response = sign_in(PASSWORD)

    assert response.status_code == 429
    assert "Sign-in locked: too many wrong passwords for avery from this address" in response.text
    assert "Try again in 15 minutes" in response.text
    assert not signed_in(client)


def test_the_lock_is_for_that_address_only(avery):
    fail_until_locked()
    client, response = sign_in(PASSWORD, address="198.51.100.20")
    assert response.status_code == 302 and signed_in(client)


def test_a_forwarded_for_header_sent_by_the_client_does_not_get_round_the_lock(avery):
    # Behind nginx the client's address is REMOTE_ADDR (ottos.serve --proxy-headers sets it from the
    # header nginx writes); a header the client adds itself is not believed.
    fail_until_locked()
    _, response = sign_in(PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20", HTTP_X_REAL_IP="198.51.100.20")
    assert response.status_code == 429


def test_a_right_password_before_the_limit_starts_the_count_again(avery):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in("wrong-password")
    sign_in(PASSWORD)
    _, response = sign_in("wrong-password")
    assert response.status_code == 200


def test_password_checks_without_a_request_are_not_throttled(avery):
    # management commands and `Client.login` authenticate without a request
    assert authenticate(username="avery", password=PASSWORD) == avery
    assert Client().login(username="avery", password=PASSWORD)


def test_behind_nginx_the_lock_follows_the_address_nginx_forwards(transactional_db, tmp_path):
    # The production server with --proxy-headers takes the address from X-Forwarded-For,
    # which nginx overwrites with the client's (deploy/nginx.conf).
    User.objects.create(username="avery", is_staff=True, password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    with server_process(
        tmp_path / "server.log",
        server_options=["--proxy-headers"],
        DATA_DIR=str(tmp_path / "data"),
        SIGN_IN_FAILURE_LIMIT="3",
    ) as url:

        def sign_in_from(address, password):
            # a real password hash per try, while the server loads its voice models: allow time
            with httpx.Client(base_url=url, trust_env=False, headers={"X-Forwarded-For": address}, timeout=60) as http:
                form = http.get("/admin/login/")
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
                return http.post(
                    "/admin/login/?next=/admin/",
                    data={
                        "csrfmiddlewaretoken": token,
                        "username": "avery",
                        "password": password,
                    },
                )

        assert [sign_in_from(HOME, "wrong-password").status_code for _ in range(3)] == [200, 200, 429]
        locked = sign_in_from(HOME, PASSWORD)
        assert locked.status_code == 429 and "Sign-in locked" in locked.text
        elsewhere = sign_in_from("198.51.100.20", PASSWORD)
        assert elsewhere.status_code == 302 and elsewhere.headers["location"] == "/admin/"
