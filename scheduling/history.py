"""An appointment's audit trail as sentences people read: "Moved from Tue Dec 15, 1:00 PM to
2:30 PM by the phone agent on a call (transcript)".

The one place the back office words an AppointmentChange (scheduling.actions writes them). A
change the phone agent made links to its call's page by URL name: the call's SID is on the
record, and scheduling never imports calls.
"""

from datetime import datetime

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from crm.models import Vehicle

from .admin_sync import local_time
from .models import AppointmentChange

Actor = AppointmentChange.Actor

STATUS_WORDS = {
    "booked": "Marked booked",
    "confirmed": "Confirmed",
    "arrived": "Marked arrived",
    "completed": "Marked completed",
    "no_show": "Marked no-show",
    "cancelled": "Cancelled",
}


def vehicle_ids(change):
    """The vehicles a change names (before and after)."""
    snapshots = (change.details.get("before") or {}, change.details.get("after") or {})
    return {snapshot.get("vehicle_id") for snapshot in snapshots} - {None}


def vehicle_names(changes):
    """{vehicle id: "2019 Toyota Camry"} for every vehicle the changes name, in one query."""
    ids = set().union(*(vehicle_ids(change) for change in changes))
    return {vehicle.pk: str(vehicle) for vehicle in Vehicle.objects.filter(pk__in=ids)} if ids else {}


def describe_all(changes):
    """[(change, sentence)] for an appointment's changes, its vehicles' names read at once."""
    changes = list(changes)
    names = vehicle_names(changes)
    return [(change, describe(change, names)) for change in changes]


def describe(change, vehicles=None):
    """One change as a sentence (safe HTML): what happened, who did it, and the call it was on."""
    before, after = change.details.get("before") or {}, change.details.get("after") or {}
    by = _who(change)
    match change.action:
        case "booked":
            what = f"Booked for {_when(after.get('start'))}" if after.get("start") else "Booked"
        case "rescheduled":
            what = f"Moved from {_when(before.get('start'))} to {_when(after.get('start'), since=before.get('start'))}"
        case "cancelled":
            what = "Cancelled"
            if change.actor_kind == Actor.PHONE_AGENT:
                by = "by the caller on a call"
        case "status":
            status = after.get("status", "")
            what = STATUS_WORDS.get(status, f"Marked {status.replace('_', ' ')}")
        case "details":
            what = _details(before, after, vehicles or {})
        case other:
            what = other.replace("_", " ").capitalize() or "Changed"
    sentence = format_html("{} {}", what, by)
    if change.details.get("reason"):
        sentence = format_html("{}: “{}”", sentence, change.details["reason"])
    if change.details.get("overlap_reason"):
        sentence = format_html(
            "{}, over the customer's other appointment: “{}”", sentence, change.details["overlap_reason"]
        )
    link = call_link(change)
    return format_html("{} ({})", sentence, link) if link else sentence


def history_table(changes):
    """The appointment page's history: when, and what happened, newest first."""
    described = describe_all(changes)
    if not described:
        return "No changes recorded."
    rows = format_html_join(
        "",
        '<tr><td class="nowrap">{}</td><td>{}</td></tr>',
        ((local_time(change.at), sentence) for change, sentence in described),
    )
    return format_html(
        '<table class="appointment-history"><tr><th>When</th><th>What happened</th></tr>{}</table>', rows
    )


def call_link(change):
    """A link to the call's page for a change the phone agent made on a call, else ""."""
    if change.actor_kind != Actor.PHONE_AGENT or not change.actor_label:
        return ""
    try:
        url = reverse("call_pages:detail", args=[change.actor_label])
    except NoReverseMatch:
        return ""
    return format_html('<a href="{}">transcript</a>', url)


def _who(change):
    match change.actor_kind:
        case Actor.PHONE_AGENT:
            return "by the phone agent on a call" if change.actor_label else "by the phone agent"
        case Actor.ADVISOR:
            user = change.actor_user
            return f"by {user.get_username() if user else change.actor_label or 'an advisor'}"
        case Actor.COMMAND:
            return f"by the command {change.actor_label}" if change.actor_label else "by a command"
        case Actor.TASK:
            return f"by a background task ({change.actor_label})" if change.actor_label else "by a background task"
    return "by someone"


def _details(before, after, vehicles):
    said = []
    if before.get("vehicle_id") != after.get("vehicle_id"):
        said.append(
            f"Vehicle changed from {_vehicle(before.get('vehicle_id'), vehicles)} "
            f"to {_vehicle(after.get('vehicle_id'), vehicles)}"
        )
    if before.get("notes") != after.get("notes"):
        said.append(f"Notes changed to “{after['notes']}”" if after.get("notes") else "Notes removed")
    if before.get("waiter") != after.get("waiter"):
        said.append("Now waiting at the shop" if after.get("waiter") else "Now a drop-off (not waiting)")
    if before.get("loaner_requested") != after.get("loaner_requested"):
        said.append("Loaner requested" if after.get("loaner_requested") else "Loaner no longer requested")
    if not said:
        return "Details changed"
    return "; ".join([said[0], *(s[0].lower() + s[1:] for s in said[1:])])


def _vehicle(vehicle_id, vehicles):
    if vehicle_id is None:
        return "no vehicle"
    return vehicles.get(vehicle_id, "a vehicle no longer on file")


def _when(iso, since=None):
    """ "Tue Dec 15, 1:00 PM"; only "2:30 PM" when `since` is on the same day."""
    if not iso:
        return "an unknown time"
    moment = datetime.fromisoformat(iso)
    if since and timezone.localtime(datetime.fromisoformat(since)).date() == timezone.localtime(moment).date():
        return local_time(moment).split(", ", 1)[-1]
    return local_time(moment)
