"""The back office for the shop's schedule: appointments, services, hours, closures, FAQ.

Every appointment write goes through scheduling.actions with the advisor as the actor, so
the admin obeys the same capacity rules as the phone agent and leaves the same audit trail.
"""

from datetime import datetime, time, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone

from crm.admin import phone_in_search, vin_in_search
from crm.models import Vehicle
from crm.phones import display_phone
from ottos.lib import clock
from ottos.lib.admin import ViewOnlyNoDelete

from . import appointment_board, shop_info, shop_settings
from .actions import Actor, BookingRefused, also_that_day, cancel_appointment, set_appointment_status
from .admin_sync import local_time, resync_calendar, texts_sent
from .booking_times import day_and_time, free_times
from .forms import AppointmentBookingForm, AppointmentChangeForm
from .history import history_table
from .models import Appointment, AppointmentChange, Closure, FaqAnswer, OpeningHours, ServiceType, ShopProfile
from .refusals import say_also_that_day


class WhenFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("today", "Today"), ("week", "This week"), ("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        now = timezone.localtime()
        midnight = timezone.make_aware(datetime.combine(now.date(), time()))
        match self.value():
            case "today":
                tomorrow = timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), time()))
                return queryset.filter(start__gte=midnight, start__lt=tomorrow)
            case "week":
                monday = now.date() - timedelta(days=now.weekday())
                week_start = timezone.make_aware(datetime.combine(monday, time()))
                week_end = timezone.make_aware(datetime.combine(monday + timedelta(days=7), time()))
                return queryset.filter(start__gte=week_start, start__lt=week_end)
            case "upcoming":
                return queryset.filter(start__gte=now)
            case "past":
                return queryset.filter(start__lt=now)
        return queryset


def _status_action(status, description, done):
    def action(modeladmin, request, queryset):
        modeladmin.apply_to_each(
            request, queryset, done, lambda appointment, actor: set_appointment_status(appointment, status, actor=actor)
        )

    action.__name__ = f"mark_{status}"
    return admin.action(description=description, permissions=["change"])(action)


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    # Fits a 1280 px screen beside the menu and the filters; the calendar sync state is a filter.
    list_display = ["start_local", "customer_name", "vehicle", "service", "status", "waits", "source"]
    list_display_links = ["start_local"]
    list_filter = [WhenFilter, "status", "service_type", "source", "calendar_sync_state"]
    list_select_related = ["customer", "vehicle", "service_type"]
    date_hierarchy = "start"
    search_fields = ["customer__name", "customer__email"]
    search_help_text = "Customer name or email, phone in any format, or a full VIN."
    # The vehicle list is the chosen customer's (scheduling.forms); services are few.
    autocomplete_fields = ["customer"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-start"]  # all of them: the latest first; a day or the days ahead run earliest first
    actions = [
        _status_action(Appointment.Status.CONFIRMED, "Confirm", "confirmed"),
        _status_action(Appointment.Status.ARRIVED, "Mark arrived", "marked arrived"),
        _status_action(Appointment.Status.COMPLETED, "Mark completed", "marked completed"),
        _status_action(Appointment.Status.NO_SHOW, "Mark no-show", "marked no-show"),
        "cancel",
        resync_calendar,
    ]
    # An existing appointment keeps its customer and service; the rest changes through the actions.
    change_readonly = [
        "customer",
        "service_type",
        "end",
        "source",
        "calendar_sync_state",
        "calendar_event_id",
        "calendar_sync_error",
        "calendar_synced_at",
        "created",
        "updated",
        "history",
        "texts_sent",
    ]
    texts_sent = texts_sent

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = [
                "customer",
                "vehicle",
                "service_type",
                "waiter",
                "start",
                "overlap_reason",
                "loaner_requested",
                "notes",
                "booking_key",
            ]
            return [(None, {"fields": fields})]
        return [
            (
                None,
                {
                    "fields": [
                        "customer",
                        "vehicle",
                        "service_type",
                        "start",
                        "overlap_reason",
                        "end",
                        "status",
                        "waiter",
                        "loaner_requested",
                        "notes",
                        "source",
                    ]
                },
            ),
            (
                "Calendar",
                {
                    "fields": ["calendar_sync_state", "calendar_event_id", "calendar_sync_error", "calendar_synced_at"],
                    "classes": ["collapse"],
                },
            ),
            ("Texts to the customer", {"fields": ["texts_sent"]}),
            ("History", {"fields": ["history", "created", "updated"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = AppointmentChangeForm if obj is not None else AppointmentBookingForm
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": Actor.advisor(request.user)})

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "vehicle", "service_type")

    def get_ordering(self, request):
        day = "start__day" in request.GET or request.GET.get(WhenFilter.parameter_name) in ("today", "week", "upcoming")
        return ["start", "pk"] if day else ["-start", "-pk"]

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("free-times/", view(self.free_times_view), name="scheduling_appointment_free_times"),
            path("vehicles/", view(self.vehicles_view), name="scheduling_appointment_vehicles"),
            *self.board_urls(view),
            *super().get_urls(),
        ]

    def board_urls(self, view):
        """The appointment board (scheduling.appointment_board): the day, the week, the cards' buttons."""
        board = appointment_board
        return [
            path("board/", view(lambda request: board.board_view(self, request)), name="scheduling_appointment_board"),
            path(
                "board/week/", view(lambda request: board.week_view(self, request)), name="scheduling_appointment_week"
            ),
            path(
                "board/<int:pk>/status/",
                view(lambda request, pk: board.status_view(self, request, pk)),
                name="scheduling_appointment_board_status",
            ),
            path(
                "board/<int:pk>/move/",
                view(lambda request, pk: board.move_view(self, request, pk)),
                name="scheduling_appointment_board_move",
            ),
            path(
                "board/<int:pk>/cancel/",
                view(lambda request, pk: board.cancel_view(self, request, pk)),
                name="scheduling_appointment_board_cancel",
            ),
        ]

    def _require_booking(self, request):
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied

    def free_times_view(self, request):
        """The slot picker's free starts for ?service=&day=YYYY-MM-DD&waiter=1 (an HTML fragment); &moving=
        names the appointment being moved."""
        self._require_booking(request)
        service_type = ServiceType.objects.filter(pk=_pk(request.GET.get("service"))).first()
        day, _ = day_and_time(request.GET.get("day"))
        moving = _pk(request.GET.get("moving"))  # the appointment being moved: its own time is free to it
        free = free_times(service_type, day, waiter=bool(request.GET.get("waiter")), moving=moving)
        return HttpResponse(free.render())

    def vehicles_view(self, request):
        """The customer's vehicles for the booking page's vehicle list (?customer=)."""
        self._require_booking(request)
        if not request.user.has_perm("crm.view_vehicle"):
            raise PermissionDenied
        vehicles = Vehicle.objects.filter(owner_id=_pk(request.GET.get("customer"))).order_by("-year", "id")
        return JsonResponse({"vehicles": [{"id": v.pk, "label": str(v)} for v in vehicles]})

    def save_model(self, request, obj, form, change):
        """The form's booking actions already saved it (see scheduling.forms); what is left is to
        mention the customer's other appointments on the day it landed on."""
        if not change or form.moved:
            self.mention_also_that_day(request, obj)

    def mention_also_that_day(self, request, appointment):
        others = also_that_day(appointment)
        if others:
            who = appointment.customer.name or appointment.customer.phone
            self.message_user(request, say_also_that_day(who, others, ShopProfile.load().tz), messages.WARNING)

    def has_delete_permission(self, request, obj=None):
        return False  # appointments are cancelled, never deleted: the history stays

    @admin.display(description="start", ordering="start")
    def start_local(self, appointment):
        return local_time(appointment.start)

    @admin.display(description="customer", ordering="customer__name")
    def customer_name(self, appointment):
        return appointment.customer.name or display_phone(appointment.customer.phone)

    @admin.display(description="service", ordering="service_type__name")
    def service(self, appointment):
        return appointment.service_type.name

    @admin.display(description="waits", boolean=True, ordering="waiter")
    def waits(self, appointment):
        return appointment.waiter

    @admin.display(description="created")
    def created(self, appointment):
        return local_time(appointment.created_at)

    @admin.display(description="last updated")
    def updated(self, appointment):
        return local_time(appointment.updated_at)

    @admin.display(description="changes")
    def history(self, appointment):
        return history_table(appointment.changes.select_related("actor_user"))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        phone = phone_in_search(term) if term else None
        if phone:
            return queryset.filter(customer__phone=phone), False
        vin = vin_in_search(term) if term else None
        if vin:
            return queryset.filter(vehicle__vin=vin), False
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description="Cancel", permissions=["change"])
    def cancel(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            "cancelled",
            lambda appointment, actor: cancel_appointment(
                appointment, actor=actor, reason="Cancelled in the back office"
            ),
        )

    def apply_to_each(self, request, queryset, done, change):
        actor = Actor.advisor(request.user)
        changed = 0
        for appointment in queryset.select_related("customer", "service_type"):
            try:
                change(appointment, actor)
            except BookingRefused as refusal:
                self.message_user(request, f"{appointment}: {refusal.message}", messages.WARNING)
            else:
                changed += 1
        if changed:
            plural = "appointment" if changed == 1 else "appointments"
            self.message_user(request, f"{changed} {plural} {done}.", messages.SUCCESS)


def _pk(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@admin.register(AppointmentChange)
class AppointmentChangeAdmin(ViewOnlyNoDelete, admin.ModelAdmin):
    """The audit trail, for managers: read-only."""

    list_display = ["at", "appointment", "action", "actor_kind", "actor_user", "actor_label"]
    list_filter = ["action", "actor_kind"]
    list_select_related = ["appointment__customer", "appointment__service_type", "actor_user"]
    search_fields = ["actor_label", "appointment__customer__name"]
    date_hierarchy = "at"
    show_full_result_count = False
    list_per_page = 100


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "duration_minutes", "price_estimate", "waiter_allowed", "active"]
    list_filter = ["active", "waiter_allowed"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: booked appointments point at it


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    """The hours bookings follow, and the hours callers hear: the list shows the sentence they hear."""

    list_display = ["weekday", "opens", "closes", "lunch_start", "lunch_end"]

    def changelist_view(self, request, extra_context=None):
        said = shop_info.hours_answer(clock.now().astimezone(ShopProfile.load().tz))
        heard = f'Callers hear: "{said}"' if said else "No opening hours yet: callers hear no hours."
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": heard})


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["reason", "start_date", "end_date"]
    date_hierarchy = "start_date"


@admin.register(FaqAnswer)
class FaqAnswerAdmin(admin.ModelAdmin):
    list_display = ["question", "topic", "approved", "updated_at", "answer"]
    list_filter = ["approved", "topic"]
    search_fields = ["question", "answer"]

    def changelist_view(self, request, extra_context=None):
        where = "Hours are not an FAQ answer: callers hear them from Opening hours and Closures."
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": where})


@admin.register(ShopProfile)
class ShopProfileAdmin(admin.ModelAdmin):
    """One shop, one row: the list opens it directly."""

    list_display = ["name", "phone", "timezone", "bays", "waiters_per_slot"]
    # One place changes these (phone numbers stored E.164, the zone from a list): the Settings page.
    readonly_fields = shop_settings.EDITABLE_FIELDS

    def change_view(self, request, object_id, form_url="", extra_context=None):
        where = "Name, address, phone, time zone, greeting, recording and transfers are changed on the Settings page."
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "subtitle": where})

    def has_add_permission(self, request):
        return not ShopProfile.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        profile = ShopProfile.objects.order_by("pk").first()
        if profile is not None and self.has_view_or_change_permission(request, profile):
            return HttpResponseRedirect(reverse("admin:scheduling_shopprofile_change", args=[profile.pk]))
        return super().changelist_view(request, extra_context)


from .repair_orders import admin as repair_orders_admin  # noqa: E402, F401  (registers the repair-order pages)
