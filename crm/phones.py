"""Phone numbers: everything the shop stores is E.164 (+13125550147)."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_phone(raw, region=None):
    """Return `raw` as E.164, or raise ValidationError saying what is wrong with it.

    Accepts what people type or caller ID gives: "(312) 555-0147", "312.555.0147",
    "+1 312 555 0147", "1-312-555-0147", "tel:+13125550147".
    """
    text = (raw or "").strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    if not text:
        raise ValidationError("Enter a phone number.", code="phone_empty")
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{raw!r} is not a phone number.", code="phone_unparseable") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"{raw!r} is not a valid phone number (check the area code and the number of digits).",
            code="phone_invalid",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text):
    """True if `text` reads as a valid phone number (used by admin search)."""
    try:
        normalize_phone(text)
    except ValidationError:
        return False
    return True


def display_phone(e164):
    """A friendly national rendering for people: (312) 555-0147."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL
    if phonenumbers.region_code_for_number(number) != settings.PHONE_REGION:
        fmt = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
