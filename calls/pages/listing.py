"""The call list's search, filters and sort orders, as one form and one queryset."""

import re
from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, FloatField, OuterRef, Q, Subquery
from django.utils import timezone

from crm.phones import normalize_phone

from ..models import Call, TurnLatency
from .percentile import Percentile

YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]

# sort key -> (label, the columns it orders by); "-key" sorts the other way.
SORTS = {
    "started": ("Time", ["started_at"]),
    "caller": ("Caller", ["from_number"]),
    "customer": ("Customer", ["customer__name"]),
    "duration": ("Duration", ["duration_s"]),
    "outcome": ("Outcome", ["outcome"]),
    "latency": ("Voice-to-voice", ["median_v2v_ms"]),
}
DEFAULT_SORT = "-started"
SORT_CHOICES = [(key, label) for name, (label, _) in SORTS.items() for key in (name, f"-{name}")]
PHONE_CHARACTERS = re.compile(r"[\d\s().+\-]+")


class CallFilterForm(forms.Form):
    q = forms.CharField(label="Phone number or customer name", required=False, max_length=120)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(required=False, choices=[("", "Any")] + Call.Outcome.choices)
    status = forms.ChoiceField(required=False, choices=[("", "Any")] + Call.Status.choices)
    transferred = forms.ChoiceField(required=False, choices=YES_NO)
    interrupted = forms.ChoiceField(required=False, choices=YES_NO)
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and first > last:
            self.add_error("date_to", "The end date is before the start date.")
            data.pop("date_from")  # a backwards range selects nothing useful: drop it whole
        return data

    def filters(self):
        """What the valid fields ask for (an invalid field is reported and left out)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].id_for_label}-error"}
                )
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


def search_condition(text):
    """Calls matching `text`: a phone number in any format (whole or in part) or a name."""
    text = text.strip()
    try:
        phone = normalize_phone(text)
    except ValidationError:
        phone = None
    if phone:
        return Q(from_number=phone) | Q(customer__phone=phone)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3 and PHONE_CHARACTERS.fullmatch(text):
        return Q(from_number__contains=digits) | Q(customer__phone__contains=digits)
    return Q(customer__name__icontains=text)


def _day_start(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def with_figures(calls):
    """Annotate each call's median voice-to-voice latency (ms)."""
    median = (
        TurnLatency.objects.filter(call=OuterRef("pk"), voice_to_voice_ms__isnull=False)
        .order_by()
        .values("call")
        .annotate(median=Percentile("voice_to_voice_ms", 0.5))
        .values("median")
    )
    return calls.annotate(median_v2v_ms=Subquery(median, output_field=FloatField()))


def filtered_calls(filters):
    """The calls `filters` (from CallFilterForm.filters()) select, with figures, in their sort order."""
    calls = with_figures(Call.objects.select_related("customer"))
    if text := filters.get("q"):
        calls = calls.filter(search_condition(text))
    if first := filters.get("date_from"):
        calls = calls.filter(started_at__gte=_day_start(first))
    if last := filters.get("date_to"):
        calls = calls.filter(started_at__lt=_day_start(last + timedelta(days=1)))
    if outcome := filters.get("outcome"):
        calls = calls.filter(outcome=outcome)
    if status := filters.get("status"):
        calls = calls.filter(status=status)
    for flag in ("transferred", "interrupted"):
        if flag in filters:
            calls = calls.filter(**{flag: filters[flag] == "yes"})
    return calls.order_by(*ordering(filters.get("sort") or DEFAULT_SORT))


def ordering(sort):
    descending = sort.startswith("-")
    _, columns = SORTS[sort.lstrip("-")]
    order = [F(c).desc(nulls_last=True) if descending else F(c).asc(nulls_last=True) for c in columns]
    return [*order, "-id" if descending else "id"]


def call_length(call):
    """How long the call lasted: Twilio's figure, or our clock's for a call that ended with its
    stream until Twilio reports one (calls.actions.finish_call). None while it is not known: the
    stream's end is not the call's when the caller went on with an advisor."""
    return None if call.duration_s is None else timedelta(seconds=call.duration_s)
