"""How the receptionist says things: short spoken forms, never markdown or ISO dates."""

from datetime import time

from calls.agent.scripted.words import ordinal
from scheduling.shop_info import service_is_plural, spoken_service

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def say_time(clock):
    """9 AM, 9:30 AM, noon, 2 PM."""
    if clock == time(12):
        return "noon"
    hour = clock.hour % 12 or 12
    suffix = "AM" if clock.hour < 12 else "PM"
    return f"{hour} {suffix}" if clock.minute == 0 else f"{hour}:{clock.minute:02d} {suffix}"


def say_day(day):
    """Tuesday, December 1st."""
    return f"{WEEKDAY_NAMES[day.weekday()]}, {day:%B} {ordinal(day.day)}"


def say_moment(moment):
    """Tuesday, December 1st at 9 AM (a naive or aware datetime in shop time)."""
    return f"{say_day(moment.date())} at {say_time(moment.time())}"


def say_list(items, joiner="or"):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"


def service_phrase(name, *, article=True):
    """ "an oil change", "brake pads and rotors", "an A/C service": a service as said in a sentence,
    in the same words the tools say it (scheduling.shop_info)."""
    return spoken_service(name, article=article)


def is_plural(name):
    """ "Brake pads" are, "an oil change" is."""
    return service_is_plural(name)
