"""What a tool knows of the call it serves: the caller's number, the shop's clock and services,
what the call has achieved so far, and the look-ups every family shares.

Nothing the model says can point a tool at another customer: there is no phone or customer
argument, `caller()` is the only way a tool finds a customer, and vehicle ids go through
`vehicle()` (appointment ids through the scheduling actions' `customer=`).
"""

import hashlib
import json

from calls.agent.tools.registry import ToolRefused, quoted
from crm import actions as crm_actions
from scheduling import shop_info

NO_CALLER_ID = (
    "Caller ID is withheld, so I can't look up or change records for this caller. "
    "Offer to take a message with a callback number."
)
NOT_ON_FILE = "The caller isn't on file yet: ask for their name and call create_customer first."


class CallContext:
    def __init__(self, *, call_sid, caller_phone, service_names, tz, outcome, advisor_number=None):
        self.call_sid = call_sid
        # The shop's advisor number as loaded with the call (scheduling.shop_settings); None: look it up.
        self.advisor_number = advisor_number
        self.caller_phone = caller_phone  # E.164, or None when caller ID is withheld
        self.service_names = list(service_names)
        self.tz = tz
        self.outcome = outcome  # the call's CallOutcome

    def caller(self, *, required=True):
        """The caller's customer record; None when not on file and not `required`."""
        if self.caller_phone is None:
            raise ToolRefused(NO_CALLER_ID)
        customer = crm_actions.find_customer_by_phone(self.caller_phone)
        if customer is None and required:
            raise ToolRefused(NOT_ON_FILE)
        return customer

    def service(self, name):
        service = shop_info.active_service(name)
        if service is None:
            raise ToolRefused(f"No service called {quoted(name)}. Services: {', '.join(self.service_names)}.")
        return service

    def vehicle(self, customer, vehicle_id):
        """One of the caller's vehicles, or None when no id was given; someone else's reads as missing."""
        if vehicle_id is None:
            return None
        vehicle = crm_actions.vehicle_of(customer, vehicle_id)
        if vehicle is None:
            raise ToolRefused("That vehicle id isn't one of the caller's vehicles; use lookup_customer.")
        return vehicle

    def idempotency_key(self, name, args):
        """The same tool with the same arguments in the same call: the same key (a retry does it once)."""
        canonical = json.dumps(args.model_dump(), sort_keys=True)
        return f"{self.call_sid}:{hashlib.sha256(f'{name}|{canonical}'.encode()).hexdigest()[:24]}"

    def say_when(self, moment):
        """'Tuesday, June 4 at 9:30 AM', shop time."""
        local = moment.astimezone(self.tz)
        return f"{local:%A, %B} {local.day} at {local:%-I:%M %p}"

    def local_iso(self, moment):
        """'2030-06-04T09:30', shop time: what the tools take back as a start."""
        return moment.astimezone(self.tz).strftime("%Y-%m-%dT%H:%M")
