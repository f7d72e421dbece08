"""The staff's front page at /: today's appointments, the callbacks waiting, the calls going on
now, and a link to every page. Visitors who are not signed in go to the sign-in first."""

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ottos.lib import clock
from scheduling.models import Appointment

from .access import can_read_calls, nav_context
from .callbacks import number_of, open_callbacks, who
from .live_calls import calls_in_progress

CALLBACKS_SHOWN = 5


def appointments_on(day):
    """The day's appointments (shop time) that were not cancelled, earliest first."""
    tz = timezone.get_current_timezone()
    midnight, next_midnight = (datetime.combine(d, time(), tzinfo=tz) for d in (day, day + timedelta(days=1)))
    return list(
        Appointment.objects.filter(start__gte=midnight, start__lt=next_midnight)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("customer", "vehicle", "service_type")
        .order_by("start", "pk")
    )


@login_required
@require_GET
def home(request):
    if not can_read_calls(request.user):
        if request.user.is_staff:
            return redirect("admin:index")  # shop data only: the admin is their front page
        raise PermissionDenied("The back office is for the shop's staff.")
    now = clock.now()
    callbacks = list(open_callbacks()[:CALLBACKS_SHOWN])
    for callback in callbacks:
        callback.who, callback.number = who(callback), number_of(callback)
    ctx = {
        **nav_context(request),
        "today": timezone.localdate(now),
        "appointments": appointments_on(timezone.localdate(now)),
        "callbacks": callbacks,
        "live_calls": calls_in_progress(now=now),
    }
    return render(request, "calls/home.html", ctx)
