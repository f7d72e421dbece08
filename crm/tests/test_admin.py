"""The back office for customers and vehicles, as advisors and managers use it."""

import pytest
from django.urls import reverse

from crm.models import Customer, Vehicle
from scheduling.tests.vendors import nhtsa, run_tasks  # noqa: F401

VALID_VIN = "1HGCM82633A004352"
OTHER_VALID_VIN = "1M8GDM9AXKP042788"

CUSTOMERS = reverse("admin:crm_customer_changelist")
ADD_CUSTOMER = reverse("admin:crm_customer_add")
VEHICLES = reverse("admin:crm_vehicle_changelist")
ADD_VEHICLE = reverse("admin:crm_vehicle_add")


def customer_form(**overrides):
    data = {
        "name": "Priya Raman",
        "phone": "(773) 555-0162",
        "email": "priya@example.com",
        "notes": "",
        "vehicles-TOTAL_FORMS": "0",
        "vehicles-INITIAL_FORMS": "0",
        "appointments-TOTAL_FORMS": "0",
        "appointments-INITIAL_FORMS": "0",
        "repair_orders-TOTAL_FORMS": "0",
        "repair_orders-INITIAL_FORMS": "0",  # shown on a customer's own page
    }
    data.update(overrides)
    return data


def with_vehicle(data, **vehicle):
    data = dict(data, **{"vehicles-TOTAL_FORMS": "1"})
    for field in ("vin", "year", "make", "model", "trim", "mileage"):
        data[f"vehicles-0-{field}"] = vehicle.get(field, "")
    return data


def errors_of(response):
    return response.context["adminform"].form.errors


@pytest.fixture
def dana_vehicle(customer):
    return Vehicle.objects.create(owner=customer, vin=VALID_VIN, year=2003, make="Honda", model="Accord")


# --- Who may see what ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["service_advisor", "manager"])
def test_advisors_and_managers_can_open_every_customer_page(request, signed_in, persona, customer, dana_vehicle):
    client = signed_in(request.getfixturevalue(persona))
    for url in (
        CUSTOMERS,
        ADD_CUSTOMER,
        reverse("admin:crm_customer_change", args=[customer.pk]),
        VEHICLES,
        ADD_VEHICLE,
        reverse("admin:crm_vehicle_change", args=[dana_vehicle.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Dana Whitfield" in client.get(CUSTOMERS).content.decode()


def test_an_outsider_is_sent_to_the_login_page(signed_in, outsider, customer):
    response = signed_in(outsider).get(CUSTOMERS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_outside_both_groups_cannot_see_customers(signed_in, staff_without_group, customer):
    client = signed_in(staff_without_group)
    assert client.get(CUSTOMERS).status_code == 403
    assert client.get(reverse("admin:crm_customer_change", args=[customer.pk])).status_code == 403
    assert client.post(ADD_CUSTOMER, customer_form()).status_code == 403
    assert not Customer.objects.filter(name="Priya Raman").exists()


def test_advisors_cannot_delete_customers(signed_in, service_advisor, customer):
    response = signed_in(service_advisor).post(
        reverse("admin:crm_customer_delete", args=[customer.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


# --- Finding a customer -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["(312) 555-0147", "312.555.0147", "1-312-555-0147", "+1 312 555 0147"])
def test_search_finds_a_customer_by_phone_in_any_format(signed_in, service_advisor, customer, other_customer, typed):
    response = signed_in(service_advisor).get(CUSTOMERS, {"q": typed})
    assert list(response.context["cl"].result_list) == [customer]


def test_search_finds_a_customer_by_name_email_or_vin(
    signed_in, service_advisor, customer, other_customer, dana_vehicle
):
    client = signed_in(service_advisor)
    for typed in (
        "whitfield",
        "Dana  WHIT",
        "dana@example",
        "0147",
        "555-0147",
        VALID_VIN.lower(),
        "1HG-CM826 33A004352",
    ):
        assert list(client.get(CUSTOMERS, {"q": typed}).context["cl"].result_list) == [customer], typed


def test_autocomplete_finds_the_customer_by_phone_for_a_booking(signed_in, service_advisor, customer, other_customer):
    response = signed_in(service_advisor).get(
        reverse("admin:autocomplete"),
        {"app_label": "scheduling", "model_name": "appointment", "field_name": "customer", "term": "773-555-0199"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(other_customer.pk)]


def test_vehicle_search_finds_by_vin_or_the_owners_phone(
    signed_in, service_advisor, customer, other_customer, dana_vehicle
):
    Vehicle.objects.create(owner=other_customer, vin=OTHER_VALID_VIN, make="Ford", model="Ranger")
    client = signed_in(service_advisor)
    assert list(client.get(VEHICLES, {"q": "(312) 555-0147"}).context["cl"].result_list) == [dana_vehicle]
    assert list(client.get(VEHICLES, {"q": VALID_VIN.lower()}).context["cl"].result_list) == [dana_vehicle]
    assert list(client.get(VEHICLES, {"q": "accord"}).context["cl"].result_list) == [dana_vehicle]


# --- Saving a customer -----------------------------------------------------------------------


def test_a_phone_typed_any_way_is_stored_as_e164(signed_in, service_advisor):
    response = signed_in(service_advisor).post(ADD_CUSTOMER, customer_form(phone="773.555.0162"))
    assert response.status_code == 302
    assert Customer.objects.get(name="Priya Raman").phone == "+17735550162"


@pytest.mark.parametrize(
    "typed, reason",
    [("555-0162", "not a valid phone number (check the area code"), ("call me", "is not a phone number")],
)
def test_a_bad_phone_is_a_form_error_with_the_reason(signed_in, service_advisor, typed, reason):
    response = signed_in(service_advisor).post(ADD_CUSTOMER, customer_form(phone=typed))
    assert response.status_code == 200
    assert reason in errors_of(response)["phone"][0]
    assert reason in response.content.decode().replace("&#x27;", "'")
    assert not Customer.objects.filter(name="Priya Raman").exists()


def test_a_phone_already_on_file_in_another_format_names_its_owner(signed_in, service_advisor, customer):
    response = signed_in(service_advisor).post(ADD_CUSTOMER, customer_form(phone="312 555 0147"))
    assert errors_of(response)["phone"] == ["(312) 555-0147 is already on file for Dana Whitfield."]
    assert Customer.objects.count() == 1


def test_changing_a_customers_phone_normalizes_it(signed_in, service_advisor, customer):
    url = reverse("admin:crm_customer_change", args=[customer.pk])
    data = customer_form(name="Dana Whitfield", phone="+1 (872) 555-0101", email="dana@example.com")
    response = signed_in(service_advisor).post(url, data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.phone == "+18725550101"


def test_a_vehicle_added_inline_has_its_vin_normalized(signed_in, service_advisor):
    data = with_vehicle(customer_form(), vin="1hg-cm826 33a004352", year="2003", make="Honda", model="Accord")
    response = signed_in(service_advisor).post(ADD_CUSTOMER, data)
    assert response.status_code == 302
    assert Customer.objects.get(name="Priya Raman").vehicles.get().vin == VALID_VIN


@pytest.mark.parametrize(
    "vin, reason",
    [
        ("1HGCM82643A004352", "check digit is wrong"),
        ("1HGCM8263OA004352", "I, O and Q never appear"),
        ("1HGCM82633A00435", "17 characters; this one has 16"),
    ],
)
def test_a_bad_vin_inline_is_a_form_error_and_saves_nothing(signed_in, service_advisor, vin, reason):
    response = signed_in(service_advisor).post(ADD_CUSTOMER, with_vehicle(customer_form(), vin=vin, make="Honda"))
    assert response.status_code == 200
    formset_errors = response.context["inline_admin_formsets"][0].formset.errors
    assert reason in formset_errors[0]["vin"][0]
    assert not Customer.objects.exists()
    assert not Vehicle.objects.exists()


def test_a_bad_vin_on_the_vehicle_page_is_a_form_error(signed_in, service_advisor, customer):
    data = {"owner": customer.pk, "vin": "1HGCM82643A004352", "make": "Honda"}
    response = signed_in(service_advisor).post(ADD_VEHICLE, data)
    assert response.status_code == 200
    assert "check digit is wrong" in errors_of(response)["vin"][0]
    assert not Vehicle.objects.exists()


def test_a_vin_already_on_file_is_refused_with_where_it_is(signed_in, service_advisor, other_customer, dana_vehicle):
    response = signed_in(service_advisor).post(ADD_VEHICLE, {"owner": other_customer.pk, "vin": VALID_VIN.lower()})
    assert errors_of(response)["vin"] == [
        f"VIN {VALID_VIN} is already on file: 2003 Honda Accord of {dana_vehicle.owner}."
    ]
    assert Vehicle.objects.count() == 1


def test_a_new_vin_from_the_vehicle_page_is_decoded(
    signed_in, service_advisor, customer, nhtsa, run_tasks, django_capture_on_commit_callbacks
):
    nhtsa.add_vehicle(VALID_VIN, make="HONDA", model="Accord", year=2003, trim="EX")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(service_advisor).post(ADD_VEHICLE, {"owner": customer.pk, "vin": VALID_VIN})

    assert response.status_code == 302
    vehicle = Vehicle.objects.get(vin=VALID_VIN)
    assert (vehicle.year, vehicle.make, vehicle.model, vehicle.decode_source) == (2003, "Honda", "Accord", "vpic")
    assert len(nhtsa.calls("vpic")) == 1


# --- Staying fast -------------------------------------------------------------------------------


def _many_customers(count):
    Customer.objects.bulk_create(Customer(name=f"Customer {n}", phone=f"+1312555{2000 + n:04d}") for n in range(count))


@pytest.mark.parametrize("count", [3, 30])
def test_the_customer_list_needs_the_same_few_queries_however_long(
    signed_in, service_advisor, django_assert_max_num_queries, count
):
    _many_customers(count)
    client = signed_in(service_advisor)
    with django_assert_max_num_queries(
        10
    ):  # 2 of them draw the header's open-callbacks count (the count and the reader's role)
        response = client.get(CUSTOMERS)
    assert len(response.context["cl"].result_list) == count


def test_the_vehicle_list_loads_owners_in_the_same_query(
    signed_in, service_advisor, customer, django_assert_max_num_queries
):
    for n in range(20):
        owner = Customer.objects.create(name=f"Owner {n}", phone=f"+1773555{3000 + n:04d}")
        Vehicle.objects.create(owner=owner, make="Honda", model="Civic")
    client = signed_in(service_advisor)
    with django_assert_max_num_queries(
        10
    ):  # 2 of them draw the header's open-callbacks count (the count and the reader's role)
        response = client.get(VEHICLES)
    assert len(response.context["cl"].result_list) == 20
