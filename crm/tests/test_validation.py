import pytest
from django.core.exceptions import ValidationError

from crm.phones import normalize_phone
from crm.vin import normalize_vin


@pytest.mark.parametrize(
    "raw", ["(312) 555-0147", "312.555.0147", "+1 312 555 0147", "1-312-555-0147", "tel:+13125550147", " 3125550147 "]
)
def test_any_reasonable_phone_format_becomes_e164(raw):
    assert normalize_phone(raw) == "+13125550147"


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "Enter a phone number"),
        ("hello", "is not a phone number"),
        ("555-0147", "not a valid phone number"),
        ("+1 312 555 01", "not a valid phone number"),
    ],
)
def test_bad_phone_numbers_are_rejected_with_a_reason(raw, message):
    with pytest.raises(ValidationError, match=message):
        normalize_phone(raw)


@pytest.mark.parametrize("raw", ["1HGCM82633A004352", "1m8gdm9axkp042788", "1HG-CM826 33A004352"])
def test_valid_vins_are_normalized(raw):
    assert len(normalize_vin(raw)) == 17
    assert normalize_vin(raw) == normalize_vin(raw).upper()


@pytest.mark.parametrize(
    "raw, message",
    [
        ("1HGCM82633A00435", "17 characters; this one has 16"),
        ("1HGCM82643A004352", "check digit is wrong"),
        ("1HGCM8263OA004352", "I, O and Q never appear"),
        ("", "Enter a VIN"),
    ],
)
def test_bad_vins_are_rejected_with_a_reason(raw, message):
    with pytest.raises(ValidationError, match=message):
        normalize_vin(raw)
