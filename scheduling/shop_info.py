"""What the phone agent may tell callers about the shop: its services, hours, closures and the
answers the shop approved. Read from the same rows that drive the booking rules, so what the
agent says and what it can book never disagree.
"""

from .models import Closure, FaqAnswer, OpeningHours, ServiceType, ShopProfile


def shop_profile():
    return ShopProfile.load()


def active_service_names():
    """The names of the services callers can book, in the shop's order."""
    return list(ServiceType.objects.filter(active=True).values_list("name", flat=True))


def active_service(name):
    """The bookable service called `name` (any capitalization), or None."""
    return ServiceType.objects.filter(name__iexact=name, active=True).first()


def services_overview():
    """One entry per bookable service, in the words the agent reads out.

    Prices are estimates (ServiceType.price_estimate), never quotes; a missing description or
    price is None so the agent knows not to make one up.
    """
    return [
        {
            "service": service.name,
            "about": service.description or None,
            "duration_minutes": service.duration_minutes,
            "price_estimate": service.price_estimate or None,
            "wait_at_shop": service.waiter_allowed,
        }
        for service in ServiceType.objects.filter(active=True)
    ]


def approved_answer(topic):
    """The answer the shop approved for `topic` (a FaqAnswer.Topic), or None: nothing else is quoted."""
    return FaqAnswer.objects.filter(topic=topic, approved=True).values_list("answer", flat=True).first()


def weekly_hours():
    """The regular hours, one line per open weekday, Monday first (a missing day is closed)."""
    return [str(hours) for hours in OpeningHours.objects.all()]


def closures_between(first_day, last_day):
    """The closures that touch any day from `first_day` to `last_day` (inclusive), earliest first."""
    return [str(closure) for closure in Closure.objects.filter(end_date__gte=first_day, start_date__lte=last_day)]
