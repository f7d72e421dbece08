"""Texts to customers about their appointments and repair orders, through Twilio's Messages API.

Only to customers who agreed to texts, never in quiet hours (the message waits until they
end), at most one per appointment, kind and appointment time (one per repair order, kind and
`about` for repair-order texts, whose bodies and queries live in scheduling.repair_orders.texts),
and every message recorded with Twilio's SID and status. Sending is claimed with a conditional update, so two workers
holding the same task cannot both send. A send whose outcome is unknown (Twilio took the
request but the answer was lost) is marked failed rather than retried: a missing reminder
is better than a duplicate.
"""

import logging
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from twilio.base.exceptions import TwilioException

from crm.phones import display_phone
from ottos.lib.twilio_rest import rest_client

from .models import Appointment, ShopProfile, TextMessage
from .shop_settings import shop_settings

log = logging.getLogger(__name__)

Kind = TextMessage.Kind
TWILIO_TIMEOUT_SECONDS = 10
# A message left "sending" this long belonged to a worker that died mid-send.
STUCK_AFTER = timedelta(minutes=15)
# No reminder when the confirmation went out this recently.
REMINDER_AFTER_CONFIRMATION = timedelta(hours=12)
# A no-show marked later than this after the appointment's start gets no "we missed you" text.
NO_SHOW_TEXT_WITHIN = timedelta(days=2)


class TextNotSent(Exception):
    """Twilio is unreachable or overloaded (429/5xx): the message is queued again."""


# --- When -------------------------------------------------------------------------------------


def quiet_hours_end(moment, tz):
    """If `moment` falls in quiet hours, when they end; else None."""
    if not settings.QUIET_HOURS:
        return None
    first, last = settings.QUIET_HOURS
    local = moment.astimezone(tz)
    now = local.time()
    quiet = (first <= now or now < last) if first > last else (first <= now < last)
    if not quiet:
        return None
    day = local.date() if now < last else local.date() + timedelta(days=1)
    return datetime.combine(day, last, tz)


def first_allowed_time(moment, tz):
    return quiet_hours_end(moment, tz) or moment


# --- What -------------------------------------------------------------------------------------


def _say_when(moment, tz):
    local = moment.astimezone(tz)
    return f"{local:%a, %b} {local.day} at {local:%-I:%M %p}"


def _say_day(moment, tz, *, sent_at):
    """today, yesterday or "on Tue, Nov 3": the day of `moment` as read when the text arrives."""
    day, reading = moment.astimezone(tz).date(), sent_at.astimezone(tz).date()
    if day == reading:
        return "today"
    if day == reading - timedelta(days=1):
        return "yesterday"
    return f"on {moment.astimezone(tz):%a, %b} {moment.astimezone(tz).day}"


def message_body(appointment, kind, profile, *, moved=False, sent_at=None):
    """`sent_at`: when the text will go out (quiet hours may hold it), for "today" in a no-show text."""
    tz = profile.tz
    service = appointment.service_type.name.lower()
    when = _say_when(appointment.start, tz)
    vehicle = f" ({appointment.vehicle})" if appointment.vehicle_id else ""
    call = f" Call {display_phone(profile.phone)} to change it." if profile.phone else ""
    if kind == Kind.NO_SHOW_FOLLOW_UP:
        day = _say_day(appointment.start, tz, sent_at=sent_at or timezone.now())
        rebook = f" Call {display_phone(profile.phone)} to rebook." if profile.phone else ""
        return f"{profile.name}: we missed you for your {service} {day}.{rebook}"
    if kind == Kind.CONFIRMATION and moved:
        return f"{profile.name}: your {service}{vehicle} is moved to {when}.{call}"
    if kind == Kind.CONFIRMATION:
        return f"{profile.name}: your {service}{vehicle} is booked for {when}.{call}"
    if kind == Kind.REMINDER:
        return f"Reminder from {profile.name}: your {service}{vehicle} is tomorrow, {when}.{call}"
    again = f" Call {display_phone(profile.phone)} to book again." if profile.phone else ""
    return f"{profile.name}: your {service} on {when} is cancelled.{again}"


def _appointment_text_applies(appointment, kind, now):
    if not appointment.customer.sms_opt_in:
        return False
    if kind == Kind.CANCELLATION:
        return appointment.status == Appointment.Status.CANCELLED and appointment.start > now
    if kind == Kind.NO_SHOW_FOLLOW_UP:
        return appointment.status == Appointment.Status.NO_SHOW and appointment.start > now - NO_SHOW_TEXT_WITHIN
    if kind in (Kind.CONFIRMATION, Kind.REMINDER):
        return appointment.is_active and appointment.start > now
    return False


def _applies(message, now):
    """Whether a recorded text still says something true when it goes out, from the model fields alone.

    An appointment text: the appointment is still at the time the text names and in the state
    it is about. A repair-order status text: the order is still in the status it announces.
    A declined-work follow-up stays true (a declined line is never un-declined).
    """
    if not message.customer.sms_opt_in:
        return False
    if message.appointment_id is not None:
        appointment = message.appointment
        return appointment.start == message.for_start and _appointment_text_applies(appointment, message.kind, now)
    if message.kind == Kind.REPAIR_STATUS:
        return message.repair_order.status == message.about
    return message.kind == Kind.DECLINED_WORK


# --- Queueing and sending ---------------------------------------------------------------------


def queue_text(appointment_id, kind, *, now=None):
    """Record the text `kind` for the appointment as it is now; the existing one if already recorded.

    Returns None when no text applies (texts off, customer not opted in, appointment past or
    no longer in a state the text is about).
    """
    now = now or timezone.now()
    if not settings.TEXTS_ENABLED:
        return None
    if kind == Kind.CONFIRMATION and not shop_settings().text_confirmations:
        return None  # the shop turned confirmations off on its Settings page
    appointment = (
        Appointment.objects.select_related("customer", "service_type", "vehicle").filter(pk=appointment_id).first()
    )
    if appointment is None or not _appointment_text_applies(appointment, kind, now):
        return None
    once = {"appointment": appointment, "kind": kind, "for_start": appointment.start}
    existing = TextMessage.objects.filter(**once).first()
    if existing is not None:
        return existing
    profile = ShopProfile.load()
    # "Moved" only makes sense to a customer who got the first confirmation.
    moved = (
        kind == Kind.CONFIRMATION
        and appointment.texts.filter(kind=Kind.CONFIRMATION, status=TextMessage.Status.SENT).exists()
    )
    send_after = first_allowed_time(now, profile.tz)
    return record_once(
        once,
        customer=appointment.customer,
        to=appointment.customer.phone,
        send_after=send_after,
        body=message_body(appointment, kind, profile, moved=moved, sent_at=send_after),
    )


def record_once(once, **fields):
    """The TextMessage the unique fields `once` name: created with `fields`, or the one already there
    (a task running twice, or two at once, records one message)."""
    try:
        with transaction.atomic():
            return TextMessage.objects.create(**once, **fields)
    except IntegrityError:
        return TextMessage.objects.get(**once)


def send_text(message_id, *, now=None, client=None):
    """Send one recorded message if it is due and nobody else has. Returns its status.

    Raises TextNotSent when Twilio is unreachable or overloaded (the message is due again).
    """
    now = now or timezone.now()
    claimed = TextMessage.objects.filter(
        pk=message_id, status=TextMessage.Status.SCHEDULED, send_after__lte=now
    ).update(status=TextMessage.Status.SENDING, attempts=F("attempts") + 1, updated_at=now)
    message = TextMessage.objects.select_related("appointment__customer", "repair_order", "customer").get(pk=message_id)
    if not claimed:
        return message.status
    if not _applies(message, now):
        what = "appointment" if message.appointment_id is not None else "repair order"
        return _finish(message, TextMessage.Status.SKIPPED, error=f"The {what} changed before the text went out.")
    try:
        sent = (client or rest_client(timeout=TWILIO_TIMEOUT_SECONDS)).messages.create(
            to=message.to, from_=settings.TEXTS_FROM_NUMBER, body=message.body
        )
    except TwilioException as exc:
        status = getattr(exc, "status", None)
        detail = f"Twilio answered {status}: {getattr(exc, 'code', '')} {getattr(exc, 'msg', '') or exc}".strip()
        if status == 429 or (status or 0) >= 500:
            _finish(message, TextMessage.Status.SCHEDULED, error=detail)
            raise TextNotSent(detail) from exc
        return _finish(message, TextMessage.Status.FAILED, error=detail)
    except requests.exceptions.ConnectionError as exc:
        # Includes ConnectTimeout: the request never reached Twilio, so sending again is safe.
        _finish(message, TextMessage.Status.SCHEDULED, error=f"Twilio could not be reached: {exc}")
        raise TextNotSent(str(exc)) from exc
    except requests.exceptions.RequestException as exc:
        return _finish(
            message,
            TextMessage.Status.FAILED,
            error=f"Twilio did not answer ({exc}); the text may or may not have gone out - check Twilio's log.",
        )
    return _finish(
        message,
        TextMessage.Status.SENT,
        twilio_sid=sent.sid or "",
        twilio_status=str(sent.status or ""),
        sent_at=timezone.now(),
        error="",
    )


def _finish(message, status, **fields):
    TextMessage.objects.filter(pk=message.pk, status=TextMessage.Status.SENDING).update(
        status=status, updated_at=timezone.now(), **fields
    )
    return status


def due_messages(now=None):
    now = now or timezone.now()
    return list(
        TextMessage.objects.filter(status=TextMessage.Status.SCHEDULED, send_after__lte=now)
        .order_by("send_after")
        .values_list("pk", flat=True)
    )


def release_stuck(now=None):
    """Messages a dead worker left "sending" are marked failed (not resent: Twilio may have them)."""
    now = now or timezone.now()
    return TextMessage.objects.filter(status=TextMessage.Status.SENDING, updated_at__lt=now - STUCK_AFTER).update(
        status=TextMessage.Status.FAILED,
        error="The worker stopped while sending; not resent in case Twilio has it - check Twilio's log.",
        updated_at=now,
    )


def reminders_due(now=None):
    """Ids of active appointments tomorrow (shop time) for opted-in customers that lack a reminder."""
    now = now or timezone.now()
    tz = ShopProfile.load().tz
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), tz)
    end = start + timedelta(days=1)
    same_time = TextMessage.objects.filter(appointment=OuterRef("pk"), for_start=OuterRef("start"))
    candidates = (
        Appointment.objects.active()
        .filter(start__gte=start, start__lt=end, customer__sms_opt_in=True)
        .exclude(Exists(same_time.filter(kind=Kind.REMINDER)))
        .exclude(Exists(same_time.filter(kind=Kind.CONFIRMATION, created_at__gte=now - REMINDER_AFTER_CONFIRMATION)))
    )
    return list(candidates.values_list("pk", flat=True))
