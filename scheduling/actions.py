"""The only way to read availability and to write an appointment.

The admin, the phone agent's tools, the commands and the Celery tasks all call these. Every
write is atomic, re-checks capacity under a lock on the shop's row (so two callers can never
take the last bay), records an AppointmentChange, and announces itself after commit through
scheduling.signals.appointment_changed. Anything a caller or advisor did wrong raises
BookingRefused with a code and a sentence that can be read out to them.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Func, Q
from django.utils import timezone

from crm.models import Customer, Vehicle
from crm.phone_cache import forget_cached_phone
from ottos.lib import clock

from . import availability
from .availability import BookedInterval, DayHours, Demand, ServiceRules, ShopRules
from .busy import external_busy
from .models import Appointment, AppointmentChange, Closure, OpeningHours, ShopProfile
from .refusals import BookingRefused, customer_overlap, no_waiter_seat, not_their_vehicle, refused, say_when

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who is changing an appointment, for the audit trail."""

    kind: str
    user: object = None
    label: str = ""

    def __post_init__(self):
        if self.kind not in AppointmentChange.Actor.values:
            raise ValueError(f"Unknown actor kind {self.kind!r}")

    @classmethod
    def phone_agent(cls, call_sid):
        return cls(AppointmentChange.Actor.PHONE_AGENT, label=call_sid or "")

    @classmethod
    def advisor(cls, user):
        return cls(AppointmentChange.Actor.ADVISOR, user=user, label=user.get_username() if user else "")

    @classmethod
    def command(cls, name):
        return cls(AppointmentChange.Actor.COMMAND, label=name)

    @classmethod
    def task(cls, name):
        return cls(AppointmentChange.Actor.TASK, label=name)

    @property
    def source(self):
        if self.kind == AppointmentChange.Actor.PHONE_AGENT:
            return Appointment.Source.PHONE_AGENT
        if self.kind == AppointmentChange.Actor.ADVISOR:
            return Appointment.Source.ADVISOR
        return Appointment.Source.COMMAND


# --- Reading -------------------------------------------------------------------------------


def available_slots(
    service_type, start, end, *, waiter=False, now=None, walk_in=False, exclude=None, customer=None, vehicle=None
):
    """Start times in [start, end) at which `service_type` can be booked, ascending, aware.

    Raises BookingRefused for an inactive service, a waiter on a drop-off-only service, or
    naive datetimes (so the agent can say why rather than "nothing is free"). `walk_in`: the
    starts an advisor may book at the counter (see WALK_IN_GRACE), inside the minimum lead.
    `exclude`: an appointment (or its pk) being moved; the time it holds now counts as free, as
    reschedule_appointment counts it. `customer` (and the `vehicle` the time is for): starts
    that would overlap the customer's own appointments are left out, as booking them is refused.
    """
    now = _walk_in_now(now or clock.now(), walk_in)
    _require_aware(start, end, now)
    if not service_type.active:
        raise refused("service_inactive", service=service_type)
    if waiter and not service_type.waiter_allowed:
        raise refused("waiter_not_allowed", service=service_type)
    profile = ShopProfile.load()
    rules = _shop_rules(profile, start, end, walk_in=walk_in)
    reach_end = _ends(end, service_type.duration)
    exclude = exclude.pk if isinstance(exclude, Appointment) else exclude
    demand = Demand.of(_booked_between(max(start, now), reach_end, exclude=exclude), external_busy(start, reach_end))
    starts = availability.slot_starts(
        rules, _service_rules(service_type), start, end, now=now, demand=demand, waiter=waiter
    )
    if customer is None:
        return starts
    own = _OwnTime(customer.pk, exclude=exclude, vehicle_id=vehicle.pk if vehicle else None)
    held = own.held_between(start, reach_end)
    return [s for s in starts if not any(s < until and s + service_type.duration > since for since, until in held)]


def move_starts(appointments, start, end, *, now=None, walk_in=False):
    """{appointment pk: the starts in [start, end) it could move to}, each counting its own time as
    free (as available_slots' `exclude`). The shop's rules, the appointments and the calendar's busy
    time are loaded once for all of them: a board of cards asks no more than one card does."""
    if not appointments:
        return {}
    now = _walk_in_now(now or clock.now(), walk_in)
    _require_aware(start, end, now)
    longest = max((a.service_type.duration for a in appointments), default=timedelta(0))
    reach_end = _ends(end, longest)
    rules = _shop_rules(ShopProfile.load(), start, end, walk_in=walk_in)
    booked = _booked_by_pk(max(start, now), reach_end)
    busy = external_busy(start, reach_end)
    found = {}
    for appointment in appointments:
        service_type, waiter = appointment.service_type, appointment.waiter
        if not service_type.active or (waiter and not service_type.waiter_allowed):
            found[appointment.pk] = []
            continue
        demand = Demand.of((b for pk, b in booked.items() if pk != appointment.pk), busy)
        found[appointment.pk] = availability.slot_starts(
            rules, _service_rules(service_type), start, end, now=now, demand=demand, waiter=waiter
        )
    return found


def room_by_day(first_day, last_day):
    """{local date: [SlotRoom]} from `first_day` to `last_day`: each slot of the shop's grid with the
    bays and waiter seats still free, from the same appointments and calendar busy time bookings
    are checked against (a closed day has no slots)."""
    profile = ShopProfile.load()
    tz = profile.tz
    start = datetime.combine(first_day, time(), tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=tz)
    rules = _shop_rules(profile, start, end)
    demand = Demand.of(_booked_between(start, end), external_busy(start, end))
    days = (first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))
    return {day: availability.room_by_slot(rules, day, demand=demand) for day in days}


def upcoming_appointments(customer, *, now=None):
    """The customer's active appointments from now on, soonest first."""
    now = now or clock.now()
    return list(Appointment.objects.upcoming(now).filter(customer=customer).select_related("service_type", "vehicle"))


def upcoming_count(customer, *, now=None):
    """How many active appointments the customer has from now on."""
    now = now or clock.now()
    return Appointment.objects.upcoming(now).filter(customer=customer).count()


def also_that_day(appointment):
    """The customer's other active appointments on `appointment`'s day (shop time), soonest first.

    Mentioned beside a booking: a customer who forgot the other one may want them together, or
    may have booked the same job twice.
    """
    tz = ShopProfile.load().tz
    day = appointment.start.astimezone(tz).date()
    midnight, next_midnight = (datetime.combine(d, time(), tzinfo=tz) for d in (day, day + timedelta(days=1)))
    return list(
        Appointment.objects.active()
        .filter(customer_id=appointment.customer_id, start__gte=midnight, start__lt=next_midnight)
        .exclude(pk=appointment.pk)
        .select_related("service_type")
        .order_by("start")
    )


def count_booked_with_key_prefix(prefix, *, besides=None):
    """How many active appointments hold an idempotency key that starts with `prefix`, not counting
    the one that holds the key `besides`.

    A phone call's keys start with its call SID, so this is what the call has booked and still
    stands, read from the appointments themselves rather than from a tally kept beside them.
    """
    appointments = Appointment.objects.active().filter(idempotency_key__startswith=prefix)
    if besides:
        appointments = appointments.exclude(idempotency_key=besides)
    return appointments.count()


# --- Writing -------------------------------------------------------------------------------


def book_appointment(
    *,
    customer,
    service_type,
    start,
    actor,
    vehicle=None,
    waiter=False,
    loaner_requested=False,
    notes="",
    idempotency_key=None,
    overlap_reason="",
    walk_in=False,
):
    """Book `service_type` for `customer` at `start` (end = start + the service's duration).

    A repeated `idempotency_key` returns the appointment it booked while that appointment is
    active, once, even when the repeats arrive at the same time. Once it is cancelled (or over),
    the same request books anew: asking again for a slot one gave up is a new booking, not a
    retry, so the old appointment gives up the key (see _release_key).

    The customer may not hold two active appointments that overlap; an advisor (never the phone
    agent) books over one by giving `overlap_reason`, which the audit record keeps.

    The shop's minimum lead is for callers: an advisor booking a customer at the counter
    passes `walk_in` and may book any start from now on (never the phone agent).
    """
    overlap_reason = _overlap_reason(overlap_reason, actor)
    _allow_walk_in(walk_in, actor)
    if idempotency_key:
        existing = _live_booking_with_key(idempotency_key, customer)
        if existing is not None:
            return existing
    if not isinstance(start, datetime):
        raise BookingRefused("invalid", "I need a date and a time for the appointment.")
    _require_aware(start)
    if customer is None or customer.pk is None:
        raise BookingRefused("invalid", "The customer must be on file before booking.")
    if vehicle is not None and vehicle.owner_id != customer.pk:
        raise not_their_vehicle()
    if not service_type.active:
        raise refused("service_inactive", service=service_type)
    end = _ends(start, service_type.duration)
    # Fetched before taking the lock: a slow calendar must not hold up other bookings.
    busy = external_busy(start, end)
    try:
        with transaction.atomic():
            profile = _lock_shop()
            if idempotency_key:
                existing = _live_booking_with_key(idempotency_key, customer)
                if existing is not None:
                    return existing
            own_time = _OwnTime(customer.pk, overlap_reason=overlap_reason, vehicle_id=vehicle.pk if vehicle else None)
            demand = Demand.of(_booked_between(start, end), busy)
            overridden = _check(
                profile, service_type, start, waiter=waiter, demand=demand, own_time=own_time, walk_in=walk_in
            )
            if idempotency_key:
                _release_key(idempotency_key)
            appointment = Appointment.objects.create(
                customer=customer,
                vehicle=vehicle,
                service_type=service_type,
                start=start,
                end=end,
                waiter=waiter,
                loaner_requested=loaner_requested,
                notes=notes,
                source=actor.source,
                idempotency_key=idempotency_key or None,
            )
            _record(appointment, "booked", actor, before=None, **overridden)
    except BookingRefused as refusal:
        raise _with_earliest_start(refusal, service_type, waiter) from None
    except IntegrityError:
        # Only the idempotency key is unique; someone else just booked with it.
        existing = _live_booking_with_key(idempotency_key, customer) if idempotency_key else None
        if existing is None:
            raise
        return existing
    return appointment


def reschedule_appointment(appointment, *, new_start, actor, customer=None, overlap_reason="", walk_in=False):
    """Move an appointment to `new_start`; its own current time does not count against it.

    As in book_appointment, the new time may not overlap the customer's other active
    appointments unless an advisor gives `overlap_reason`, and only an advisor (`walk_in`)
    may move it inside the minimum lead.
    """
    overlap_reason = _overlap_reason(overlap_reason, actor)
    _allow_walk_in(walk_in, actor)
    if not isinstance(new_start, datetime):
        raise BookingRefused("invalid", "I need a date and a time to move the appointment to.")
    _require_aware(new_start)
    pk = _appointment_pk(appointment, customer)
    # Calendar busy time is fetched before taking the lock, as in book_appointment.
    current = Appointment.objects.select_related("service_type").filter(pk=pk).first()
    busy = external_busy(new_start, _ends(new_start, current.service_type.duration)) if current else []
    with transaction.atomic():
        profile = _lock_shop()
        appointment = _locked_appointment(pk, customer)
        if appointment.status not in (Appointment.Status.BOOKED, Appointment.Status.CONFIRMED):
            raise refused("not_active", appointment=appointment)
        if appointment.start == new_start:
            return appointment
        new_end = _ends(new_start, appointment.service_type.duration)
        demand = Demand.of(_booked_between(new_start, new_end, exclude=appointment.pk), busy)
        own_time = _OwnTime(
            appointment.customer_id,
            exclude=appointment.pk,
            overlap_reason=overlap_reason,
            vehicle_id=appointment.vehicle_id,
        )
        try:
            overridden = _check(
                profile,
                appointment.service_type,
                new_start,
                waiter=appointment.waiter,
                demand=demand,
                own_time=own_time,
                walk_in=walk_in,
            )
        except BookingRefused as refusal:
            raise _with_earliest_start(refusal, appointment.service_type, appointment.waiter) from None
        before = _snapshot(appointment)
        appointment.start, appointment.end = new_start, new_end
        appointment.calendar_sync_state = Appointment.CalendarSync.PENDING
        appointment.save(update_fields=["start", "end", "calendar_sync_state", "updated_at"])
        _record(appointment, "rescheduled", actor, before=before, **overridden)
    return appointment


# Passed as `vehicle` to update_appointment_details: the appointment no longer names a vehicle.
NO_VEHICLE = object()

_EDITABLE_STATUSES = (Appointment.Status.BOOKED, Appointment.Status.CONFIRMED)


def update_appointment_details(
    appointment, *, actor, customer=None, notes=None, vehicle=None, loaner_requested=None, waiter=None
):
    """Change an appointment's notes, vehicle (or NO_VEHICLE), loaner request or waiting.

    A detail left as None stays as it is; if nothing changes, nothing is recorded. The vehicle
    must be the appointment's customer's. Switching to waiting needs the service to allow it
    and a free waiter seat for the whole appointment (its time and bay are not asked again).
    """
    vehicle_given = vehicle is not None
    if vehicle is NO_VEHICLE:
        vehicle = None
    elif vehicle_given and not isinstance(vehicle, Vehicle):
        raise not_their_vehicle()
    if notes is not None and not isinstance(notes, str):
        raise BookingRefused("invalid", "Notes must be text.")
    if any(flag is not None and not isinstance(flag, bool) for flag in (loaner_requested, waiter)):
        raise BookingRefused("invalid", "Waiting and the loaner request are yes or no.")
    pk = _appointment_pk(appointment, customer)
    with transaction.atomic():
        # Taking a waiter seat competes with bookings, so it queues on the shop's row like them.
        profile = _lock_shop() if waiter else None
        appointment = _locked_appointment(pk, customer)
        if appointment.status not in _EDITABLE_STATUSES:
            raise refused("not_active", appointment=appointment)
        changes = {}
        if notes is not None and notes != appointment.notes:
            changes["notes"] = notes
        if vehicle_given and (vehicle.pk if vehicle else None) != appointment.vehicle_id:
            if vehicle is not None and vehicle.owner_id != appointment.customer_id:
                raise not_their_vehicle()
            changes["vehicle"] = vehicle
        if loaner_requested is not None and loaner_requested != appointment.loaner_requested:
            changes["loaner_requested"] = loaner_requested
        if waiter is not None and waiter != appointment.waiter:
            if waiter:
                _check_waiter_seat(profile, appointment)
            changes["waiter"] = waiter
        if not changes:
            return appointment
        before = _snapshot(appointment)
        for field, value in changes.items():
            setattr(appointment, field, value)
        # The calendar event's description names the vehicle, waiting, loaner and notes.
        appointment.calendar_sync_state = Appointment.CalendarSync.PENDING
        appointment.save(update_fields=[*changes, "calendar_sync_state", "updated_at"])
        _record(appointment, "details", actor, before=before)
    return appointment


def cancel_appointment(appointment, *, actor, customer=None, reason=""):
    """Cancel an appointment, freeing its bay. Cancelling a cancelled one changes nothing."""
    pk = _appointment_pk(appointment, customer)
    with transaction.atomic():
        appointment = _locked_appointment(pk, customer)
        if appointment.status == Appointment.Status.CANCELLED:
            return appointment
        if not appointment.is_active:
            raise refused("not_active", appointment=appointment)
        before = _snapshot(appointment)
        appointment.status = Appointment.Status.CANCELLED
        appointment.calendar_sync_state = Appointment.CalendarSync.PENDING
        appointment.save(update_fields=["status", "calendar_sync_state", "updated_at"])
        _record(appointment, "cancelled", actor, before=before, reason=reason)
    return appointment


# Which statuses an appointment may move to, and from where.
_STATUS_FROM = {
    Appointment.Status.CONFIRMED: {Appointment.Status.BOOKED},
    Appointment.Status.ARRIVED: {Appointment.Status.BOOKED, Appointment.Status.CONFIRMED},
    Appointment.Status.COMPLETED: {Appointment.Status.BOOKED, Appointment.Status.CONFIRMED, Appointment.Status.ARRIVED},
    Appointment.Status.NO_SHOW: {Appointment.Status.BOOKED, Appointment.Status.CONFIRMED},
}


def set_appointment_status(appointment, status, *, actor):
    """Mark an appointment confirmed, arrived, completed or no_show (a no-show counts against the customer)."""
    if status not in _STATUS_FROM:
        raise BookingRefused("invalid", f"{status!r} is not a status an appointment can be marked with here.")
    status = Appointment.Status(status)
    pk = _appointment_pk(appointment, None)
    with transaction.atomic():
        appointment = _locked_appointment(pk, None)
        if appointment.status == status:
            return appointment
        if appointment.status not in _STATUS_FROM[status]:
            if not appointment.is_active:
                raise refused("not_active", appointment=appointment)
            raise BookingRefused(
                "invalid",
                f"An appointment that is {appointment.get_status_display().lower()} "
                f"can't be marked {status.label.lower()}.",
            )
        if status == Appointment.Status.NO_SHOW and appointment.start > clock.now():
            raise BookingRefused("invalid", "The appointment hasn't started yet, so it can't be a no-show.")
        before = _snapshot(appointment)
        appointment.status = status
        appointment.save(update_fields=["status", "updated_at"])
        if status == Appointment.Status.NO_SHOW:
            Customer.objects.filter(pk=appointment.customer_id).update(no_show_count=F("no_show_count") + 1)
            phone = appointment.customer.phone
            forget_cached_phone(phone)
            transaction.on_commit(lambda: forget_cached_phone(phone))
        _record(appointment, "status", actor, before=before)
    return appointment


# --- Inside the transaction -----------------------------------------------------------------


def _lock_shop():
    """Lock the shop's row: bookings that could compete for capacity queue up here."""
    profile = ShopProfile.load()
    return ShopProfile.objects.select_for_update().get(pk=profile.pk)


def _check(profile, service_type, start, *, waiter, demand, own_time, walk_in=False):
    """Refuse `start` unless the shop and the customer's own appointments allow it; returns what
    the audit record keeps of an overlap an advisor booked over.

    The customer's appointments are asked after the shop's timing and hours, which no reason
    overrides, and before its capacity: when their own appointment may be what fills the slot,
    naming it tells them more than "fully booked".
    """
    end = _ends(start, service_type.duration)
    rules = _shop_rules(profile, start, end, walk_in=walk_in)
    code = availability.refusal_for(
        rules,
        _service_rules(service_type),
        start,
        now=_walk_in_now(clock.now(), walk_in),
        demand=demand,
        waiter=waiter,
    )
    if code not in (None, availability.SLOT_TAKEN):
        raise refused(code, service=service_type, start=start, rules=rules)
    overridden = own_time.overridden(start, end, rules.timezone)
    if code:
        raise refused(code, service=service_type, start=start, rules=rules)
    return overridden


@dataclass(frozen=True)
class _OwnTime:
    """The customer's other active appointments, which a new time may not overlap without a reason.
    Two different cars of theirs may be in at once (both dropped off together): an appointment
    on another car does not count, one with no car named does."""

    customer_id: int
    exclude: int | None = None  # the appointment being moved never overlaps itself
    overlap_reason: str = ""
    vehicle_id: int | None = None  # the car the new time is for, if named

    def overridden(self, start, end, tz):
        """What to record of the overlap the reason let through ({} when nothing overlaps)."""
        clash = self._first_overlapping(start, end)
        if clash is None:
            return {}
        if not self.overlap_reason:
            raise customer_overlap(clash, tz)
        return {"overlap_reason": self.overlap_reason, "overlapping_appointment": clash.pk}

    def held_between(self, start, end):
        """(start, end) of each of the customer's appointments a new time in [start, end) may not overlap."""
        return [(a.start, a.end) for a in self._overlapping(start, end).only("start", "end")]

    def _first_overlapping(self, start, end):
        return self._overlapping(start, end).select_related("service_type").order_by("start").first()

    def _overlapping(self, start, end):
        appointments = Appointment.objects.active().overlapping(start, end).filter(customer_id=self.customer_id)
        if self.exclude is not None:
            appointments = appointments.exclude(pk=self.exclude)
        if self.vehicle_id is not None:
            appointments = appointments.filter(Q(vehicle__isnull=True) | Q(vehicle_id=self.vehicle_id))
        return appointments


def _overlap_reason(reason, actor):
    """Booking over a customer's other appointment is a person's call, with a reason on record."""
    reason = (reason or "").strip()
    if reason and actor.kind == AppointmentChange.Actor.PHONE_AGENT:
        raise ValueError("The phone agent cannot book over a customer's other appointment.")
    return reason


# A walk-in booked at the counter may take the slot that started a moment ago.
WALK_IN_GRACE = timedelta(minutes=5)


def _allow_walk_in(walk_in, actor):
    """The minimum lead gives the shop time to prepare for a caller; a person at the counter is here."""
    if walk_in and actor.kind == AppointmentChange.Actor.PHONE_AGENT:
        raise ValueError("The phone agent is held to the shop's minimum lead.")


def _walk_in_now(now, walk_in):
    return now - WALK_IN_GRACE if walk_in else now


def _with_earliest_start(refusal, service_type, waiter):
    """A "too soon" refusal names the first start really free (never the night or a closed day)."""
    if refusal.code != availability.TOO_SOON:
        return refusal
    now = clock.now()
    try:
        first = next(iter(available_slots(service_type, now, now + _EARLIEST_LOOKAHEAD, waiter=waiter, now=now)), None)
    except BookingRefused:
        first = None
    if first is None:
        return BookingRefused(refusal.code, "That's too soon to book, and nothing is free in the next two weeks.")
    return BookingRefused(
        refusal.code, f"That's too soon to book; the earliest start is {say_when(first, first.tzinfo)}."
    )


_EARLIEST_LOOKAHEAD = timedelta(days=14)


def _check_waiter_seat(profile, appointment):
    service_type = appointment.service_type
    rules = _shop_rules(profile, appointment.start, appointment.end)
    demand = Demand.of(_booked_between(appointment.start, appointment.end, exclude=appointment.pk))
    code = availability.waiter_refusal(
        rules, _service_rules(service_type), appointment.start, appointment.end, demand=demand
    )
    if code == availability.SLOT_TAKEN:
        raise no_waiter_seat()
    if code:
        raise refused(code, service=service_type, start=appointment.start, rules=rules)


def _live_booking_with_key(key, customer):
    """The active appointment booked with `key`, if any: only a live booking answers a retry."""
    existing = Appointment.objects.select_related("service_type").filter(idempotency_key=key).first()
    if existing is not None and customer is not None and existing.customer_id != customer.pk:
        raise BookingRefused("invalid", "That booking request was already used for another customer.")
    return existing if existing is not None and existing.is_active else None


def _release_key(key):
    """Move `key` off the inactive appointment holding it, so the same request can book anew.

    Keys are unique in the database. Done here, under the shop's lock and in the booking's own
    transaction, rather than when cancelling: one place covers every way an appointment stops
    being active (cancelled, completed, no-show), and a refused booking leaves the old row as it
    was. The old key becomes "<key>#<id>" rather than blank, so the row still shows which
    request made it (and still starts with the call's prefix).
    """
    holder = Appointment.objects.filter(idempotency_key=key).exclude(status__in=Appointment.ACTIVE_STATUSES).first()
    if holder is None:
        return
    suffix = f"#{holder.pk}"
    room = Appointment._meta.get_field("idempotency_key").max_length - len(suffix)
    Appointment.objects.filter(pk=holder.pk).update(idempotency_key=key[:room] + suffix)


def _appointment_pk(appointment, customer):
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise _not_found(customer) from None


def _locked_appointment(pk, customer):
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("service_type", "customer")
        .filter(pk=pk)
        .first()
    )
    if appointment is None or (customer is not None and appointment.customer_id != customer.pk):
        raise _not_found(customer)
    return appointment


def _not_found(customer):
    if customer is not None:
        return BookingRefused("not_your_appointment", "I couldn't find that appointment under your name.")
    return BookingRefused("invalid", "There is no such appointment.")


def _record(appointment, action, actor, *, before, **extra):
    details = {"before": before, "after": _snapshot(appointment), **extra}
    AppointmentChange.objects.create(
        appointment=appointment,
        action=action,
        actor_kind=actor.kind,
        actor_user=actor.user if getattr(actor.user, "pk", None) else None,
        actor_label=actor.label[:120],
        details=details,
    )
    appointment_id = appointment.pk
    transaction.on_commit(lambda: _announce(appointment_id, action), robust=True)


def _announce(appointment_id, action):
    from .signals import appointment_changed

    for receiver, result in appointment_changed.send_robust(
        sender=Appointment, appointment_id=appointment_id, action=action
    ):
        if isinstance(result, Exception):
            log.error(
                "appointment_changed receiver %r failed for appointment %s", receiver, appointment_id, exc_info=result
            )


def _snapshot(appointment):
    return {
        "start": timezone.localtime(appointment.start).isoformat(),
        "end": timezone.localtime(appointment.end).isoformat(),
        "status": appointment.status,
        "service_type": appointment.service_type.name,
        "vehicle_id": appointment.vehicle_id,
        "waiter": appointment.waiter,
        "loaner_requested": appointment.loaner_requested,
        "notes": appointment.notes,
    }


# --- Loading the pure computation's inputs -------------------------------------------------


def _shop_rules(profile, start, end, *, walk_in=False):
    tz = profile.tz
    first_day = start.astimezone(tz).date() - timedelta(days=1)
    last_day = end.astimezone(tz).date() + timedelta(days=1)
    hours = {h.weekday: DayHours(h.opens, h.closes, h.lunch_start, h.lunch_end) for h in OpeningHours.objects.all()}
    closures = tuple(
        Closure.objects.filter(end_date__gte=first_day, start_date__lte=last_day).values_list("start_date", "end_date")
    )
    return ShopRules(
        timezone=tz,
        hours=hours,
        closures=closures,
        bays=profile.bays,
        waiters_per_slot=profile.waiters_per_slot,
        slot_minutes=max(profile.slot_minutes, 1),
        min_lead=timedelta(minutes=0 if walk_in else profile.min_lead_minutes),
        horizon=timedelta(days=profile.booking_horizon_days),
    )


def _ends(start, duration):
    """Real elapsed time: aware arithmetic in a local zone would follow the wall clock across DST."""
    return start.astimezone(UTC) + duration


def _service_rules(service_type):
    return ServiceRules(duration=service_type.duration, waiter_allowed=service_type.waiter_allowed)


# Every appointment fits inside one day's opening hours (refusal_for sees to it), so one that
# overlaps a window started less than a day before it: that bound lets the (status, start)
# index skip the whole history.
_LONGEST_APPOINTMENT = timedelta(days=1)


class _EpochSeconds(Func):
    """A datetime column as seconds since 1970, computed by the database.

    Hundreds of rows come back per availability question, and Django's per-value time zone
    conversion of timestamps costs more than the whole availability computation.
    """

    arity = 1
    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS REAL)", **extra)


def _booked_between(start, end, *, exclude=None):
    return list(_booked_by_pk(start, end, exclude=exclude).values())


def _booked_by_pk(start, end, *, exclude=None):
    """{pk: BookedInterval} of the active appointments overlapping [start, end)."""
    appointments = (
        Appointment.objects.active().overlapping(start, end).filter(start__gt=start - _LONGEST_APPOINTMENT).order_by()
    )
    if exclude is not None:
        appointments = appointments.exclude(pk=exclude)
    rows = appointments.values_list("pk", _EpochSeconds("start"), _EpochSeconds("end"), "waiter")
    instant = datetime.fromtimestamp
    return {pk: BookedInterval(instant(s, UTC), instant(e, UTC), w) for pk, s, e, w in rows}


def _require_aware(*moments):
    for moment in moments:
        if not isinstance(moment, datetime) or timezone.is_naive(moment):
            raise BookingRefused("invalid", "Times must include a time zone.")
