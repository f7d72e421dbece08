"""Finding a customer by a piece of their name: answered from the trigram index on PostgreSQL,
and the embedded default (SQLite, no such index) still migrates and searches."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Customer

CUSTOMERS = reverse("admin:crm_customer_changelist")
INDEX = "crm_customer_name_trgm"


def names_found(client, typed):
    return sorted(c.name for c in client.get(CUSTOMERS, {"q": typed}).context["cl"].result_list)


def autocomplete(client, typed):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "scheduling", "model_name": "appointment", "field_name": "customer", "term": typed},
    )
    assert response.status_code == 200
    return sorted(r["text"] for r in response.json()["results"])


@pytest.fixture
def regulars(db):
    people = [
        ("Dana Whitfield", "+13125550147"),
        ("Marcus Oyelaran", "+17735550199"),
        ("Lena Kowalski", "+17735550133"),
        ("Jamal Kowalczyk", "+13125550168"),
        ("Rosa Whitaker", "+18725550110"),
    ]
    return [Customer.objects.create(name=name, phone=phone) for name, phone in people]


@pytest.mark.parametrize(
    "typed, found",
    [
        ("whitf", ["Dana Whitfield"]),
        ("WHIT", ["Dana Whitfield", "Rosa Whitaker"]),
        ("kowal", ["Jamal Kowalczyk", "Lena Kowalski"]),
        ("jamal kowal", ["Jamal Kowalczyk"]),  # every word must match
        ("lena whit", []),
        ("yelar", ["Marcus Oyelaran"]),
        ("zyxwv", []),
    ],
)
def test_the_list_finds_customers_by_part_of_their_name(signed_in, service_advisor, regulars, typed, found):
    assert names_found(signed_in(service_advisor), typed) == found


def test_the_booking_forms_customer_picker_finds_them_the_same_way(signed_in, service_advisor, regulars):
    client = signed_in(service_advisor)
    assert autocomplete(client, "kowal") == ["Jamal Kowalczyk ((312) 555-0168)", "Lena Kowalski ((773) 555-0133)"]
    assert autocomplete(client, "whitfield") == ["Dana Whitfield ((312) 555-0147)"]


def test_a_name_search_needs_the_same_few_queries_however_many_match(
    signed_in, service_advisor, django_assert_max_num_queries
):
    client = signed_in(service_advisor)
    Customer.objects.bulk_create(Customer(name=f"Pat Kowalski {n}", phone=f"+1312555{3000 + n:04d}") for n in range(3))
    client.get(CUSTOMERS, {"q": "kowalski"})  # the session and the shop settings are loaded once
    with CaptureQueriesContext(connection) as few:
        assert len(names_found(client, "kowalski")) == 3
    Customer.objects.bulk_create(
        Customer(name=f"Pat Kowalski {n}", phone=f"+1312555{3000 + n:04d}") for n in range(3, 120)
    )
    with django_assert_max_num_queries(len(few)):
        response = client.get(CUSTOMERS, {"q": "kowalski"})
    assert response.context["cl"].result_count == 120 and len(response.context["cl"].result_list) == 50
    assert len(few) <= 10  # 2 of them draw the header's open-callbacks count (the count and the reader's role)


def test_postgresql_can_answer_a_name_search_from_the_trigram_index(signed_in, service_advisor, regulars):
    # The planner scans a table this small, so table and plain index scans are priced out:
    # what is left is a bitmap scan, on the trigram index if it serves the admin's query.
    client = signed_in(service_advisor)
    searched = client.get(CUSTOMERS, {"q": "kowal"}).context["cl"].queryset
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = searched.explain()
    assert f"Bitmap Index Scan on {INDEX}" in plan, plan


def test_the_embedded_default_migrates_on_sqlite_without_the_index(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "migrate", "--noinput", "-v0"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(tmp_path / "ottos.sqlite3") as db:
        applied = db.execute("SELECT name FROM django_migrations WHERE app = 'crm'").fetchall()
        indexes = db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'crm_customer'")
        assert ("0003_customer_name_trigram_index",) in applied
        assert INDEX not in {name for (name,) in indexes}
