"""The phone agent's tools, bound to the caller: dispatch from the model's tool calls to the
crm/scheduling/calls actions.

A ToolBox is made for one call with the caller's own number. Nothing the model says can
point a tool at another customer: there is no phone or customer argument, and appointment
and vehicle ids are checked against the caller's record. Every outcome is a ToolOutcome with
JSON the model can read; bad arguments, refusals and database failures come back as
{"error": ...} so the model can recover, never as an exception that ends the call.
"""

import hashlib
import json
import logging
import re
from datetime import date, datetime, time, timedelta

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from pydantic import ValidationError as ArgumentError

from calls import actions as call_actions
from calls.models import Call
from calls.agent.tools.arguments import TOOLS, openai_schemas
from calls.telephony.transfer import TransferFailed, transfer_call
from calls.voice.session import ToolOutcome
from crm import actions as crm_actions
from crm.nhtsa import decode_vin_offline
from crm.phones import normalize_phone
from crm.recalls import recall_notice
from crm.vin import normalize_vin
from scheduling import actions as booking
from scheduling.models import Appointment, Closure, FaqAnswer, OpeningHours, ServiceType, ShopProfile

logger = logging.getLogger(__name__)

SLOTS_PER_DAY = 6
NO_CALLER_ID = (
    "Caller ID is withheld, so I can't look up or change records for this caller. "
    "Offer to take a message with a callback number."
)
NOT_ON_FILE = "The caller isn't on file yet: ask for their name and call create_customer first."
SYSTEM_TROUBLE = "The shop's system didn't respond. Apologize and offer to take a message for an advisor."


class ToolRefused(Exception):
    """The tool cannot do this; `message` tells the model what to do instead."""


def _error(message, **extra):
    return ToolOutcome(json.dumps({"error": message, **extra}), ok=False)


def _say_when(moment, tz):
    local = moment.astimezone(tz)
    return f"{local:%A, %B} {local.day} at {local:%-I:%M %p}"


def _local_iso(moment, tz):
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def _parse_day(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ToolRefused(f"date must be a day like 2030-06-04, not {text!r}") from None


def _parse_start(text, tz, field):
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ToolRefused(f"{field} must be a local date and time like 2030-06-04T09:30, not {text!r}") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _parse_clock(text):
    match = _CLOCK.match(text)
    if match is None:
        raise ToolRefused(f"time must be a 24-hour shop local time like 14:30, not {text!r}")
    return time(int(match[1]), int(match[2]))


def _spread(items, count):
    """At most `count` items spread evenly over the list (mornings and afternoons both offered)."""
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


class ToolBox:
    """The tools for one call. Build with `await ToolBox.for_call(call_sid=..., caller_phone=...)`."""

    def __init__(self, *, call_sid, caller_phone, service_names, timezone):
        self.call_sid = call_sid
        self.caller_phone = caller_phone  # E.164, or None when caller ID is withheld
        self.service_names = list(service_names)
        self.tz = timezone
        self.outcomes = set()  # Call.Outcome values this call achieved
        self.done = []  # what was done, in words, for the call's summary
        self._schemas = list(openai_schemas(tuple(self.service_names)))

    @classmethod
    async def for_call(cls, *, call_sid, caller_phone):
        def load():
            names = list(ServiceType.objects.filter(active=True).values_list("name", flat=True))
            return names, ShopProfile.load().tz

        names, tz = await database_sync_to_async(load, thread_sensitive=False)()
        return cls(call_sid=call_sid, caller_phone=caller_phone, service_names=names, timezone=tz)

    def schemas(self):
        return self._schemas

    async def call(self, name, arguments):
        if name not in TOOLS:
            return _error(f"There is no tool called {name!r}.")
        model, _ = TOOLS[name]
        try:
            args = model.model_validate_json(arguments or "{}")
        except ArgumentError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            return _error(f"Invalid arguments for {name}: {problems}")
        try:
            if name == "transfer_to_advisor":
                return await self._transfer(args)
            if name == "end_call":
                return ToolOutcome(json.dumps({"ok": True}), ok=True, action="end_call")
            handler = getattr(self, f"_{name}")
            result = await database_sync_to_async(handler, thread_sensitive=False)(args)
        except ToolRefused as exc:
            return _error(str(exc))
        except booking.BookingRefused as exc:
            return _error(exc.message, code=exc.code)
        except ValidationError as exc:
            return _error(" ".join(exc.messages))
        except DatabaseError:
            logger.exception("Call %s: tool %s hit a database error", self.call_sid, name)
            return _error(SYSTEM_TROUBLE)
        except Exception:
            logger.exception("Call %s: tool %s failed", self.call_sid, name)
            return _error(SYSTEM_TROUBLE)
        return ToolOutcome(json.dumps(result), ok=True)

    # --- who is calling (the only way a tool finds a customer) --------------------------------

    def _caller(self, *, required=True):
        if self.caller_phone is None:
            raise ToolRefused(NO_CALLER_ID)
        customer = crm_actions.find_customer_by_phone(self.caller_phone)
        if customer is None and required:
            raise ToolRefused(NOT_ON_FILE)
        return customer

    def _service(self, name):
        service = ServiceType.objects.filter(name__iexact=name, active=True).first()
        if service is None:
            raise ToolRefused(f"No service called {name!r}. Services: {', '.join(self.service_names)}.")
        return service

    def _vehicle(self, customer, vehicle_id):
        if vehicle_id is None:
            return None
        vehicle = customer.vehicles.filter(pk=vehicle_id).first()
        if vehicle is None:
            raise ToolRefused("That vehicle id isn't one of the caller's vehicles; use lookup_customer.")
        return vehicle

    def _key(self, name, args):
        canonical = json.dumps(args.model_dump(), sort_keys=True)
        return f"{self.call_sid}:{hashlib.sha256(f'{name}|{canonical}'.encode()).hexdigest()[:24]}"

    def _appointment_view(self, appointment):
        return {
            "appointment_id": appointment.pk,
            "service": appointment.service_type.name,
            "start": _local_iso(appointment.start, self.tz),
            "when": _say_when(appointment.start, self.tz),
            "vehicle": str(appointment.vehicle) if appointment.vehicle else None,
            "waiter": appointment.waiter,
            "status": appointment.status,
        }

    # --- the tools (run in a worker thread) ---------------------------------------------------

    def _lookup_customer(self, args):
        customer = self._caller(required=False)
        if customer is None:
            return {"on_file": False, "note": NOT_ON_FILE}
        vehicles = [
            {"vehicle_id": v.pk, "vehicle": str(v), "vin_ends_with": v.vin[-6:] if v.vin else None}
            for v in customer.vehicles.all()
        ]
        upcoming = Appointment.objects.upcoming(datetime.now(self.tz)).filter(customer=customer).count()
        return {"on_file": True, "name": customer.name, "vehicles": vehicles, "upcoming_appointments": upcoming}

    def _slot_view(self, moment):
        return {"start": _local_iso(moment, self.tz), "say": _say_when(moment, self.tz)}

    def _get_available_slots(self, args):
        service = self._service(args.service)
        first = _parse_day(args.date)
        clock = _parse_clock(args.time) if args.time else None
        days = args.days or 1
        start = datetime.combine(first, time(0), self.tz)
        end = datetime.combine(first + timedelta(days=days), time(0), self.tz)
        slots = booking.available_slots(service, start, end, waiter=bool(args.waiter))
        requested = self._exact_start(datetime.combine(first, clock, self.tz), slots) if clock else None
        if args.part_of_day == "morning":
            slots = [s for s in slots if s.astimezone(self.tz).hour < 12]
        elif args.part_of_day == "afternoon":
            slots = [s for s in slots if s.astimezone(self.tz).hour >= 12]
        by_day = {}
        for slot in slots:
            by_day.setdefault(slot.astimezone(self.tz).date(), []).append(slot)
        offered = [s for day_slots in by_day.values() for s in _spread(day_slots, SLOTS_PER_DAY)]
        self.outcomes.add(Call.Outcome.INFO)
        result = {
            "service": service.name,
            "duration_minutes": service.duration_minutes,
            "slots": [self._slot_view(s) for s in offered],
            "more_available": len(offered) < len(slots),
            "note": None if slots else "Nothing free then; try other days.",
        }
        if requested is not None:
            result["requested"] = requested
        return result

    def _exact_start(self, wanted, free_starts):
        """Whether `wanted` is one of the free starts, and the nearest free starts either side."""
        before = [s for s in free_starts if s < wanted]
        after = [s for s in free_starts if s > wanted]
        return {
            **self._slot_view(wanted),
            "free": wanted in free_starts,
            "nearest_before": self._slot_view(before[-1]) if before else None,
            "nearest_after": self._slot_view(after[0]) if after else None,
        }

    def _book_appointment(self, args):
        customer = self._caller()
        service = self._service(args.service)
        appointment = booking.book_appointment(
            customer=customer, service_type=service, start=_parse_start(args.start, self.tz, "start"),
            actor=booking.Actor.phone_agent(self.call_sid), vehicle=self._vehicle(customer, args.vehicle_id),
            waiter=bool(args.waiter), loaner_requested=bool(args.loaner_requested), notes=args.notes or "",
            idempotency_key=self._key("book_appointment", args),
        )
        self.outcomes.add(Call.Outcome.BOOKED)
        self.done.append(f"Booked {service.name} for {_say_when(appointment.start, self.tz)}.")
        return {"booked": True, **self._appointment_view(appointment)}

    def _get_upcoming_appointments(self, args):
        customer = self._caller()
        return {"appointments": [self._appointment_view(a) for a in booking.upcoming_appointments(customer)]}

    def _cancel_appointment(self, args):
        customer = self._caller()
        appointment = booking.cancel_appointment(
            args.appointment_id, actor=booking.Actor.phone_agent(self.call_sid), customer=customer,
            reason=args.reason or "",
        )
        self.outcomes.add(Call.Outcome.CANCELLED)
        self.done.append(f"Cancelled {appointment.service_type.name} of {_say_when(appointment.start, self.tz)}.")
        return {"cancelled": True, **self._appointment_view(appointment)}

    def _reschedule_appointment(self, args):
        customer = self._caller()
        new_start = _parse_start(args.new_start, self.tz, "new_start")
        appointment = booking.reschedule_appointment(
            args.appointment_id, new_start=new_start, actor=booking.Actor.phone_agent(self.call_sid), customer=customer
        )
        self.outcomes.add(Call.Outcome.RESCHEDULED)
        self.done.append(f"Moved {appointment.service_type.name} to {_say_when(appointment.start, self.tz)}.")
        return {"rescheduled": True, **self._appointment_view(appointment)}

    def _decode_vin(self, args):
        try:
            vin = normalize_vin(args.vin)
        except ValidationError as exc:
            return {"valid": False, "problem": " ".join(exc.messages), "note": "Ask the caller to read it again."}
        decoded = decode_vin_offline(vin)
        return {"valid": True, "vin": vin, "make": decoded.make or None, "year": decoded.year}

    def _add_vehicle(self, args):
        customer = self._caller()
        if not (args.vin or args.make or args.model):
            raise ToolRefused("Give at least a VIN, or the make and model.")
        vehicle = crm_actions.add_vehicle(
            customer, vin=args.vin or "", year=args.year, make=args.make or "", model=args.model or "",
            mileage=args.mileage,
        )
        self.done.append(f"Added vehicle {vehicle}.")
        return {"vehicle_id": vehicle.pk, "vehicle": str(vehicle), "vin_ends_with": vehicle.vin[-6:] or None}

    def _check_recalls(self, args):
        vehicle = self._vehicle(self._caller(), args.vehicle_id)
        return {
            "vehicle_id": vehicle.pk,
            "vehicle": str(vehicle),
            "say": recall_notice(vehicle),
            "note": "Say only this about recalls. Never say or suggest that this car is affected.",
        }

    def _create_customer(self, args):
        existing = self._caller(required=False)
        if existing is not None:
            return {"created": False, "already_on_file": True, "name": existing.name}
        customer, created = crm_actions.get_or_create_customer(phone=self.caller_phone, name=args.name)
        if created and args.email:
            try:
                customer.email = args.email
                customer.full_clean()
                customer.save(update_fields=["email", "updated_at"])
            except ValidationError:
                customer.refresh_from_db()
        if created:
            self.done.append(f"New customer {customer.name}.")
        return {"created": created, "already_on_file": not created, "name": customer.name}

    def _shop_info(self, args):
        self.outcomes.add(Call.Outcome.INFO)
        if args.topic == "services":
            services = ServiceType.objects.filter(active=True)
            return {
                "services": [
                    {"service": s.name, "about": s.description or None, "duration_minutes": s.duration_minutes,
                     "price_estimate": s.price_estimate or None, "wait_at_shop": s.waiter_allowed}
                    for s in services
                ],
                "note": "Prices are estimates, not quotes; the advisor confirms after inspection.",
            }
        answer = FaqAnswer.objects.filter(topic=args.topic, approved=True).values_list("answer", flat=True).first()
        result = {"topic": args.topic, "approved_answer": answer}
        if args.topic == "hours":
            result["weekly_hours"] = [str(h) for h in OpeningHours.objects.all()]
            today = datetime.now(self.tz).date()
            result["upcoming_closures"] = [
                str(c) for c in Closure.objects.filter(end_date__gte=today, start_date__lte=today + timedelta(days=30))
            ]
        elif answer is None:
            result["note"] = "No approved answer. Say you're not sure and offer to take a message."
        return result

    def _take_message(self, args):
        customer = self._caller(required=False) if self.caller_phone else None
        phone = self.caller_phone
        if args.callback_number:
            try:
                phone = normalize_phone(args.callback_number)
            except ValidationError as exc:
                raise ToolRefused(f"That callback number doesn't work: {' '.join(exc.messages)}") from None
        if phone is None:
            raise ToolRefused("Ask for a number the advisor can call back on (callback_number).")
        call_actions.take_message(
            call_sid=self.call_sid, customer=customer, name=args.name, phone=phone, reason=args.reason,
            urgency=args.urgency,
        )
        self.outcomes.add(Call.Outcome.MESSAGE)
        self.done.append(f"Message for an advisor ({args.urgency}): {args.reason}")
        return {"message_taken": True}

    async def _transfer(self, args):
        # Counted before the request: once Twilio applies it the caller leaves the stream, which
        # can cancel this tool before the reply arrives; the finished call is still filed as a transfer.
        done = f"Transferred to an advisor: {args.summary}"
        self.outcomes.add(Call.Outcome.TRANSFERRED)
        self.done.append(done)
        try:
            await transfer_call(self.call_sid)
        except Exception as exc:
            self.outcomes.discard(Call.Outcome.TRANSFERRED)
            self.done.remove(done)
            if isinstance(exc, TransferFailed):
                return _error("The transfer didn't go through. Offer to take a message instead.")
            raise
        try:
            await database_sync_to_async(call_actions.mark_transferred, thread_sensitive=False)(
                self.call_sid, args.summary
            )
        except DatabaseError:
            logger.exception("Call %s: transferred, but the summary could not be saved", self.call_sid)
        return ToolOutcome(json.dumps({"transferring": True}), ok=True, action="transfer")
