"""A loopback NHTSA: vPIC `DecodeVinValues` and recalls `recallsByVehicle` (protocols.md 6).

    with FakeNhtsa() as fake:
        fake.add_vehicle("2HGFC2F56KH512345", make="HONDA", model="Civic", year=2019, trim="LX")
        fake.add_recall("HONDA", "Civic", 2019, campaign="19V182000", component="AIR BAGS")
        fake.stall_s = 10      # every answer is this late (the client's timeout fires)
        fake.outage = 503      # every answer is this status until None
        settings: NHTSA_VPIC_BASE_URL = fake.vpic_base_url, NHTSA_RECALLS_BASE_URL = fake.recalls_base_url

vPIC answers 200 even for VINs it cannot decode and says so in ErrorCode/ErrorText, with
every value a string and missing data "" (as the real service does).
"""

import asyncio
import threading
import time
from collections import deque

from aiohttp import web

from fakes.server import LoopbackFake

_CLEAN = "0 - VIN decoded clean. Check Digit (9th position) is correct"
_UNKNOWN = (
    "7",
    "7 - Manufacturer is not registered with NHTSA for sale or importation in the U.S. "
    "for use on U.S roads; Please contact the manufacturer directly for more information.",
)
# A few of the ~140 keys vPIC returns; the rest are there too, empty.
_OTHER_KEYS = (
    "BodyClass",
    "VehicleType",
    "DisplacementL",
    "EngineCylinders",
    "FuelTypePrimary",
    "DriveType",
    "Manufacturer",
    "MakeID",
    "ModelID",
    "Series",
    "Doors",
    "PlantCountry",
    "AdditionalErrorText",
    "SuggestedVIN",
    "PossibleValues",
    "ErrorCode",
    "ErrorText",
)


class FakeNhtsa(LoopbackFake):
    def __init__(self):
        self.vehicles = {}  # VIN -> vPIC values
        self.recalls = {}  # (MAKE, MODEL, year) -> list of recall rows
        self.stall_s = 0.0
        self.outage = None
        self.requests = []
        self._faults = deque()
        self._lock = threading.Lock()
        self._server = None

    @property
    def vpic_base_url(self):
        return f"{self._server.base_url}/api"

    @property
    def recalls_base_url(self):
        return self._server.base_url

    def add_vehicle(
        self,
        vin,
        *,
        make,
        model,
        year,
        trim="",
        body_class="Sedan/Saloon",
        vehicle_type="PASSENGER CAR",
        error_code="0",
        error_text=_CLEAN,
    ):
        self.vehicles[vin.upper()] = {
            "Make": make,
            "Model": model,
            "ModelYear": str(year),
            "Trim": trim,
            "BodyClass": body_class,
            "VehicleType": vehicle_type,
            "Manufacturer": f"{make} MOTOR CO.",
            "ErrorCode": error_code,
            "ErrorText": error_text,
        }

    def add_recall(
        self,
        make,
        model,
        year,
        *,
        campaign,
        component="",
        summary="",
        consequence="",
        remedy="",
        reported="01/02/2024",
        park_it=False,
    ):
        self.recalls.setdefault((make.upper(), model.upper(), int(year)), []).append(
            {
                "Manufacturer": f"{make} Motor Co.",
                "NHTSACampaignNumber": campaign,
                "parkIt": park_it,
                "parkOutSide": False,
                "overTheAirUpdate": False,
                "NHTSAActionNumber": "",
                "ReportReceivedDate": reported,
                "Component": component,
                "Summary": summary,
                "Consequence": consequence,
                "Remedy": remedy,
                "Notes": "",
                "ModelYear": str(year),
                "Make": make.upper(),
                "Model": model.upper(),
            }
        )

    def fail_next(self, status, times=1):
        self._faults.extend([status] * times)

    def calls(self, kind=None):
        return [r for r in self.requests if kind is None or r[0] == kind]

    def _make_app(self):
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/api/vehicles/DecodeVinValues/{vin}", self._decode)
        app.router.add_get("/api/vehicles/decodevinvalues/{vin}", self._decode)
        app.router.add_get("/recalls/recallsByVehicle", self._recalls)
        return app

    @web.middleware
    async def _middleware(self, request, handler):
        kind = "recalls" if request.path.startswith("/recalls") else "vpic"
        with self._lock:
            self.requests.append((kind, request.path, dict(request.query), time.time()))
            fault = self.outage or (self._faults.popleft() if self._faults else None)
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        if fault:
            return web.Response(
                status=fault, text="<html><body>Service Unavailable</body></html>", content_type="text/html"
            )
        return await handler(request)

    async def _decode(self, request):
        vin = request.match_info["vin"].upper()
        values = dict.fromkeys(_OTHER_KEYS, "")
        values.update({"VIN": vin, "Make": "", "Model": "", "ModelYear": "", "Trim": ""})
        known = self.vehicles.get(vin)
        if known:
            values.update(known)
        else:
            values["ErrorCode"], values["ErrorText"] = _UNKNOWN
        return web.json_response(
            {
                "Count": 1,
                "Message": "Results returned successfully. NOTE: Any missing decoded values should be interpreted "
                "as NHTSA does not have data on the specific variable. Missing value should NOT be "
                "interpreted as an indication that a feature or technology is unavailable for a vehicle.",
                "SearchCriteria": f"VIN(s): {vin}",
                "Results": [values],
            }
        )

    async def _recalls(self, request):
        query = request.query
        try:
            key = (query["make"].upper(), query["model"].upper(), int(query["modelYear"]))
        except (KeyError, ValueError):
            return web.json_response({"Count": 0, "Message": "Invalid parameters", "results": []}, status=400)
        rows = self.recalls.get(key, [])
        return web.json_response({"Count": len(rows), "Message": "Results returned successfully", "results": rows})
