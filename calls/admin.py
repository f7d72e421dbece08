from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from crm.phones import display_phone
from ottos.lib.admin import ViewOnly

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
    fields = ["turn_index", "stt_final_ms", "llm_first_token_ms", "tts_first_byte_ms", "first_audio_ms", "voice_to_voice_ms"]


class CallEventInline(ReadOnlyInline):
    model = CallEvent
    fields = ["at", "kind", "data"]


@admin.register(Call)
class CallAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["started_at", "caller", "customer", "outcome", "status", "duration_s", "interruption_count", "transferred"]
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
        "created_at", "name", "phone_display", "urgency", "reason", "voicemail_link", "is_open", "alerted", "handled_by",
    ]
    list_filter = [HandledFilter, "urgency", "created_at"]
    list_select_related = ["handled_by", "customer"]
    search_fields = ["name", "phone", "reason", "customer__name", "transcript"]
    readonly_fields = [
        "call", "customer", "created_at", "handled_at", "handled_by", "voicemail", "transcript", "alerted_at",
        "alert_error",
    ]
    fields = [
        "name", "phone", "reason", "urgency", "voicemail", "transcript", "customer", "call", "created_at", "handled_at",
        "handled_by", "alerted_at", "alert_error",
    ]
    def get_ordering(self, request):
        """Open requests first, the urgent ones on top, newest first within each."""
        urgency = CallbackRequest.Urgency
        rank = Case(When(urgency=urgency.URGENT, then=Value(0)), When(urgency=urgency.SOON, then=Value(1)),
                    default=Value(2))
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
        # Conditional update: a message someone else already handled keeps its handler.
        done = queryset.filter(handled_at__isnull=True).update(handled_at=timezone.now(), handled_by=request.user)
        self.message_user(request, f"{done} message(s) marked done.", messages.SUCCESS)
