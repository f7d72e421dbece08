"""Customer name search in the back office on real PostgreSQL, with and without the trigram index.

Usage (a throwaway PostgreSQL and Redis, started and stopped for the run):
    scripts/with_services.sh .venv/bin/python benchmarks/customer_search.py
or against servers you already have (the database is migrated and filled if it lacks data):
    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python benchmarks/customer_search.py
Options: --customers N (default 100000), --runs N per search (default 40).

It runs seed_demo --customers N, then asks the customer list (/admin/crm/customer/?q=...) and
the customer autocomplete of the booking form the way an advisor does, in-process through
Django's test client, and prints p50/p99 of the SQL time and of the whole page, first with
the trigram index (crm migration 0003) and then with it dropped inside a transaction that is
rolled back (the table as it was before).
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ottos.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")

INDEX = "crm_customer_name_trgm"
# (what an advisor types, where): rare and partial names, a common surname, first and last
# name, a name nobody has, and two letters (too short for trigrams).
SEARCHES = [
    ("whitfield", "list"),
    ("whitf", "list"),
    ("dana whit", "list"),
    ("kowalski", "list"),
    ("jamal kowalski", "list"),
    ("zyxwv", "list"),
    ("li", "list"),
    ("whitf", "autocomplete"),
    ("kowalski", "autocomplete"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL (postgres://...), or run it through scripts/with_services.sh")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client's "testserver" host in
    call_command("migrate", verbosity=0)
    print(f"seed_demo --customers {args.customers} ...", file=sys.stderr)
    call_command("seed_demo", customers=args.customers, verbosity=0, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_customer")
    client = signed_in_client()

    rows = []
    if index_exists():
        rows += measure(client, args.runs, "trigram index")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")
        rows += measure(client, args.runs, "no index")
        transaction.set_rollback(True)
    print_table(rows)


def signed_in_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="benchmark-manager", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def index_exists():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [INDEX])
        return cursor.fetchone() is not None


def url_for(term, where):
    from urllib.parse import urlencode

    if where == "list":
        return "/admin/crm/customer/?" + urlencode({"q": term})
    query = {"app_label": "scheduling", "model_name": "appointment", "field_name": "customer", "term": term}
    return "/admin/autocomplete/?" + urlencode(query)


def measure(client, runs, label):
    from django.db import connection

    rows = []
    for term, where in SEARCHES:
        url = url_for(term, where)
        sql_ms = []

        def timed_sql(execute, sql, params, many, context):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                sql_ms[-1] += (time.perf_counter() - began) * 1000

        pages = []
        with connection.execute_wrapper(timed_sql):
            for run in range(runs + 3):
                sql_ms.append(0.0)
                began = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, (url, response.status_code)
                if run >= 3:  # the first requests warm caches and connections
                    pages.append(elapsed)
        found = found_count(response, where)
        rows.append((label, f"{where} '{term}'", found, sql_ms[3:], pages))
    return rows


def found_count(response, where):
    if where == "list":
        return response.context["cl"].result_count
    return len(response.json()["results"])


def print_table(rows):
    from django.db import connection

    from crm.models import Customer

    load = os.getloadavg()[0]
    print(
        f"\nPostgreSQL {connection.pg_version // 10000}, {Customer.objects.count()} customers; "
        f"{os.cpu_count()} CPUs, load average {load:.1f} (figures from a busy machine overstate the tail)\n"
    )
    header = (
        f"{'index':<14} {'search':<28} {'found':>6} {'SQL p50':>8} {'SQL p99':>8} {'page p50':>9} {'page p99':>9}  (ms)"
    )
    print(header)
    print("-" * len(header))
    for label, search, found, sql, pages in rows:
        print(
            f"{label:<14} {search:<28} {found:>6} {statistics.median(sql):>8.2f} {p99(sql):>8.2f} "
            f"{statistics.median(pages):>9.2f} {p99(pages):>9.2f}"
        )


def p99(samples):
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


if __name__ == "__main__":
    main()
