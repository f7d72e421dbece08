"""The browser phone: staff talk to the phone agent from the browser's microphone.

The page (static/js/phone.js) plays Twilio's part of a call: it asks `start_call` for what the
incoming-call webhook would have given Twilio (a Call record and a single-use stream token),
then speaks the Media Streams protocol to the same consumer at /ws/twilio/media/. The call is
a real one: the agent, its tools and the records are the production ones. Only managers and
service advisors may place one, and the transcript comes from the live-calls socket they may
already read.
"""

import secrets

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from calls import actions
from calls.models import Call
from calls.pages.access import check_call_reader, nav_context
from calls.telephony.signatures import MEDIA_STREAM_PATH
from calls.telephony.tokens import issue_call_token
from crm.models import Customer
from crm.phones import display_phone, normalize_phone
from scheduling.management.demo_shop import DEMO_CALLER
from scheduling.models import ShopProfile

BROWSER = "browser:"  # to_number of a call placed from the browser phone, then the staff user's name


def _browser_caller_id(user):
    # A withheld caller ID, as Twilio writes a call from one of its browser clients.
    return f"client:{user.get_username()}"


@login_required
@require_GET
def phone(request):
    check_call_reader(request)
    demo = Customer.objects.filter(phone=DEMO_CALLER["phone"]).first()
    ctx = {
        **nav_context(request),
        "shop": ShopProfile.load(),
        "caller": demo.phone if demo else "",
        "caller_name": demo.name if demo else "",
    }
    return render(request, "calls/phone.html", ctx)


@login_required
@require_POST
def start_call(request):
    """Open a call as the incoming-call webhook would, and hand the page its stream token."""
    check_call_reader(request)
    raw = request.POST.get("caller", "").strip()
    if raw:
        try:
            caller = normalize_phone(raw)
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
    else:
        caller = _browser_caller_id(request.user)
    call_sid = "CA" + secrets.token_hex(16)
    call = actions.open_call(call_sid=call_sid, from_number=caller, to_number=f"{BROWSER}{request.user.get_username()}")
    return JsonResponse(
        {
            "call_sid": call_sid,
            "caller": caller,
            "caller_display": display_phone(caller) if caller.startswith("+") else "a withheld number",
            "customer": call.customer.name if call.customer else None,
            "call_token": issue_call_token(call_sid, caller),
            "stream_path": MEDIA_STREAM_PATH,
            "live_path": f"/ws/calls/{call_sid}/live/",
            "outcome_url": reverse("phone:outcome", args=[call_sid]),
            "details_url": reverse("call_pages:detail", args=[call_sid]),
        },
        status=201,
    )


@login_required
@require_GET
def call_outcome(request, call_sid):
    """How a browser call ended, once the consumer has filed it."""
    check_call_reader(request)
    call = Call.objects.filter(call_sid=call_sid, to_number__startswith=BROWSER).first()
    if call is None:
        raise Http404("No browser call with that SID.")
    return JsonResponse(
        {
            "call_sid": call.call_sid,
            "ended": call.ended_at is not None,
            "outcome": call.outcome,
            "outcome_display": call.get_outcome_display() if call.outcome else "",
            "summary": call.summary,
        }
    )


app_name = "phone"

urlpatterns = [
    path("", phone, name="page"),
    path("calls/", start_call, name="start_call"),
    path("calls/<str:call_sid>/", call_outcome, name="outcome"),
]
