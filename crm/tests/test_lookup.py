"""Finding the caller by phone number: any format, cached, and never stale after a change."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from crm.actions import create_customer, find_customer_by_phone
from crm.models import Customer


@pytest.fixture(autouse=True)
def empty_cache():
    # The cache is a real Redis shared by the whole run; rolled-back rows must not leak between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    "raw", ["+13125550147", "(312) 555-0147", "312.555.0147", "1-312-555-0147", "tel:+13125550147", "+1 312 555 0147"]
)
def test_it_finds_the_customer_whatever_the_format(customer, raw):
    assert find_customer_by_phone(raw) == customer


def test_an_unknown_number_is_nobody(customer):
    assert find_customer_by_phone("(773) 555-0100") is None


def test_something_that_is_not_a_phone_number_is_an_error(db):
    with pytest.raises(ValidationError, match="not a phone number"):
        find_customer_by_phone("call me maybe")


def test_a_second_lookup_needs_no_query(customer, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert find_customer_by_phone("312-555-0147") == customer
    with django_assert_num_queries(0):
        found = find_customer_by_phone("(312) 555 0147")
    assert found == customer and found.name == "Dana Whitfield"


def test_an_unknown_number_is_cached_too(db, django_assert_num_queries):
    find_customer_by_phone("773-555-0100")
    with django_assert_num_queries(0):
        assert find_customer_by_phone("7735550100") is None


def test_a_new_customer_is_found_at_once_after_a_miss(db):
    assert find_customer_by_phone("773-555-0100") is None
    created = create_customer(phone="773-555-0100", name="Rosa Delgado")
    assert find_customer_by_phone("+17735550100") == created


def test_a_change_is_seen_at_once(customer):
    find_customer_by_phone(customer.phone)
    customer.name = "Dana Whitfield-Oyelaran"
    customer.sms_opt_in = False
    customer.save()
    found = find_customer_by_phone(customer.phone)
    assert (found.name, found.sms_opt_in) == ("Dana Whitfield-Oyelaran", False)


def test_a_new_phone_number_moves_the_customer(customer):
    find_customer_by_phone("312-555-0147")
    customer.phone = "+17735550123"
    customer.save()
    assert find_customer_by_phone("312-555-0147") is None
    assert find_customer_by_phone("773-555-0123") == customer


def test_a_changed_phone_is_found_even_when_the_customer_was_loaded_fresh(customer):
    find_customer_by_phone("312-555-0147")
    fresh = Customer.objects.get(pk=customer.pk)
    fresh.phone = "+17735550123"
    fresh.save()
    assert find_customer_by_phone("312-555-0147") is None


def test_a_deleted_customer_is_not_found(customer):
    find_customer_by_phone(customer.phone)
    Customer.objects.get(pk=customer.pk).delete()
    assert find_customer_by_phone(customer.phone) is None
