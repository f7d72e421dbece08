from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from crm.admin import LatestInline, add_to_customer_page
from crm.phones import display_phone
from ottos.lib.admin import ViewOnly
from scheduling.admin_sync import local_time

from .actions import mark_called_back
from .alerts import alerts_configured
from .models import Call, CallbackRequest, CallEvent, ToolInvocation, Turn, TurnLatency


class ReadOnlyInline(ViewOnly, admin.TabularInline):
    """Call records are written by the phone agent only; the admin shows them."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in ("id", "call")]


class TurnInline(ReadOnlyInline):
    model = Turn
    fields = ["index", "role", "text", "heard_text", "interrupted", "started_at"]


class ToolInvocationInline(ReadOnlyInline):
    model = ToolInvocation
    fields = ["at", "name", "arguments", "result", "ok", "duration_ms"]


class TurnLatencyInline(ReadOnlyInline):
    model = TurnLatency
    fields = [
        "turn_index",
        "stt_final_ms",
        "llm_first_token_ms",
        "tts_first_byte_ms",
        "first_audio_ms",
        "voice_to_voice_ms",
    ]


class CallEventInline(ReadOnlyInline):
    model = CallEvent
    fields = ["at", "kind", "data"]


@admin.register(Call)
class CallAdmin(ViewOnly, admin.ModelAdmin):
    list_display = [
        "started_at",
        "caller",
        "customer",
        "outcome",
        "status",
        "duration_s",
        "interruption_count",
        "transferred",
    ]
    list_filter = ["outcome", "status", "transferred", "handover", "interrupted", "started_at"]
    list_select_related = ["customer"]
    search_fields = ["from_number", "call_sid", "customer__name", "summary"]
    date_hierarchy = "started_at"
    inlines = [TurnInline, ToolInvocationInline, TurnLatencyInline, CallEventInline]

    @admin.display(description="Caller", ordering="from_number")
    def caller(self, call):
        return call.caller_display


class HandledFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("done", "Done")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(handled_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(handled_at__isnull=False)
        return queryset


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "name",
        "phone_display",
        "urgency",
        "reason",
        "voicemail_link",
        "is_open",
        "alerted",
        "handled_by",
    ]
    list_filter = [HandledFilter, "urgency", "created_at"]
    list_select_related = ["handled_by", "customer"]
    search_fields = ["name", "phone", "reason", "customer__name", "transcript"]
    readonly_fields = [
        "call",
        "customer",
        "created_at",
        "handled_at",
        "handled_by",
        "handled_note",
        "voicemail",
        "transcript",
        "alerted_at",
        "alert_error",
    ]
    fields = [
        "name",
        "phone",
        "reason",
        "urgency",
        "voicemail",
        "transcript",
        "customer",
        "call",
        "created_at",
        "handled_at",
        "handled_by",
        "handled_note",
        "alerted_at",
        "alert_error",
    ]

    def get_ordering(self, request):
        """Open requests first, the urgent ones on top, newest first within each."""
        urgency = CallbackRequest.Urgency
        rank = Case(
            When(urgency=urgency.URGENT, then=Value(0)), When(urgency=urgency.SOON, then=Value(1)), default=Value(2)
        )
        return [F("handled_at").desc(nulls_first=True), rank, "-created_at", "-id"]

    @admin.display(description="Advisors alerted")
    def alerted(self, callback):
        if callback.urgency != CallbackRequest.Urgency.URGENT:
            return "-"
        if callback.alerted_at is None:
            return "not alerted (no alert channel set)" if not alerts_configured() else "not yet"
        return "alerted, some alerts failed" if callback.alert_error else "alerted"

    actions = ["mark_done"]

    def get_urls(self):
        audio = self.admin_site.admin_view(self.voicemail_audio)
        return [path("<int:pk>/voicemail/", audio, name="calls_callbackrequest_voicemail"), *super().get_urls()]

    def voicemail_audio(self, request, pk):
        """The voicemail's audio, for anyone who may see the callback request (not a public media URL)."""
        callback = get_object_or_404(CallbackRequest, pk=pk)
        if not self.has_view_permission(request, callback):
            raise PermissionDenied
        if not callback.recording or not callback.recording.storage.exists(callback.recording.name):
            raise Http404("This voicemail's audio is not stored here.")
        return FileResponse(callback.recording.open("rb"), content_type="audio/wav")

    def _audio_url(self, callback):
        if callback.recording:
            return reverse("admin:calls_callbackrequest_voicemail", args=[callback.pk])
        return callback.recording_url  # not copied (yet): Twilio's copy, behind the account's login

    @admin.display(description="Voicemail")
    def voicemail_link(self, callback):
        url = self._audio_url(callback) if callback.is_voicemail else ""
        return format_html('<a href="{}">Listen</a>', url) if url else "-"

    @admin.display(description="Voicemail")
    def voicemail(self, callback):
        if not callback.is_voicemail:
            return "-"
        length = f"{callback.recording_duration_s} s" if callback.recording_duration_s is not None else ""
        if callback.recording:
            return format_html('<audio controls preload="none" src="{}"></audio> {}', self._audio_url(callback), length)
        if callback.recording_url:
            return format_html('<a href="{}">Listen at Twilio</a> {}', callback.recording_url, length)
        return length or "-"

    @admin.display(description="Phone", ordering="phone")
    def phone_display(self, request_row):
        return display_phone(request_row.phone) if request_row.phone else "-"

    @admin.display(description="Open", boolean=True, ordering="handled_at")
    def is_open(self, request_row):
        return request_row.is_open

    @admin.action(description="Mark selected messages as done", permissions=["change"])
    def mark_done(self, request, queryset):
        # The inbox's action, one request at a time: one someone else already handled keeps its handler.
        done = sum(mark_called_back(callback, by=request.user) for callback in queryset.filter(handled_at__isnull=True))
        self.message_user(request, f"{done} message(s) marked done.", messages.SUCCESS)


# --- On the customer's page (crm shows them without importing calls) -------------------------


class CustomerCallInline(LatestInline):
    """The customer's calls, newest first, each a link to its transcript."""

    model = Call
    fields = ["when", "outcome", "length", "about"]
    readonly_fields = fields
    ordering = ["-started_at", "-id"]
    verbose_name_plural = "calls (open one to read its transcript)"

    @admin.display(description="when")
    def when(self, call):
        return format_html(
            '<a href="{}">{}</a>', reverse("call_pages:detail", args=[call.call_sid]), local_time(call.started_at)
        )

    @admin.display(description="summary")
    def about(self, call):
        return Truncator(call.summary).chars(120) or "-"

    @admin.display(description="length")
    def length(self, call):
        if call.duration_s is None:
            return "-"
        return f"{call.duration_s // 60}:{call.duration_s % 60:02d}"


class CustomerCallbackInline(LatestInline):
    """The messages the agent took for an advisor to call the customer back."""

    model = CallbackRequest
    fields = ["asked", "urgency", "reason", "called_back", "on_call"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "callback requests"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("handled_by", "call")

    @admin.display(description="asked")
    def asked(self, callback):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:calls_callbackrequest_change", args=[callback.pk]),
            local_time(callback.created_at),
        )

    @admin.display(description="called back")
    def called_back(self, callback):
        if callback.is_open:
            return "Not yet"
        by = f" by {callback.handled_by.get_username()}" if callback.handled_by else ""
        return f"{local_time(callback.handled_at)}{by}"

    @admin.display(description="call")
    def on_call(self, callback):
        if callback.call is None:
            return "-"
        return format_html('<a href="{}">transcript</a>', reverse("call_pages:detail", args=[callback.call.call_sid]))


add_to_customer_page(CustomerCallInline, CustomerCallbackInline)
