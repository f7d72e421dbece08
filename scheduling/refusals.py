"""What Otto's says when the shop's rules turn a request down, and what it mentions beside a booking.

Every refusal carries a code (for the program) and a sentence that can be read out to a caller
or shown to an advisor as it is.
"""

from ottos.lib import clock

from .shop_info import service_with_verb


class BookingRefused(Exception):
    """A booking request the shop's rules do not allow. `message` can be said to the caller."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self):
        return f"BookingRefused({self.code!r}, {self.message!r})"


def say_when(moment, tz):
    local = moment.astimezone(tz)
    return f"{local:%A, %B} {local.day} at {local:%-I:%M %p}"


def say_time(moment, tz):
    return f"{moment.astimezone(tz):%-I:%M %p}"


def say_duration(duration):
    minutes = int(duration.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} minutes"
    text = f"{hours} hour{'s' if hours > 1 else ''}"
    return f"{text} {rest} minutes" if rest else text


def refused(code, *, service=None, start=None, rules=None, appointment=None):
    tz = rules.timezone if rules else None
    if code == "slot_taken":
        message = "That time is already fully booked."
    elif code == "outside_hours":
        message = (
            f"{service_with_verb(service.name, 'takes')} {say_duration(service.duration)}, so the work has to start "
            "and finish while the shop is open, and not run into lunch."
        )
    elif code == "closed":
        message = f"The shop is closed on {start.astimezone(tz):%A, %B} {start.astimezone(tz).day}."
    elif code == "in_past":
        message = "That time has already passed."
    elif code == "too_soon":
        earliest = clock.now() + rules.min_lead
        message = f"That's too soon to book; the earliest start is {say_when(earliest, tz)}."
    elif code == "too_far":
        message = f"We only book up to {rules.horizon.days} days ahead."
    elif code == "waiter_not_allowed":
        message = (
            f"{service_with_verb(service.name, 'is')} drop-off only; waiting at the shop isn't possible for that job."
        )
    elif code == "service_inactive":
        message = f"We aren't booking {service.name.lower()} at the moment."
    elif code == "not_active":
        message = f"That appointment is {appointment.get_status_display().lower()}, so it can't be changed."
    else:
        message = "That booking request isn't valid."
    return BookingRefused(code, message)


def not_their_vehicle():
    return BookingRefused("invalid", "That vehicle isn't on file under this customer.")


def no_waiter_seat():
    return BookingRefused("slot_taken", "Every waiting spot is taken at that time, so it has to stay a drop-off.")


def customer_overlap(existing, tz):
    """The customer already holds `existing` over the time asked for: name it, so they can keep or move it."""
    return BookingRefused(
        "customer_overlap",
        f"You already have your {existing.service_type.name.lower()} on {say_when(existing.start, tz)}, "
        "which overlaps that time.",
    )


_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def too_many_for_one_call(most):
    """The phone agent has booked all it may on this call; the rest goes to a person."""
    return BookingRefused(
        "call_limit",
        f"I can book up to {_NUMBER_WORDS.get(most, most)} appointments on one call; "
        "an advisor can help with more — shall I take a message?",
    )


def say_also_that_day(who, others, tz):
    """'The caller also has the oil change at 9:00 AM that day.': the customer's other appointments on a booking's day."""
    booked = [f"the {other.service_type.name.lower()} at {say_time(other.start, tz)}" for other in others]
    listed = booked[0] if len(booked) == 1 else f"{', '.join(booked[:-1])} and {booked[-1]}"
    return f"{who} also has {listed} that day."
