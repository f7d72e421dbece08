"""Celery tasks of calls: fetching and transcribing a voicemail, alerting the advisors about an
urgent callback request, and the daily retention purge. Take ids, reload, idempotent.

queue_voicemail_transcription and queue_urgent_alert are the one way to ask for them (calls.actions).
This module imports nothing else of calls but its models and the voice engine: actions queue
from here, and the agent and the Twilio edge import actions (import-linter keeps calls acyclic).
"""

import io
import logging
import re
import time
import wave

import numpy as np
import requests
from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command

from ottos.lib.queueing import delay_on_commit
from ottos.lib.twilio_rest import rest_client

from . import alerts
from .models import CallbackRequest
from .urgency import plain, urgency_in

log = logging.getLogger(__name__)

COULD_NOT_TRANSCRIBE = "Voicemail (could not transcribe)"
DOWNLOAD_ATTEMPTS = 3  # within one run: Twilio's file is usually there a second or two after the <Record>
DOWNLOAD_PAUSE_S = 1.0
MAX_RETRIES = 4  # more runs, with a worker: minutes later
BACKOFF_MAX_SECONDS = 600
CHUNK_S = 25  # Whisper hears at most ~28 s at a time; a voicemail is up to 120 s
REQUEST_TIMEOUT_S = 10.0
RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
MAX_RECORDING_BYTES = 20 * 1024 * 1024  # 120 s of 8 kHz 16-bit WAV is 2 MB; anything far bigger is not ours


class RecordingUnavailable(Exception):
    """The recording could not be had. `retryable`: Twilio may still be processing it (404) or
    was unreachable; try again later."""

    def __init__(self, message, *, retryable):
        super().__init__(message)
        self.retryable = retryable


def recording_wav(recording_sid):
    """The recording's audio as WAV bytes."""
    if not RECORDING_SID.match(recording_sid or ""):
        raise RecordingUnavailable(f"not a recording SID: {recording_sid!r}", retryable=False)
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        raise RecordingUnavailable("Twilio credentials are not configured", retryable=False)
    base = rest_client(timeout=REQUEST_TIMEOUT_S).api.base_url.rstrip("/")
    url = f"{base}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Recordings/{recording_sid}.wav"
    try:
        response = requests.get(
            url, auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN), timeout=REQUEST_TIMEOUT_S, stream=True
        )
        with response:
            if response.status_code == 404:  # Twilio makes the file available shortly after the call's <Record>
                raise RecordingUnavailable(f"recording {recording_sid} not there (yet)", retryable=True)
            if response.status_code >= 500 or response.status_code == 429:
                raise RecordingUnavailable(f"Twilio answered {response.status_code}", retryable=True)
            if response.status_code != 200:
                raise RecordingUnavailable(f"Twilio answered {response.status_code}", retryable=False)
            body = response.raw.read(MAX_RECORDING_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise RecordingUnavailable(f"Twilio could not be reached: {exc!r}", retryable=True) from exc
    if len(body) > MAX_RECORDING_BYTES:
        raise RecordingUnavailable(
            f"recording {recording_sid} is larger than {MAX_RECORDING_BYTES} bytes", retryable=False
        )
    return body


def urgency_of(text):
    """How urgent a voicemail sounds, by the rule the receptionist's messages follow."""
    return urgency_in(plain(text)) or CallbackRequest.Urgency.ROUTINE


def queue_voicemail_transcription(callback_id):
    """Fetch and transcribe the voicemail once this transaction commits. A broker outage is logged:
    the callback request is there, with a link to Twilio's recording, just without its words."""
    delay_on_commit(
        transcribe_voicemail,
        callback_id,
        log=log,
        failure=f"Could not queue the transcription of voicemail {callback_id}; it stays untranscribed",
    )


@shared_task(bind=True)
def transcribe_voicemail(self, callback_id):
    """Copy the voicemail's audio from Twilio, transcribe it offline, and put the words (and how
    urgent they sound) on its callback request. Whatever fails, the request stays for the advisors."""
    callback = CallbackRequest.objects.filter(pk=callback_id).first()
    if callback is None or not callback.recording_sid:
        return "gone"
    if callback.transcript or callback.reason == COULD_NOT_TRANSCRIBE:
        return "done"
    if not callback.recording:
        try:
            audio = _download(callback.recording_sid)
        except RecordingUnavailable as exc:
            if exc.retryable and not settings.CELERY_TASK_ALWAYS_EAGER and self.request.retries < MAX_RETRIES:
                countdown = get_exponential_backoff_interval(
                    settings.TASK_RETRY_BACKOFF_SECONDS, self.request.retries, BACKOFF_MAX_SECONDS, full_jitter=True
                )
                raise self.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES) from None
            log.warning("Voicemail %s: the recording could not be fetched: %s", callback_id, exc)
            return _could_not_transcribe(callback)
        callback.recording.save(f"{callback.recording_sid}.wav", ContentFile(audio), save=False)
        CallbackRequest.objects.filter(pk=callback.pk).update(recording=callback.recording.name)
    try:
        with callback.recording.open("rb") as stored:
            text = transcribe_wav(stored.read())
    except Exception:
        log.exception("Voicemail %s: transcription failed", callback_id)
        return _could_not_transcribe(callback)
    if not text:
        return _could_not_transcribe(callback)
    urgency = urgency_of(text)
    CallbackRequest.objects.filter(pk=callback.pk).update(transcript=text, reason=f"Voicemail: {text}", urgency=urgency)
    if urgency == CallbackRequest.Urgency.URGENT:
        queue_urgent_alert(callback.pk)
    return "transcribed"


@shared_task
def alert_urgent_callback(callback_id):
    return alerts.send_urgent_alert(callback_id)


def queue_urgent_alert(callback_id):
    """Alert the advisors about an urgent callback request once this transaction commits (nothing
    is queued with no alert channel configured; a broker outage is logged: the request stays)."""
    if not alerts.alerts_configured():
        return
    delay_on_commit(
        alert_urgent_callback, callback_id, log=log, failure=f"Could not queue the alert for callback {callback_id}"
    )


@shared_task
def purge_old_calls():
    """Retention, run daily by beat: exactly `manage.py purge_calls`, with the ages the settings give
    (calls after CALL_RETENTION_DAYS, recordings and voicemail audio after RECORDING_RETENTION_DAYS)."""
    summary = call_command(
        "purge_calls", older_than=f"{settings.CALL_RETENTION_DAYS}d", verbosity=0, stdout=io.StringIO()
    )
    log.info("Retention: %s", summary)
    return summary


def _download(recording_sid):
    for attempt in range(DOWNLOAD_ATTEMPTS):
        try:
            return recording_wav(recording_sid)
        except RecordingUnavailable as exc:
            if not exc.retryable or attempt == DOWNLOAD_ATTEMPTS - 1:
                raise
            time.sleep(DOWNLOAD_PAUSE_S * (attempt + 1))


def _could_not_transcribe(callback):
    CallbackRequest.objects.filter(pk=callback.pk, transcript="").update(reason=COULD_NOT_TRANSCRIBE)
    return "not_transcribed"


def transcribe_wav(data):
    """The words in a WAV file (PCM, any rate, mono or stereo), by the offline recognizer."""
    from .voice.stt.whisper import shared_recognizer

    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{wav.getsampwidth() * 8}-bit WAV: only 16-bit PCM is read")
        rate, channels = wav.getframerate(), wav.getnchannels()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
    recognizer = shared_recognizer()
    step = CHUNK_S * rate
    pieces = (recognizer.transcribe(pcm[start : start + step], rate) for start in range(0, len(pcm), step))
    return " ".join(piece for piece in pieces if piece).strip()
