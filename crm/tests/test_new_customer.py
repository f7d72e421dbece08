"""A caller not on file is put on file under their number, once; an email is kept only if it is one."""

import pytest
from django.core.cache import cache

from crm.actions import find_customer_by_phone, get_or_create_customer
from crm.models import Customer


@pytest.fixture(autouse=True)
def empty_cache():
    # The caller-ID cache is a real Redis shared by the whole run; rolled-back rows must not leak.
    cache.clear()
    yield
    cache.clear()


def test_a_new_caller_is_put_on_file_with_name_and_email(db):
    customer, created = get_or_create_customer(phone="(773) 555-0162", name=" Priya Raman ", email="priya@example.com")

    assert created
    saved = Customer.objects.get()
    assert (saved.pk, saved.phone, saved.name, saved.email) == (
        customer.pk,
        "+17735550162",
        "Priya Raman",
        "priya@example.com",
    )
    assert find_customer_by_phone("773-555-0162") == saved


def test_a_misheard_email_is_dropped_and_the_caller_still_put_on_file(db):
    customer, created = get_or_create_customer(phone="(773) 555-0162", name="Priya Raman", email="priya at example")

    assert created and customer.email == ""
    saved = Customer.objects.get()
    assert (saved.name, saved.email) == ("Priya Raman", "")


def test_a_caller_already_on_file_is_returned_unchanged(customer):
    found, created = get_or_create_customer(phone="312.555.0147", name="Someone Else", email="else@example.com")

    assert (found, created) == (customer, False)
    customer.refresh_from_db()
    assert (customer.name, customer.email) == ("Dana Whitfield", "dana@example.com")
    assert Customer.objects.count() == 1


def test_without_an_email_none_is_stored(db):
    customer, created = get_or_create_customer(phone="+17735550162", name="Priya Raman")

    assert created and Customer.objects.get(pk=customer.pk).email == ""
