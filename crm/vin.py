"""Vehicle identification numbers: offline validation (49 CFR 565 check digit, ISO 3779)."""

import re

from django.core.exceptions import ValidationError

_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_SEPARATORS = re.compile(r"[\s\-]+")


def check_digit(vin):
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS))
    r = total % 11
    return "X" if r == 10 else str(r)


def normalize_vin(raw):
    """Return the VIN upper-cased without spaces or dashes, or raise ValidationError."""
    vin = _SEPARATORS.sub("", raw or "").upper()
    if not vin:
        raise ValidationError("Enter a VIN.", code="vin_empty")
    if len(vin) != 17:
        raise ValidationError(f"A VIN has 17 characters; this one has {len(vin)}.", code="vin_length")
    bad = sorted({c for c in vin if c not in _TRANSLITERATION})
    if bad:
        hint = " (I, O and Q never appear in a VIN; they are usually 1, 0 and 0)" if set(bad) & set("IOQ") else ""
        raise ValidationError(f"A VIN cannot contain {', '.join(bad)}{hint}.", code="vin_characters")
    expected = check_digit(vin)
    if vin[8] != expected:
        raise ValidationError(
            f"VIN check digit is wrong (position 9 is {vin[8]}, expected {expected}); "
            "a character was probably misread.",
            code="vin_check_digit",
        )
    if vin[9] in "UZ0":
        raise ValidationError(f"Position 10 of a VIN (model year) cannot be {vin[9]}.", code="vin_model_year")
    return vin


def validate_vin(value):
    """Model-field validator."""
    if value:
        normalize_vin(value)
