"""NHTSA: vPIC VIN decoding, recalls by make/model/year, and the offline decode (vininfo).

The one place Otto's talks to NHTSA. Knows nothing of models; answers are cached (a VIN's
decode never changes; a model year's recalls change slowly). Errors say whether to retry:
`NhtsaUnavailable` (timeout, connection, 429/5xx) is worth retrying, `NhtsaError` is not.
"""

import logging
from dataclasses import asdict, dataclass, field

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from vininfo import Vin

log = logging.getLogger(__name__)

DECODE_CACHE_SECONDS = 30 * 24 * 3600
RECALLS_CACHE_SECONDS = 24 * 3600
# vPIC ErrorCode values after which Make/Model can still be trusted (0 clean, 8 sparse data,
# 14 some positions undecoded). Others mean the VIN itself is doubtful.
_TRUSTED_CODES = {"0", "8", "14"}


class NhtsaError(Exception):
    """NHTSA answered, but not with something usable: retrying will not help."""


class NhtsaUnavailable(NhtsaError):
    """NHTSA could not be reached or is overloaded: try again later."""


@dataclass(frozen=True)
class VinDecode:
    vin: str
    source: str  # "vpic" or "offline"
    year: int | None = None
    make: str = ""
    model: str = ""
    trim: str = ""
    details: dict = field(default_factory=dict)

    def as_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class Recall:
    campaign: str
    component: str
    summary: str
    consequence: str
    remedy: str
    reported: str  # as NHTSA gives it (dd/mm/yyyy)
    park_it: bool = False

    def as_dict(self):
        return asdict(self)


def _get_json(url, params):
    try:
        response = httpx.get(url, params=params, timeout=settings.NHTSA_TIMEOUT_SECONDS)
    except httpx.TimeoutException as exc:
        raise NhtsaUnavailable(f"NHTSA did not answer within {settings.NHTSA_TIMEOUT_SECONDS:g} s") from exc
    except httpx.TransportError as exc:
        raise NhtsaUnavailable(f"NHTSA could not be reached: {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise NhtsaUnavailable(f"NHTSA answered {response.status_code}")
    if response.status_code != 200:
        raise NhtsaError(f"NHTSA answered {response.status_code}: {response.text[:200]}")
    try:
        return response.json()
    except ValueError as exc:
        raise NhtsaUnavailable("NHTSA answered with something that is not JSON") from exc


def _year(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def decode_vin(vin):
    """Year, make, model and trim for a (valid, normalized) VIN from vPIC `DecodeVinValues`."""
    key = f"nhtsa:vpic:{settings.NHTSA_VPIC_BASE_URL}:{vin}"
    cached = cache.get(key)
    if cached is not None:
        return VinDecode(**cached)
    body = _get_json(f"{settings.NHTSA_VPIC_BASE_URL}/vehicles/DecodeVinValues/{vin}", {"format": "json"})
    results = body.get("Results") or []
    if not results:
        raise NhtsaError("vPIC returned no result for this VIN")
    values = results[0]
    codes = {code.strip() for code in str(values.get("ErrorCode", "")).split(",") if code.strip()}
    make = (values.get("Make") or "").strip()
    if not make or not codes <= _TRUSTED_CODES:
        raise NhtsaError(f"vPIC could not decode this VIN: {values.get('ErrorText') or 'no make returned'}")
    decoded = VinDecode(
        vin=vin,
        source="vpic",
        year=_year(values.get("ModelYear")),
        make=make.title() if make.isupper() and len(make) > 3 else make,
        model=(values.get("Model") or "").strip(),
        trim=(values.get("Trim") or "").strip(),
        details={
            k: values.get(k, "")
            for k in ("Manufacturer", "BodyClass", "VehicleType", "ErrorCode", "ErrorText")
            if values.get(k)
        },
    )
    cache.set(key, decoded.as_dict(), DECODE_CACHE_SECONDS)
    return decoded


def decode_vin_offline(vin, *, today=None):
    """Manufacturer and model year from the VIN alone (vininfo); never touches the network."""
    info = Vin(vin)
    manufacturer = info.manufacturer
    if not isinstance(manufacturer, str) or manufacturer == "UnsupportedBrand":
        manufacturer = ""
    latest = (today or timezone.localdate()).year + 1  # the shop's today in tasks and commands
    years = [y for y in info.years if y <= latest]
    if len(years) > 1:
        # 49 CFR 565: for cars and light trucks a letter in position 7 means the 2010-2039 cycle.
        newer = vin[6].isalpha()
        years = [y for y in years if (y >= 2010) == newer] or years
    return VinDecode(
        vin=vin,
        source="offline",
        year=max(years) if years else None,
        make=manufacturer,
        details={"country": str(info.country or ""), "wmi": info.wmi},
    )


def recalls_for(make, model, year):
    """Recall campaigns NHTSA lists for a make, model and model year (not a specific VIN)."""
    key = f"nhtsa:recalls:{settings.NHTSA_RECALLS_BASE_URL}:{make.lower()}|{model.lower()}|{year}"
    cached = cache.get(key)
    if cached is not None:
        return [Recall(**r) for r in cached]
    body = _get_json(
        f"{settings.NHTSA_RECALLS_BASE_URL}/recalls/recallsByVehicle",
        {"make": make, "model": model, "modelYear": str(year)},
    )
    rows = body.get("results", body.get("Results"))
    if rows is None:
        raise NhtsaError(f"NHTSA recalls answer has no results: {body.get('Message', '')}")
    recalls = [
        Recall(
            campaign=row.get("NHTSACampaignNumber", ""),
            component=row.get("Component", ""),
            summary=row.get("Summary", ""),
            consequence=row.get("Consequence", ""),
            remedy=row.get("Remedy", ""),
            reported=row.get("ReportReceivedDate", ""),
            park_it=bool(row.get("parkIt", False)),
        )
        for row in rows
    ]
    cache.set(key, [r.as_dict() for r in recalls], RECALLS_CACHE_SECONDS)
    return recalls
