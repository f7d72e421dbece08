"""Back-office pieces for the background work: the appointment's texts, the list of all texts,
and the "resync with Google Calendar" action. Used by scheduling/admin.py."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from ottos.lib.admin import ViewOnlyNoDelete

from . import calendar, calendar_sync
from .models import TextMessage
from .tasks import queue_calendar_sync


def local_time(moment):
    return date_format(timezone.localtime(moment), "D M j, g:i A")


TEXT_FIELDS = [
    "created_at",
    "kind",
    "status",
    "to",
    "body",
    "twilio_sid",
    "twilio_status",
    "error",
    "send_after",
    "sent_at",
]


@admin.display(description="texts")
def texts_sent(modeladmin, appointment):
    """The appointment's texts, as sent or held back (a table on the appointment page)."""
    sent = appointment.texts.order_by("created_at")
    if not sent:
        return "No texts." if appointment.customer.sms_opt_in else "No texts (the customer has not agreed to texts)."
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                local_time(t.sent_at or t.send_after),
                t.get_kind_display(),
                t.get_status_display(),
                t.body,
                t.twilio_sid or "-",
                t.error or "",
            )
            for t in sent
        ),
    )
    return format_html(
        "<table><tr><th>When</th><th>What</th><th>Status</th><th>Text</th><th>Twilio SID</th><th>Problem</th></tr>"
        "{}</table>",
        rows,
    )


@admin.action(description="Resync with Google Calendar", permissions=["change"])
def resync_calendar(modeladmin, request, queryset):
    if not calendar.is_configured():
        modeladmin.message_user(request, "No Google Calendar is configured.", messages.WARNING)
        return
    ids = list(queryset.values_list("pk", flat=True))
    calendar_sync.mark_pending(ids)
    for appointment_id in ids:
        queue_calendar_sync(appointment_id)
    plural = "appointment" if len(ids) == 1 else "appointments"
    modeladmin.message_user(request, f"{len(ids)} {plural} queued for calendar sync.", messages.SUCCESS)


@admin.register(TextMessage)
class TextMessageAdmin(ViewOnlyNoDelete, admin.ModelAdmin):
    """Every text sent (or held back) to customers: read-only."""

    list_display = ["created_at", "to", "kind", "status", "appointment", "twilio_sid", "sent_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["appointment__customer", "appointment__service_type"]
    search_fields = ["to", "twilio_sid", "customer__name"]
    date_hierarchy = "created_at"
    fields = ["appointment", "customer", "for_start", "attempts", "updated_at", *TEXT_FIELDS]
    readonly_fields = fields
    show_full_result_count = False
    list_per_page = 100
