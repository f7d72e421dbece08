"""The back office for customers and vehicles.

Advisors type phone numbers and VINs the way people say them; both are normalized here so a
search or a save never depends on the format typed.
"""

import re

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from ottos.lib.admin import ViewOnlyNoDelete
from scheduling.admin_sync import local_time
from scheduling.history import describe, vehicle_ids, vehicle_names
from scheduling.models import Appointment, AppointmentChange, RepairOrder

from .admin_recalls import decode_again, recall_count, recall_list
from .models import Customer, Vehicle
from .phones import display_phone, normalize_phone
from .tasks import queue_vin_decode
from .vin import normalize_vin

PARTIAL_PHONE = re.compile(r"[\d\s().+-]*\d{3}[\d\s().+-]*")


def phone_in_search(term):
    """The E.164 number `term` reads as, or None (then it is a name, email, VIN...)."""
    try:
        return normalize_phone(term)
    except ValidationError:
        return None


def vin_in_search(term):
    try:
        return normalize_vin(term)
    except ValidationError:
        return None


class CustomerForm(forms.ModelForm):
    # Wider than the stored E.164 column: "+1 (312) 555-0147" is longer than "+13125550147".
    phone = forms.CharField(max_length=40, help_text="Any format, e.g. (312) 555-0147; stored as +13125550147.")

    class Meta:
        model = Customer
        fields = ["name", "phone", "email", "sms_opt_in", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial.get("phone"):
            self.initial["phone"] = display_phone(self.initial["phone"])  # shown as (312) 555-0147

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data["phone"])
        taken = Customer.objects.filter(phone=phone).exclude(pk=self.instance.pk).first()
        if taken is not None:
            raise ValidationError(f"{display_phone(phone)} is already on file for {taken.name or 'another customer'}.")
        return phone


class VehicleForm(forms.ModelForm):
    # Wider than 17: people paste VINs with spaces and dashes.
    vin = forms.CharField(label="VIN", max_length=40, required=False)

    class Meta:
        model = Vehicle
        fields = ["owner", "vin", "year", "make", "model", "trim", "mileage"]

    def clean_vin(self):
        raw = self.cleaned_data["vin"]
        if not raw.strip():
            return ""
        vin = normalize_vin(raw)
        taken = Vehicle.objects.filter(vin=vin).exclude(pk=self.instance.pk).select_related("owner").first()
        if taken is not None:
            raise ValidationError(f"VIN {vin} is already on file: {taken} of {taken.owner}.")
        return vin


def decode_new_vin(vehicle, form):
    """A new or corrected VIN gets decoded, as when the phone agent adds one."""
    if vehicle.vin and "vin" in form.changed_data:
        queue_vin_decode(vehicle.pk)


class VehicleInline(admin.TabularInline):
    model = Vehicle
    form = VehicleForm
    fields = ["vin", "year", "make", "model", "trim", "mileage"]
    extra = 0
    show_change_link = True


class LatestInline(ViewOnlyNoDelete, admin.TabularInline):
    """Read-only rows of a customer's records, only the latest `shown` of them (in the inline's
    `ordering`): the page of a customer with years of history stays short and quick.

    The rows are shown, never posted back: saving the customer neither reads nor needs them, so a
    section another room adds (add_to_customer_page) never changes what the customer's form takes."""

    shown = 20
    extra = 0
    can_delete = False
    template = "admin/edit_inline/latest_rows.html"  # one line per record: its first column links it

    def get_formset(self, request, obj=None, **kwargs):
        limit = self.shown

        class Latest(super().get_formset(request, obj, **kwargs)):
            shown = limit

            def __init__(self, data=None, files=None, **kwargs):
                super().__init__(None, None, **kwargs)

            def get_queryset(self):
                if not hasattr(self, "_latest"):
                    self._latest = super().get_queryset()[: self.shown]
                return self._latest

            def is_valid(self):
                return True

            def save(self, commit=True):
                self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
                return []

        return Latest


class AppointmentInline(LatestInline):
    """The customer's appointments, read-only: bookings change through the appointment page."""

    model = Appointment
    fields = ["when", "service_type", "vehicle", "status", "waiter", "source", "last_change"]
    readonly_fields = fields
    ordering = ["-start", "-id"]
    shown = 30
    verbose_name_plural = "appointments (open one to change it or read its history)"

    def get_queryset(self, request):
        newest_first = AppointmentChange.objects.select_related("actor_user").order_by("-at", "-id")
        return (
            super()
            .get_queryset(request)
            .select_related("service_type", "vehicle", "customer")
            .prefetch_related(Prefetch("changes", queryset=newest_first))
        )

    @admin.display(description="when")
    def when(self, appointment):
        url = reverse("admin:scheduling_appointment_change", args=[appointment.pk])
        return format_html('<a href="{}">{}</a>', url, local_time(appointment.start))

    @admin.display(description="last change")
    def last_change(self, appointment):
        changes = appointment.changes.all()
        if not changes:
            return "-"
        latest = changes[0]
        names = self._vehicle_names(appointment.customer_id)
        if not vehicle_ids(latest) <= names.keys():
            names = {**names, **vehicle_names([latest])}  # moved to another owner since: looked up alone
        return describe(latest, names)

    def _vehicle_names(self, customer_id):
        """The customer's vehicles' names, read once for the page (an inline is made per request)."""
        if getattr(self, "_names_of", None) != customer_id:
            self._names = {vehicle.pk: str(vehicle) for vehicle in Vehicle.objects.filter(owner_id=customer_id)}
            self._names_of = customer_id
        return self._names


class RepairOrderInline(LatestInline):
    """The repair orders, read-only: an order changes through its own page (open it from here)."""

    model = RepairOrder
    fields = ["order", "opened", "vehicle", "status", "promised", "closed"]
    readonly_fields = fields
    ordering = ["-opened_at", "-id"]
    verbose_name_plural = "repair orders (open one to change it)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("vehicle", "customer")

    @admin.display(description="repair order")
    def order(self, order):
        url = reverse("admin:scheduling_repairorder_change", args=[order.pk])
        return format_html('<a href="{}">RO {}</a>', url, order.number)

    @admin.display(description="opened")
    def opened(self, order):
        return local_time(order.opened_at)

    @admin.display(description="promised")
    def promised(self, order):
        return local_time(order.promised_at) if order.promised_at else "-"

    @admin.display(description="closed")
    def closed(self, order):
        return local_time(order.closed_at) if order.closed_at else "-"


class VehicleRepairOrderInline(RepairOrderInline):
    fields = ["order", "opened", "customer", "status", "promised", "closed", "mileage_in"]
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerForm
    # Short headings: the list fits a 1280 px screen beside the menu and the filter.
    list_display = ["name", "phone_display", "email", "texts_ok", "no_shows", "on_file_since"]
    list_filter = ["sms_opt_in"]
    search_fields = ["name", "email", "phone"]
    search_help_text = "Name, email, phone in any format (or its last digits), or a full VIN."
    ordering = ["-id"]  # newest first: an index scan, where sorting 100k names is not
    readonly_fields = ["no_show_count", "created", "updated"]
    fields = ["name", "phone", "email", "sms_opt_in", "notes", "no_show_count", "created", "updated"]
    inlines = [VehicleInline, AppointmentInline]
    # What other rooms show of the customer (see add_to_customer_page): calls adds their calls and
    # messages, which crm may not import.
    more_inlines = []

    def get_inlines(self, request, obj):
        return [*self.inlines, RepairOrderInline, *self.more_inlines] if obj is not None else self.inlines

    show_full_result_count = False
    list_per_page = 50

    @admin.display(description="phone", ordering="phone")
    def phone_display(self, customer):
        return format_html('<span class="nowrap">{}</span>', display_phone(customer.phone))

    @admin.display(description="texts OK", boolean=True, ordering="sms_opt_in")
    def texts_ok(self, customer):
        return customer.sms_opt_in

    @admin.display(description="no-shows", ordering="no_show_count")
    def no_shows(self, customer):
        return customer.no_show_count

    @admin.display(description="created")
    def created(self, customer):
        return local_time(customer.created_at) if customer.created_at else "-"

    @admin.display(description="last updated")
    def updated(self, customer):
        return local_time(customer.updated_at) if customer.updated_at else "-"

    @admin.display(description="since", ordering="created_at")
    def on_file_since(self, customer):
        return date_format(timezone.localtime(customer.created_at), "M j, Y")

    def get_search_results(self, request, queryset, search_term):
        # One targeted condition per kind of term instead of Django's OR over every field:
        # with 100k customers a whole number or VIN is an index lookup, not a table scan.
        term = search_term.strip()
        if not term:
            return queryset, False
        if phone := phone_in_search(term):
            return queryset.filter(phone=phone), False
        if vin := vin_in_search(term):
            return queryset.filter(vehicles__vin=vin), False
        if "@" in term:
            return queryset.filter(email__icontains=term), False
        if PARTIAL_PHONE.fullmatch(term):
            return queryset.filter(phone__contains=re.sub(r"\D", "", term)), False
        for word in term.split():
            queryset = queryset.filter(name__icontains=word)
        return queryset, False

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Vehicle:
            for vehicle_form in formset.forms:
                if vehicle_form.instance.pk and vehicle_form.has_changed():
                    decode_new_vin(vehicle_form.instance, vehicle_form)


def add_to_customer_page(*inlines):
    """Show another room's records of the customer on the customer's page, as read-only inlines
    (LatestInline) whose model has a foreign key to Customer."""
    CustomerAdmin.more_inlines.extend(inline for inline in inlines if inline not in CustomerAdmin.more_inlines)


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    form = VehicleForm
    list_display = ["__str__", "vin", "owner_link", "mileage", "decoded_at", "decode_source", recall_count]
    list_filter = ["decode_source"]
    actions = [decode_again]
    list_select_related = ["owner"]
    search_fields = ["vin", "make", "model"]
    search_help_text = "VIN (full or part), make, model, or the owner's phone in any format."
    ordering = ["-id"]  # the model's owner-name ordering would sort every customer
    autocomplete_fields = ["owner"]
    readonly_fields = [
        "decode_source",
        "decoded",
        "decoded_at",
        recall_list,
        "recalls_checked_at",
        "created_at",
        "updated_at",
    ]
    show_full_result_count = False
    list_per_page = 50

    def get_inlines(self, request, obj):
        return [VehicleRepairOrderInline] if obj is not None else []

    @admin.display(description="owner", ordering="owner__name")
    def owner_link(self, vehicle):
        url = reverse("admin:crm_customer_change", args=[vehicle.owner_id])
        return format_html('<a href="{}">{}</a>', url, vehicle.owner)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        phone = phone_in_search(term) if term else None
        if phone:
            return queryset.filter(owner__phone=phone), False
        vin = vin_in_search(term) if term else None
        if vin:
            return queryset.filter(vin=vin), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        decode_new_vin(obj, form)
