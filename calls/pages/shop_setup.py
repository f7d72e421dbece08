"""The managers' Shop page: the weekly hours as one grid (Monday to Sunday, a closed box, opening
and closing times and an optional lunch, 12-hour times accepted), the closures ahead with their
reasons, and the services with duration, price range and whether customers may wait. The phone
agent reads the same rows (scheduling.shop_info); the writes are scheduling.shop_setup's.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import modelformset_factory
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from scheduling import shop_info, shop_setup
from scheduling.models import Closure, OpeningHours, ServiceType

from .access import can_see_dashboard, nav_context

TIME_FORMATS = ["%I:%M %p", "%I:%M%p", "%I %p", "%I%p", "%H:%M", "%H:%M:%S"]
TIMES = ("opens", "closes", "lunch_start", "lunch_end")


def check_manager(request):
    if not can_see_dashboard(request.user):
        raise PermissionDenied("The shop page is for managers.")


def _time(label):
    return forms.TimeField(
        required=False,
        label=label,
        input_formats=TIME_FORMATS,
    )


def _shown(clock):
    """8:00 AM, 12:30 PM: the grid's times as owners write them."""
    if clock is None:
        return ""
    return f"{clock.hour % 12 or 12}:{clock.minute:02d} {'AM' if clock.hour < 12 else 'PM'}"


class DayForm(forms.Form):
    """One weekday of the grid."""

    closed = forms.BooleanField(required=False, label="Closed")
    opens = _time("Opens")
    closes = _time("Closes")
    lunch_start = _time("Lunch from")
    lunch_end = _time("Lunch until")

    def __init__(self, *args, weekday, **kwargs):
        super().__init__(*args, prefix=f"day{weekday}", **kwargs)
        self.weekday = weekday
        self.day_name = shop_info.WEEKDAYS[weekday]

    def clean(self):
        data = super().clean()
        if data.get("closed") or self.errors:
            return data
        if data.get("opens") is None or data.get("closes") is None:
            raise ValidationError(f"Give {self.day_name}'s opening and closing times, or tick Closed.")
        return data

    def day_hours(self):
        data = self.cleaned_data
        if data.get("closed"):
            return shop_setup.DayHours(self.weekday)
        return shop_setup.DayHours(
            self.weekday, data["opens"], data["closes"], data.get("lunch_start"), data.get("lunch_end")
        )


def hours_grid(data=None):
    """Seven DayForms, Monday first, filled from the saved hours (a day without a row is closed)."""
    saved = {row.weekday: row for row in OpeningHours.objects.all()}
    grid = []
    for weekday in range(7):
        row = saved.get(weekday)
        initial = {name: _shown(getattr(row, name)) for name in TIMES} if row else {"closed": True}
        grid.append(DayForm(data, weekday=weekday, initial=initial))
    return grid


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["start_date", "end_date", "reason"]
        labels = {"start_date": "First day closed", "end_date": "Last day closed", "reason": "Reason"}
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }


ServiceFormSet = modelformset_factory(
    ServiceType,
    fields=["name", "duration_minutes", "price_low", "price_high", "waiter_allowed", "active"],
    labels={
        "name": "Service",
        "duration_minutes": "Minutes",
        "price_low": "Price from",
        "price_high": "Price to",
        "waiter_allowed": "Customers may wait",
        "active": "Offered",
    },
    extra=1,
)


def services_formset(data=None):
    return ServiceFormSet(data, queryset=ServiceType.objects.order_by("name"), prefix="services")


def _page(request, *, grid=None, closure_form=None, services=None, status=200):
    ctx = {
        **nav_context(request),
        "grid": grid or hours_grid(),
        "closures": Closure.objects.filter(end_date__gte=timezone.localdate()),
        "closure_form": closure_form or ClosureForm(),
        "services": services or services_formset(),
    }
    return render(request, "calls/shop_setup.html", ctx, status=status)


@login_required
@require_GET
def shop_page(request):
    check_manager(request)
    return _page(request)


@login_required
@require_POST
def save_hours(request):
    check_manager(request)
    grid = hours_grid(request.POST)
    if all(form.is_valid() for form in grid):
        try:
            shop_setup.set_weekly_hours([form.day_hours() for form in grid])
        except ValidationError as exc:
            for form in grid:
                for message in exc.message_dict.get(form.weekday, ()):
                    form.add_error(None, message)
        else:
            messages.success(request, "The opening hours are saved: callers hear them from now on.")
            return redirect("call_pages:shop")
    return _page(request, grid=grid, status=400)


@login_required
@require_POST
def add_closure(request):
    check_manager(request)
    form = ClosureForm(request.POST)
    if form.is_valid():
        shop_setup.add_closure(**form.cleaned_data)
        messages.success(request, "The closure is added.")
        return redirect("call_pages:shop")
    return _page(request, closure_form=form, status=400)


@login_required
@require_POST
def remove_closure(request, pk):
    check_manager(request)
    if shop_setup.remove_closure(pk):
        messages.success(request, "The closure is removed.")
    return redirect("call_pages:shop")


@login_required
@require_POST
def save_services(request):
    check_manager(request)
    formset = services_formset(request.POST)
    if formset.is_valid():
        shop_setup.save_services(formset.save(commit=False))
        messages.success(request, "The services are saved.")
        return redirect("call_pages:shop")
    return _page(request, services=formset, status=400)
