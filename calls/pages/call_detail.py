"""One call: the conversation, tool calls, latency per reply, what it cost, links into the admin, the audio."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from crm.models import Vehicle
from scheduling.models import Appointment, AppointmentChange
from scheduling.shop_settings import shop_settings

from ..costs import call_cost
from ..models import Call
from .access import check_call_reader, nav_context
from .listing import call_length, with_figures
from .transcript import STAGES, conversation, latency_chart


def appointments_from(call):
    """Appointments the agent booked, moved or cancelled on this call (its audit trail says so)."""
    return list(
        Appointment.objects.filter(
            changes__actor_kind=AppointmentChange.Actor.PHONE_AGENT, changes__actor_label=call.call_sid
        )
        .select_related("service_type", "vehicle")
        .distinct()
        .order_by("start")
    )


def recording_of(call):
    """The call's stored audio, or None (recording off, not yet written, or purged)."""
    try:
        recording = call.recording
    except ObjectDoesNotExist:
        return None
    return recording if recording.audio and recording.audio.storage.exists(recording.audio.name) else None


@login_required
@require_GET
def call_detail(request, call_sid):
    check_call_reader(request)
    call = get_object_or_404(
        with_figures(Call.objects.select_related("customer", "recording", "usage")), call_sid=call_sid
    )
    latencies = list(call.latencies.all())
    appointments = appointments_from(call)
    vehicles = list(Vehicle.objects.filter(owner=call.customer).order_by("-created_at")) if call.customer else []
    ctx = {
        **nav_context(request),
        "call": call,
        "talk_time": call_length(call),
        "cost": call_cost(call),
        "entries": conversation(call, list(call.turns.all()), list(call.tool_invocations.all())),
        "latencies": latencies,
        "stages": STAGES,
        "latency_chart": latency_chart(latencies) if latencies else None,
        "events": list(call.events.all()),
        "appointments": appointments,
        "vehicles": vehicles,
        "callbacks": list(call.callback_requests.all()),
        "recording": recording_of(call),
        "recording_enabled": shop_settings().recording_enabled,
    }
    return render(request, "calls/call_detail.html", ctx)


@login_required
@require_GET
def call_audio(request, call_sid):
    check_call_reader(request)
    call = get_object_or_404(Call.objects.select_related("recording"), call_sid=call_sid)
    recording = recording_of(call)
    if recording is None:
        raise Http404("This call has no recording.")
    return FileResponse(recording.audio.open("rb"), content_type=recording.content_type)
