"""A customer's vehicles, for the phone agent: theirs only, whatever id it is asked about."""

from crm.actions import vehicle_of, vehicles_of
from crm.models import Vehicle


def test_it_lists_the_customers_vehicles_only(customer, other_customer):
    civic = Vehicle.objects.create(owner=customer, year=2019, make="Honda", model="Civic")
    accord = Vehicle.objects.create(owner=customer, year=2003, make="Honda", model="Accord")
    Vehicle.objects.create(owner=other_customer, year=2021, make="Ford", model="F-150")

    assert vehicles_of(customer) == [civic, accord]  # newest model year first


def test_a_customer_without_vehicles_has_none(customer):
    assert vehicles_of(customer) == []


def test_it_finds_the_customers_own_vehicle_by_id(customer):
    civic = Vehicle.objects.create(owner=customer, year=2019, make="Honda", model="Civic")
    assert vehicle_of(customer, civic.pk) == civic
    assert vehicle_of(customer, str(civic.pk)) == civic


def test_another_customers_vehicle_is_never_returned(customer, other_customer):
    pickup = Vehicle.objects.create(owner=other_customer, year=2021, make="Ford", model="F-150")
    assert vehicle_of(customer, pickup.pk) is None
    assert vehicle_of(other_customer, pickup.pk) == pickup


def test_an_id_that_is_no_vehicle_is_none(customer):
    civic = Vehicle.objects.create(owner=customer, year=2019, make="Honda", model="Civic")
    for not_a_vehicle in (civic.pk + 1000, None, "civic"):
        assert vehicle_of(customer, not_a_vehicle) is None
