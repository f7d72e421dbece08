"""The owners' pages (hours and services, FAQ entries, settings) cost the same few queries
however many services, closures and entries the shop has."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Closure, FaqAnswer, ServiceType

pytestmark = pytest.mark.django_db


def grow_the_shop(n, start=0):
    today = timezone.localdate()
    ServiceType.objects.bulk_create(
        ServiceType(name=f"Service {i}", duration_minutes=30 + i, price_low=Decimal(50 + i), price_high=Decimal(90 + i))
        for i in range(start, start + n)
    )
    Closure.objects.bulk_create(
        Closure(start_date=today + timedelta(days=10 + i), end_date=today + timedelta(days=10 + i), reason=f"Day {i}")
        for i in range(start, start + n)
    )
    FaqAnswer.objects.bulk_create(
        FaqAnswer(question=f"Do you do thing {i}?", answer=f"Yes, thing {i}.", approved=bool(i % 2))
        for i in range(start, start + n)
    )


def queries_for(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["call_pages:shop", "call_pages:faq", "call_pages:settings"])
def test_an_owners_page_costs_the_same_queries_for_3_rows_or_40(
    page, signed_in, manager, django_assert_max_num_queries, shop_zone_cached
):
    client = signed_in(manager)
    url = reverse(page)
    grow_the_shop(3)
    few = queries_for(client, url, django_assert_max_num_queries, 20)
    grow_the_shop(40, start=3)
    assert queries_for(client, url, django_assert_max_num_queries, 20) <= few  # no query per row
