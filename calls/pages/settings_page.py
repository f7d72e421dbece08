"""The managers' Settings page: the shop's name, address, phone and time zone, what callers hear
(greeting, recording disclosure), where transfers ring, whether calls are recorded, whether
bookings are confirmed by text, where calls go after hours and the agent's (Deepgram) voice. Saved by scheduling.shop_settings.save_shop_settings; every reader
takes these through scheduling.shop_settings, where the page's value beats the environment's.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from calls.voice.tts.voices import AURA_2_ENGLISH_VOICES
from crm.phones import display_phone, normalize_phone
from scheduling.models import ShopProfile
from scheduling.shop_settings import save_shop_settings, settings_of
from scheduling.shop_time_zone import time_zone_choices

from .access import can_see_dashboard, nav_context

_ON_OFF = {"on": True, "off": False}


def _on_off(value):
    return "" if value is None else ("on" if value else "off")


class ShopSettingsForm(forms.Form):
    name = forms.CharField(max_length=120, label="Shop name")
    address = forms.CharField(max_length=250, required=False, label="Address")
    phone = forms.CharField(max_length=40, required=False, label="Shop phone", help_text="Any format.")
    timezone = forms.ChoiceField(label="Time zone")
    greeting = forms.CharField(
        max_length=300,
        required=False,
        label="Greeting",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Blank: “Thanks for calling” and the shop’s name. Callers the shop knows hear their first name first.",
    )
    recording_disclosure = forms.CharField(
        max_length=300,
        required=False,
        label="Recording disclosure",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Said right after the greeting.",
    )
    advisor_number = forms.CharField(
        max_length=40,
        required=False,
        label="Advisor number for transfers",
        help_text="A person answers here when callers ask for one. Any format.",
    )
    recording_enabled = forms.TypedChoiceField(
        label="Record calls",
        coerce=_ON_OFF.get,
        empty_value=None,
        required=False,
    )
    voice = forms.ChoiceField(
        required=False,
        label="Voice",
        help_text="Deepgram's voice, when Deepgram speaks for the agent; the offline voice has one.",
    )
    after_hours = forms.ChoiceField(
        choices=ShopProfile.AfterHours.choices,
        label="After hours",
        help_text="Calls outside opening hours and on closures (set on Hours and services).",
    )
    text_confirmations = forms.BooleanField(
        required=False,
        label="Text confirmations",
        help_text="Text customers who agreed to texts when a booking is made or moved.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = time_zone_choices()
        self.fields["voice"].choices = [("", f"As the server is set up ({settings.VOICE_TTS_MODEL})")] + [
            (name, name.removeprefix("aura-2-").removesuffix("-en").title()) for name in AURA_2_ENGLISH_VOICES
        ]
        env_recording = "on" if settings.RECORDING_ENABLED else "off"
        self.fields["recording_enabled"].choices = [
            ("", f"As the server is set up ({env_recording})"),
            ("on", "On"),
            ("off", "Off"),
        ]
        self.fields["recording_disclosure"].widget.attrs["placeholder"] = settings.RECORDING_DISCLOSURE
        if settings.SHOP_ADVISOR_NUMBER:
            self.fields[
                "advisor_number"
            ].help_text += f" Blank: {display_phone(settings.SHOP_ADVISOR_NUMBER)} (SHOP_ADVISOR_NUMBER)."
        else:
            self.fields["advisor_number"].help_text += " Blank: nobody; callers leave a message instead."
        if not settings.TEXTS_ENABLED:
            self.fields["text_confirmations"].help_text += " Texting is not set up on this server (TEXTS_ENABLED)."

    def _phone(self, name):
        raw = self.cleaned_data[name].strip()
        return normalize_phone(raw) if raw else ""

    def clean_phone(self):
        return self._phone("phone")

    def clean_advisor_number(self):
        return self._phone("advisor_number")


def initial_from(profile):
    return {
        "name": profile.name,
        "address": profile.address,
        "phone": display_phone(profile.phone) if profile.phone else "",
        "timezone": profile.timezone,
        "greeting": profile.greeting,
        "recording_disclosure": profile.recording_disclosure,
        "advisor_number": display_phone(profile.advisor_number) if profile.advisor_number else "",
        "recording_enabled": _on_off(profile.recording_enabled),
        "text_confirmations": profile.text_confirmations,
        "after_hours": profile.after_hours,
        "voice": profile.voice,
    }


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    if not can_see_dashboard(request.user):
        raise PermissionDenied("The shop's settings are for managers.")
    status = 200
    if request.method == "POST":
        form = ShopSettingsForm(request.POST)
        if form.is_valid():
            try:
                save_shop_settings(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Settings saved. The next call uses them.")
                return redirect("call_pages:settings")
        status = 400
    else:
        form = ShopSettingsForm(initial=initial_from(ShopProfile.load()))
    ctx = {**nav_context(request), "form": form, "in_force": settings_of(ShopProfile.load())}
    return render(request, "calls/settings.html", ctx, status=status)
