"""The advisors' callbacks inbox: open requests, urgent first then newest, each marked "called
back" with a note (calls.actions.mark_called_back); the done ones under their own filter."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from ..actions import mark_called_back
from ..models import CallbackRequest
from .access import check_call_reader, nav_context

PAGE_SIZE = 50
URGENCY_RANK = Case(
    When(urgency=CallbackRequest.Urgency.URGENT, then=Value(0)),
    When(urgency=CallbackRequest.Urgency.SOON, then=Value(1)),
    default=Value(2),
)


class CalledBackForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note",
        help_text="What was said or agreed (optional).",
    )


def open_callbacks():
    """Open requests, the urgent ones first (then those wanted today), newest first within each."""
    return (
        CallbackRequest.objects.open().select_related("customer", "call").order_by(URGENCY_RANK, "-created_at", "-id")
    )


def done_callbacks():
    """Requests someone called back, the latest first."""
    return (
        CallbackRequest.objects.filter(handled_at__isnull=False)
        .select_related("customer", "call", "handled_by")
        .order_by("-handled_at", "-id")
    )


def who(callback):
    """The person to call back, by name when known."""
    return callback.name or (callback.customer.name if callback.customer else "") or "Unknown caller"


def number_of(callback):
    """The number to call back: the one left, else the customer's on file."""
    return callback.phone or (callback.customer.phone if callback.customer else "")


@login_required
@require_GET
def callbacks_inbox(request):
    check_call_reader(request)
    showing_done = request.GET.get("show") == "done"
    page = Paginator(done_callbacks() if showing_done else open_callbacks(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for callback in page.object_list:
        callback.who, callback.number = who(callback), number_of(callback)
    ctx = {**nav_context(request), "page": page, "showing_done": showing_done, "form": CalledBackForm()}
    return render(request, "calls/callbacks.html", ctx)


@login_required
@require_POST
def called_back(request, pk):
    check_call_reader(request)
    callback = get_object_or_404(CallbackRequest.objects.select_related("customer", "handled_by"), pk=pk)
    form = CalledBackForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not saved: {' '.join(form.errors['note'])}")
    elif mark_called_back(callback, by=request.user, note=form.cleaned_data["note"]):
        messages.success(request, f"{who(callback)} was called back: the request is done.")
    else:
        callback.refresh_from_db(fields=["handled_by"])
        advisor = callback.handled_by
        by = (advisor.get_full_name() or advisor.get_username()) if advisor else "someone"
        messages.info(request, f"{who(callback)} was already called back by {by}.")
    return redirect("call_pages:callbacks")
