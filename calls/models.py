from django.conf import settings
from django.db import models
from django.utils import timezone

from crm.phones import display_phone


class Call(models.Model):
    class Status(models.TextChoices):
        RINGING = "ringing", "Ringing"
        IN_PROGRESS = "in-progress", "In progress"
        COMPLETED = "completed", "Completed"
        BUSY = "busy", "Busy"
        FAILED = "failed", "Failed"
        NO_ANSWER = "no-answer", "No answer"
        CANCELED = "canceled", "Canceled"

    class Outcome(models.TextChoices):
        BOOKED = "booked", "Booked"
        RESCHEDULED = "rescheduled", "Rescheduled"
        CANCELLED = "cancelled", "Cancelled"
        APPROVED = "approved", "Work approved"
        INFO = "info", "Information"
        MESSAGE = "message", "Message taken"
        TRANSFERRED = "transferred", "Transferred"
        ABANDONED = "abandoned", "Abandoned"
        OVER_CAPACITY = "overflow", "Lines full: handed over"

    class Handover(models.TextChoices):
        ADVISOR = "advisor", "Put through to an advisor"
        VOICEMAIL = "voicemail", "Leaving a voicemail"

    TERMINAL_STATUSES = (Status.COMPLETED, Status.BUSY, Status.FAILED, Status.NO_ANSWER, Status.CANCELED)

    call_sid = models.CharField("call SID", max_length=64, unique=True)
    stream_sid = models.CharField("stream SID", max_length=64, blank=True)
    # Caller ID exactly as Twilio sent it: E.164, or "anonymous", "client:x", a SIP URI.
    from_number = models.CharField("from", max_length=128, blank=True)
    to_number = models.CharField("to", max_length=128, blank=True)
    customer = models.ForeignKey("crm.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RINGING)
    duration_s = models.PositiveIntegerField("duration (s)", null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    summary = models.TextField(blank=True)
    end_reason = models.CharField(max_length=40, blank=True, help_text="Why the conversation ended.")
    interrupted = models.BooleanField(default=False, help_text="The caller talked over the agent at least once.")
    interruption_count = models.PositiveIntegerField(default=0)
    transferred = models.BooleanField(default=False)
    # After the agent: where Twilio took the caller (an advisor's phone, then maybe the voicemail),
    # and when that was over. The call stays on the live page until then.
    handover = models.CharField(max_length=10, choices=Handover.choices, blank=True)
    handover_ended_at = models.DateTimeField(null=True, blank=True)
    advisor_leg_s = models.PositiveIntegerField(
        "advisor's leg (s)",
        null=True,
        blank=True,
        help_text="How long the advisor talked with the caller after a transfer, as Twilio reported it.",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["-started_at"], name="call_started_at"),
            models.Index(fields=["from_number", "-started_at"], name="call_from_started"),
        ]

    def __str__(self):
        return f"Call from {self.caller_display} at {timezone.localtime(self.started_at):%b %-d %-I:%M %p}"

    @property
    def caller_display(self):
        return display_phone(self.from_number) if self.from_number.startswith("+") else (self.from_number or "unknown")

    @property
    def is_over(self):
        return self.ended_at is not None


class Turn(models.Model):
    class Role(models.TextChoices):
        CALLER = "user", "Caller"
        AGENT = "assistant", "Agent"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField(help_text="What was said (for the agent: everything it meant to say).")
    heard_text = models.TextField(blank=True, help_text="For the agent: what the caller actually heard.")
    interrupted = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        ordering = ["call", "index"]
        constraints = [models.UniqueConstraint(fields=["call", "index"], name="turn_call_index_unique")]

    def __str__(self):
        return f"{self.get_role_display()}: {self.text[:60]}"


class ToolInvocation(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="tool_invocations")
    name = models.CharField(max_length=60)
    arguments = models.TextField(blank=True, help_text="JSON text, as the model produced it.")
    result = models.TextField(blank=True)
    ok = models.BooleanField()
    duration_ms = models.FloatField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["call", "at", "id"]

    def __str__(self):
        return f"{self.name} ({'ok' if self.ok else 'failed'})"


class TurnLatency(models.Model):
    """How long one reply took, stage by stage, from the end of the caller's speech.

    Each stage is measured from the end of the previous one; voice_to_voice_ms is the whole
    wait the caller experienced (end of their speech to the first agent audio sent).
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="latencies")
    turn_index = models.PositiveIntegerField(help_text="Index of the caller turn this replies to.")
    stt_final_ms = models.FloatField("speech end → final transcript (ms)")
    llm_first_token_ms = models.FloatField("→ first LLM token (ms)", null=True, blank=True)
    tts_first_byte_ms = models.FloatField("→ first TTS byte (ms)", null=True, blank=True)
    first_audio_ms = models.FloatField("→ first audio sent (ms)", null=True, blank=True)
    voice_to_voice_ms = models.FloatField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["call", "turn_index", "id"]
        verbose_name_plural = "turn latencies"

    def __str__(self):
        return f"turn {self.turn_index}: {self.voice_to_voice_ms or '-'} ms"


class CallEvent(models.Model):
    """Something that happened to the call's machinery: vendor errors, reconnects, failover."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["call", "at", "id"]

    def __str__(self):
        return self.kind


class CallUsage(models.Model):
    """What the call used of each vendor, as the voice loop counted it (calls/voice/usage.py),
    written by the transcript log when the session ends. Offline engines are counted too: they
    cost nothing. The price is worked out from settings when shown (calls/costs.py), and Twilio's
    voice minutes from the call's duration. A call without this row has no known cost."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="usage")
    stream_s = models.FloatField("media stream (s)", default=0)
    llm_models = models.CharField("language models", max_length=120, blank=True)
    openai_prompt_tokens = models.PositiveIntegerField("OpenAI input tokens", default=0)
    openai_completion_tokens = models.PositiveIntegerField("OpenAI output tokens", default=0)
    openai_rounds = models.PositiveIntegerField("OpenAI requests", default=0)
    openai_unreported_rounds = models.PositiveIntegerField(
        "OpenAI requests without usage",
        default=0,
        help_text="The server did not say what these used: the language model's cost is unknown.",
    )
    offline_brain_rounds = models.PositiveIntegerField("scripted receptionist rounds", default=0)
    stt_deepgram_s = models.FloatField("Deepgram speech-to-text (s)", default=0)
    stt_offline_s = models.FloatField("offline speech-to-text (s)", default=0)
    tts_deepgram_chars = models.PositiveIntegerField("Deepgram text-to-speech (characters)", default=0)
    tts_offline_chars = models.PositiveIntegerField("offline text-to-speech (characters)", default=0)

    class Meta:
        verbose_name_plural = "call usage"

    def __str__(self):
        return f"Usage of {self.call_id}"

    @classmethod
    def from_counts(cls, call_id, counts):
        """The row for the voice loop's "usage" event data (calls.voice.usage.CallUsage.as_dict)."""

        def by_engine(name):
            figures = counts.get(name) or {}
            vendor = figures.get("deepgram", 0)
            return vendor, sum(value for engine, value in figures.items() if engine != "deepgram")

        stt_deepgram, stt_offline = by_engine("stt_seconds")
        tts_deepgram, tts_offline = by_engine("tts_characters")
        rounds = counts.get("brain_rounds") or {}
        return cls(
            call_id=call_id,
            stream_s=counts.get("stream_s") or 0,
            llm_models=", ".join(counts.get("models") or ())[:120],
            openai_prompt_tokens=(counts.get("prompt_tokens") or {}).get("openai", 0),
            openai_completion_tokens=(counts.get("completion_tokens") or {}).get("openai", 0),
            openai_rounds=rounds.get("openai", 0),
            openai_unreported_rounds=(counts.get("unreported_rounds") or {}).get("openai", 0),
            offline_brain_rounds=sum(n for vendor, n in rounds.items() if vendor != "openai"),
            stt_deepgram_s=stt_deepgram,
            stt_offline_s=stt_offline,
            tts_deepgram_chars=tts_deepgram,
            tts_offline_chars=tts_offline,
        )


class CallbackRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(handled_at__isnull=True)


def _voicemail_path(callback, filename):
    return f"voicemails/{timezone.now():%Y/%m}/{filename}"


class CallbackRequest(models.Model):
    """A message for an advisor: call this person back. Taken by the agent, or left as a voicemail
    (then with its recording and, once calls.tasks.transcribe_voicemail ran, its transcript)."""

    class Urgency(models.TextChoices):
        ROUTINE = "routine", "Routine"
        SOON = "soon", "Today"
        URGENT = "urgent", "Urgent"

    call = models.ForeignKey(Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="callback_requests")
    customer = models.ForeignKey(
        "crm.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="callback_requests"
    )
    name = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=16, blank=True, help_text="Number to call back (E.164).")
    reason = models.TextField()
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_note = models.TextField("note", blank=True, help_text="What the advisor who called back noted.")
    # A voicemail: Twilio's recording (its SID makes a replayed webhook file nothing twice), the
    # audio copied here, and what the offline recognizer heard in it.
    recording_sid = models.CharField("recording SID", max_length=64, blank=True)
    recording_url = models.URLField("recording at Twilio", max_length=500, blank=True)
    recording = models.FileField("voicemail audio", upload_to=_voicemail_path, blank=True)
    recording_duration_s = models.PositiveIntegerField("voicemail length (s)", null=True, blank=True)
    transcript = models.TextField(blank=True)
    # Urgent requests alert the advisors (calls.alerts): when the alert was sent, and what failed.
    alerted_at = models.DateTimeField("advisors alerted", null=True, blank=True)
    alert_error = models.TextField(blank=True)

    objects = CallbackRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["handled_at", "-created_at"], name="callback_open_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["recording_sid"], condition=~models.Q(recording_sid=""), name="callback_recording_sid_unique"
            )
        ]

    def __str__(self):
        who = self.name or (display_phone(self.phone) if self.phone else "caller")
        return f"Call back {who}: {self.reason[:50]}"

    @property
    def is_open(self):
        return self.handled_at is None

    @property
    def is_voicemail(self):
        return bool(self.recording_sid)


def _recording_path(recording, filename):
    return f"recordings/{timezone.now():%Y/%m}/{filename}"


class CallRecording(models.Model):
    """The call's audio, both legs in one stereo file (caller left, agent right), kept for
    RECORDING_RETENTION_DAYS when the shop records calls (scheduling.shop_settings)."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="recording")
    audio = models.FileField(upload_to=_recording_path)
    content_type = models.CharField(max_length=40, default="audio/wav")
    duration_s = models.FloatField("duration (s)", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="recording_created")]

    def __str__(self):
        return f"Recording of {self.call}"
