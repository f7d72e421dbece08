"""The NHTSA fake answers as vPIC and the recalls API do: 200 with ErrorCode for undecodable VINs,
every vPIC value a string, lowercase `results` for recalls, and stalls/outages on demand."""

import httpx
import pytest

from fakes.nhtsa import FakeNhtsa


@pytest.fixture
def fake():
    with FakeNhtsa() as server:
        yield server


def test_a_known_vin_decodes_clean(fake):
    fake.add_vehicle("2HGFC2F56KH512345", make="HONDA", model="Civic", year=2019, trim="LX")

    body = httpx.get(
        f"{fake.vpic_base_url}/vehicles/DecodeVinValues/2HGFC2F56KH512345", params={"format": "json"}
    ).json()

    [values] = body["Results"]
    assert (values["Make"], values["Model"], values["ModelYear"], values["ErrorCode"]) == (
        "HONDA",
        "Civic",
        "2019",
        "0",
    )
    assert all(isinstance(v, str) for v in values.values())
    assert body["SearchCriteria"] == "VIN(s): 2HGFC2F56KH512345"


def test_an_unknown_vin_is_200_with_an_error_code(fake):
    response = httpx.get(f"{fake.vpic_base_url}/vehicles/DecodeVinValues/1FTFW1E53MFA00001", params={"format": "json"})
    values = response.json()["Results"][0]
    assert response.status_code == 200 and values["ErrorCode"] == "7" and values["Make"] == ""


def test_recalls_by_make_model_and_year(fake):
    fake.add_recall("HONDA", "Civic", 2019, campaign="19V182000", component="AIR BAGS")

    body = httpx.get(
        f"{fake.recalls_base_url}/recalls/recallsByVehicle",
        params={"make": "honda", "model": "civic", "modelYear": "2019"},
    ).json()
    empty = httpx.get(
        f"{fake.recalls_base_url}/recalls/recallsByVehicle",
        params={"make": "honda", "model": "civic", "modelYear": "2020"},
    ).json()

    assert body["Count"] == 1 and body["results"][0]["NHTSACampaignNumber"] == "19V182000"
    assert empty == {"Count": 0, "Message": "Results returned successfully", "results": []}


def test_stalls_and_outages(fake):
    fake.stall_s = 1.0
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{fake.vpic_base_url}/vehicles/DecodeVinValues/2HGFC2F56KH512345", timeout=0.2)
    fake.stall_s = 0
    fake.outage = 503
    assert httpx.get(f"{fake.recalls_base_url}/recalls/recallsByVehicle").status_code == 503
