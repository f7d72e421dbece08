"""The back office for repair orders: the list, the order page with its job lines, and the board.

Every write goes through scheduling.repair_orders.actions with the advisor as the actor, so the
audit trail (RepairOrderChange, shown on the order page) is always written and a refusal is a
message or a form error in the action's own words, never an error page.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import path, reverse
from django.utils.html import format_html

from crm.admin import phone_in_search, vin_in_search
from ottos.lib import clock
from ottos.lib.admin import ViewOnlyNoDelete

from ..actions import Actor
from ..admin_sync import local_time
from ..models import JobLine, RepairOrder, RepairOrderChange
from . import board
from .actions import RepairOrderRefused, approve_job_lines, decline_job_lines, mark_lines_done, move_repair_order
from .board import is_overdue
from .forms import (
    JobLineDecisionForm,
    NewJobLineForm,
    RepairOrderChangeForm,
    RepairOrderOpenForm,
    add_lines,
)

Status = RepairOrder.Status
IN_PERSON = JobLine.Via.IN_PERSON


class OpenFilter(admin.SimpleListFilter):
    title = "open or picked up"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("overdue", "Overdue"), ("closed", "Picked up")]

    def queryset(self, request, queryset):
        match self.value():
            case "open":
                return queryset.open()
            case "overdue":
                return queryset.filter(promised_at__lt=clock.now()).exclude(status__in=[Status.READY, Status.PICKED_UP])
            case "closed":
                return queryset.filter(status=Status.PICKED_UP)
        return queryset


class JobLineInline(admin.TabularInline):
    """The order's work as it stands, and the decisions the customer made at the counter."""

    model = JobLine
    form = JobLineDecisionForm
    fields = ["description", "estimate_shown", "status", "decided", "decision", "reason"]
    readonly_fields = ["description", "estimate_shown", "status", "decided"]
    extra = 0
    can_delete = False
    verbose_name = "job line"
    verbose_name_plural = "work on this order"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="estimate")
    def estimate_shown(self, line):
        return line.estimate or "not priced yet"

    @admin.display(description="decided")
    def decided(self, line):
        if not line.decided_at:
            return "—"
        how = f"{local_time(line.decided_at)}, {line.get_decided_via_display().lower()}"
        if line.decided_by:
            how += f", {line.decided_by}"
        if line.decline_reason:
            how += f" ({line.decline_reason})"
        return how


class NewJobLineInline(admin.TabularInline):
    """Rows for adding work: each becomes a recommended line through add_job_line."""

    model = JobLine
    form = NewJobLineForm
    fields = ["description", "estimate_low", "estimate_high", "amount", "requested_by_customer"]
    extra = 1
    can_delete = False
    verbose_name = "new work"
    verbose_name_plural = "add work (recommended, waiting for the customer)"

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        # Shown as empty rows to fill; the rows themselves are only ever added.
        return self.has_add_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)


class RepairOrderChangeInline(ViewOnlyNoDelete, admin.TabularInline):
    """The audit trail: who changed what, and when."""

    model = RepairOrderChange
    fields = ["at", "action", "who", "line", "what"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor_user", "line")

    @admin.display(description="who")
    def who(self, change):
        return change.actor_user or change.actor_label or change.get_actor_kind_display()

    @admin.display(description="what")
    def what(self, change):
        before, after = change.details.get("before") or {}, change.details.get("after") or {}
        moved = [f"{k}: {before.get(k)!s} → {v!s}" for k, v in after.items() if before and before.get(k) != v]
        return "; ".join(moved) or ("; ".join(f"{k}: {v}" for k, v in after.items() if v not in (None, "")))


def _move_action(status, description, done):
    def action(modeladmin, request, queryset):
        modeladmin.apply_to_each(
            request, queryset, done, lambda order, actor: move_repair_order(order, status, actor=actor)
        )

    action.__name__ = f"move_to_{status}"
    return admin.action(description=description, permissions=["change"])(action)


MOVES = [
    _move_action(Status.CHECKED_IN, "Move to: Checked in", "moved to checked in"),
    _move_action(Status.DIAGNOSING, "Move to: Diagnosing", "moved to diagnosing"),
    _move_action(
        Status.AWAITING_APPROVAL, "Move to: Estimate sent, waiting for approval", "moved to waiting for approval"
    ),
    _move_action(Status.WAITING_PARTS, "Move to: Waiting for parts", "moved to waiting for parts"),
    _move_action(Status.IN_PROGRESS, "Move to: In progress", "moved to in progress"),
    _move_action(Status.READY, "Move to: Ready for pickup", "marked ready for pickup"),
    _move_action(Status.ON_HOLD, "Put on hold", "put on hold"),
    _move_action(Status.PICKED_UP, "Close: picked up", "closed (picked up)"),
]


@admin.register(RepairOrder)
class RepairOrderAdmin(admin.ModelAdmin):
    list_display = [
        "ro_number",
        "status",
        "vehicle",
        "customer",
        "promised",
        "awaiting_decision",
        "technician",
        "opened_at",
    ]
    list_display_links = ["ro_number"]
    list_filter = [OpenFilter, "status", "technician"]
    list_select_related = ["customer", "vehicle"]
    search_fields = ["customer__name", "vehicle__make", "vehicle__model"]
    search_help_text = "Customer name, phone in any format, a full VIN, make or model."
    autocomplete_fields = ["customer", "vehicle", "appointment"]
    show_full_result_count = False
    list_per_page = 50
    date_hierarchy = "opened_at"
    actions = MOVES
    change_readonly = [
        "ro_number",
        "customer",
        "vehicle",
        "appointment",
        "opened_at",
        "closed_at",
        "created_at",
        "updated_at",
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["customer", "vehicle", "appointment", "promised_at", "mileage_in"]}),
                ("For the customer", {"fields": ["status_note", "status_note_approved"]}),
                ("For the shop only", {"fields": ["technician", "internal_notes"]}),
            ]
        return [
            (
                None,
                {
                    "fields": [
                        "ro_number",
                        "customer",
                        "vehicle",
                        "appointment",
                        "status",
                        "promised_at",
                        "opened_at",
                        "closed_at",
                    ]
                },
            ),
            ("For the customer", {"fields": ["status_note", "status_note_approved"]}),
            ("For the shop only (never told to callers)", {"fields": ["technician", "mileage_in", "internal_notes"]}),
            ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly if obj is not None else []

    def get_inlines(self, request, obj):
        return [JobLineInline, NewJobLineInline, RepairOrderChangeInline] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = RepairOrderChangeForm if obj is not None else RepairOrderOpenForm
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": Actor.advisor(request.user)})

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("customer", "vehicle")
            .annotate(awaiting=Count("lines", filter=Q(lines__status=JobLine.Status.RECOMMENDED)))
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if phone := (phone_in_search(term) if term else None):
            return queryset.filter(customer__phone=phone), False
        if vin := (vin_in_search(term) if term else None):
            return queryset.filter(vehicle__vin=vin), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        """The form's actions already saved it (see scheduling.repair_orders.forms)."""

    def save_formset(self, request, form, formset, change):
        """Lines are added and decided through the actions; a refusal is a message, the rest still goes."""
        # Nothing is saved through the formsets, so the admin's change message has nothing from them.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        actor = Actor.advisor(request.user)
        if formset.model is RepairOrderChange:
            return
        if issubclass(formset.form, NewJobLineForm):
            refused = add_lines(form.instance, formset.forms, actor=actor)
        else:
            refused = self.decide_lines(form.instance, formset.forms, actor)
        for sentence in refused:
            self.message_user(request, sentence, messages.WARNING)

    def decide_lines(self, order, line_forms, actor):
        refused = []
        for line_form in line_forms:
            decision, line = line_form.cleaned_data.get("decision"), line_form.instance
            if not decision or line.pk is None:
                continue
            try:
                if decision == JobLineDecisionForm.APPROVE:
                    approve_job_lines(order, [line.pk], actor=actor, via=IN_PERSON)
                elif decision == JobLineDecisionForm.DECLINE:
                    decline_job_lines(
                        order, [line.pk], actor=actor, via=IN_PERSON, reason=line_form.cleaned_data.get("reason", "")
                    )
                else:
                    mark_lines_done(order, [line.pk], actor=actor)
            except RepairOrderRefused as refusal:
                refused.append(f"{line.description}: {refusal.message}")
        return refused

    def has_delete_permission(self, request, obj=None):
        return False  # orders are closed, never deleted: the history stays

    @admin.display(description="RO", ordering="pk")
    def ro_number(self, order):
        return order.number

    @admin.display(description="promised", ordering="promised_at")
    def promised(self, order):
        if order.promised_at is None:
            return "—"
        if is_overdue(order, clock.now()):
            return format_html('<strong class="overdue">Overdue: {}</strong>', local_time(order.promised_at))
        return local_time(order.promised_at)

    @admin.display(description="awaiting decision", ordering="awaiting")
    def awaiting_decision(self, order):
        return order.awaiting

    def apply_to_each(self, request, queryset, done, change):
        actor = Actor.advisor(request.user)
        changed = 0
        for order in queryset.select_related("vehicle"):
            try:
                change(order, actor)
            except RepairOrderRefused as refusal:
                self.message_user(request, f"RO {order.number}: {refusal.message}", messages.WARNING)
            else:
                changed += 1
        if changed:
            plural = "repair order" if changed == 1 else "repair orders"
            self.message_user(request, f"{changed} {plural} {done}.", messages.SUCCESS)

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("board/", view(lambda request: board.board_view(self, request)), name="scheduling_repairorder_board"),
            path(
                "board/<int:pk>/move/",
                view(lambda request, pk: board.move_view(self, request, pk)),
                name="scheduling_repairorder_move",
            ),
            path(
                "follow-ups/",
                view(lambda request: board.follow_ups_view(self, request)),
                name="scheduling_repairorder_follow_ups",
            ),
            path(
                "follow-ups/<int:line_pk>/done/",
                view(lambda request, line_pk: board.followed_up_view(self, request, line_pk)),
                name="scheduling_repairorder_followed_up",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        links = {
            "board_url": reverse("admin:scheduling_repairorder_board"),
            "follow_ups_url": reverse("admin:scheduling_repairorder_follow_ups"),
        }
        return super().changelist_view(request, {**(extra_context or {}), **links})


@admin.register(JobLine)
class JobLineAdmin(admin.ModelAdmin):
    """Every line of work across orders: find what waits for a decision, decide it in person."""

    list_display = [
        "description",
        "repair_order",
        "customer",
        "status",
        "estimate_shown",
        "decided_at",
        "decided_via",
        "follow_up_on",
    ]
    list_filter = ["status", "decided_via", "requested_by_customer"]
    list_select_related = ["repair_order__customer", "repair_order__vehicle"]
    search_fields = ["description", "repair_order__customer__name"]
    show_full_result_count = False
    list_per_page = 100
    actions = ["approve_in_person", "decline_in_person", "mark_done"]

    def has_add_permission(self, request):
        return False  # work is added on its repair order's page

    def has_change_permission(self, request, obj=None):
        # Lines change through the actions below (the list's actions), not through a form.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="customer", ordering="repair_order__customer__name")
    def customer(self, line):
        return line.repair_order.customer

    @admin.display(description="estimate")
    def estimate_shown(self, line):
        return line.estimate or "not priced yet"

    @admin.action(description="Approved by the customer in person", permissions=["change"])
    def approve_in_person(self, request, queryset):
        self.decide_each(
            request,
            queryset,
            "approved",
            lambda line, actor: approve_job_lines(line.repair_order_id, [line.pk], actor=actor, via=IN_PERSON),
        )

    @admin.action(description="Declined by the customer in person", permissions=["change"])
    def decline_in_person(self, request, queryset):
        self.decide_each(
            request,
            queryset,
            "declined",
            lambda line, actor: decline_job_lines(line.repair_order_id, [line.pk], actor=actor, via=IN_PERSON),
        )

    @admin.action(description="Work done", permissions=["change"])
    def mark_done(self, request, queryset):
        self.decide_each(
            request,
            queryset,
            "marked done",
            lambda line, actor: mark_lines_done(line.repair_order_id, [line.pk], actor=actor),
        )

    def decide_each(self, request, queryset, done, change):
        actor = Actor.advisor(request.user)
        changed = 0
        for line in queryset:
            try:
                change(line, actor)
            except RepairOrderRefused as refusal:
                self.message_user(request, f"{line.description}: {refusal.message}", messages.WARNING)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} job line{'s' if changed != 1 else ''} {done}.", messages.SUCCESS)


@admin.register(RepairOrderChange)
class RepairOrderChangeAdmin(ViewOnlyNoDelete, admin.ModelAdmin):
    """The audit trail: read-only."""

    list_display = ["at", "repair_order", "action", "line", "actor_kind", "actor_user", "actor_label"]
    list_filter = ["action", "actor_kind"]
    list_select_related = ["repair_order__vehicle", "line", "actor_user"]
    search_fields = ["actor_label", "repair_order__customer__name"]
    date_hierarchy = "at"
    show_full_result_count = False
    list_per_page = 100
