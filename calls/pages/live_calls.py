"""Calls in progress, with their transcript so far; live.js keeps the page current over a
WebSocket (calls/live.py) and reloads the fragment below whenever it (re)connects."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from calls.transcript_log import call_group

from ..models import Call, Turn
from .access import check_call_reader, nav_context
from .transcript import split_heard

# A call whose end never got filed (a server died mid-call) stops looking live after this.
STALE_AFTER = timedelta(minutes=5)


def calls_in_progress(call_sid=None, now=None):
    since = (now or timezone.now()) - timedelta(seconds=settings.VOICE_MAX_CALL_S) - STALE_AFTER
    # A call the agent handed to an advisor (or the voicemail) is live until that is over too.
    with_the_agent = Q(ended_at__isnull=True)
    with_a_person = ~Q(handover="") & Q(handover_ended_at__isnull=True)
    calls = Call.objects.filter(
        with_the_agent | with_a_person, status__in=[Call.Status.RINGING, Call.Status.IN_PROGRESS], started_at__gte=since
    )
    if call_sid:
        calls = calls.filter(call_sid=call_sid)
    calls = calls.select_related("customer").prefetch_related(
        Prefetch("turns", queryset=Turn.objects.order_by("index"))
    )
    calls = list(calls.order_by("started_at"))
    for call in calls:
        for turn in call.turns.all():
            turn.said = split_heard(turn)
    return calls


def _ctx(request):
    call_sid = request.GET.get("call", "")[:64]
    return {
        **nav_context(request),
        "calls": calls_in_progress(call_sid),
        "following": call_sid,
        "ws_path": f"/ws/calls/{call_sid}/live/" if call_sid else "/ws/calls/live/",
        "group": call_group(call_sid) if call_sid else "live-calls",
    }


@login_required
@require_GET
def live_calls(request):
    check_call_reader(request)
    return render(request, "calls/live_calls.html", _ctx(request))


@login_required
@require_GET
def live_calls_fragment(request):
    check_call_reader(request)
    return render(request, "calls/_live_calls.html", _ctx(request))
