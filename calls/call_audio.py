"""The call's tape: both legs in one stereo WAV (caller left, agent right) as the caller heard
them, filed as the call's CallRecording when the shop records calls (its Settings page, else RECORDING_ENABLED).

Twilio sends the caller's audio as a 20 ms frame every 20 ms, silence included, so the caller's
frames are the tape's clock. Agent audio sent to Twilio waits in Twilio's buffer and plays in
real time: the tape keeps it queued and moves as many bytes of it onto the right channel as
each caller frame carries, so an agent sentence lands where the caller heard it. `clear`
empties Twilio's buffer, and the tape's queue with it: that audio was never heard.

The tape streams to an unnamed temporary file (a few KB of buffer), so a long call costs no
memory; the WAV header is finished and the file copied to the default storage in a database
worker thread after the call. A failing disk or storage is logged and loses the recording,
never the call.
"""

import asyncio
import contextlib
import logging
import tempfile
import wave

import numpy as np
from channels.db import database_sync_to_async
from django.core.files import File

from .models import CallRecording
from .voice.audio import PHONE_RATE, mulaw_decode

logger = logging.getLogger(__name__)

WRITE_BUFFER_BYTES = 64 * 1024  # about 2 s of stereo audio per write to disk
# Twilio plays whatever it was sent; the session's pacer keeps well under a second queued.
# The cap only bounds memory if something sends far ahead of playback.
MAX_QUEUED_AGENT_BYTES = 60 * PHONE_RATE

_saving = set()  # saves under way, kept referenced until they finish


def tape_for_call(call_id, call_sid, *, recording):
    """A tape for this call, or None when recording is off (`recording`: the shop's setting,
    scheduling.shop_settings) or no temporary file can be had."""
    if not recording:
        return None
    try:
        return CallTape(call_id=call_id, call_sid=call_sid)
    except Exception:
        logger.exception("Call %s: no temporary file for the recording; this call is not recorded", call_sid)
        return None


class CallTape:
    def __init__(self, *, call_id, call_sid, directory=None):
        self.call_id = call_id
        self.call_sid = call_sid
        self.samples = 0  # per channel, as many as the caller's frames carried
        self._queued = bytearray()  # agent audio sent to Twilio, not yet played
        self._overflow_logged = False
        self._file = tempfile.TemporaryFile(prefix="call-audio-", dir=directory, buffering=WRITE_BUFFER_BYTES)
        self._wav = wave.open(self._file, "wb")
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(PHONE_RATE)

    @property
    def duration_s(self):
        return self.samples / PHONE_RATE

    # --- while the call goes on (on the event loop; never raise) ---------------------------

    def caller_frame(self, mulaw):
        """One frame from the caller: it goes on the left, and the agent audio Twilio played
        meanwhile (silence if none) on the right."""
        if self._wav is None:
            return
        try:
            size = len(mulaw)
            heard = self._queued[:size]
            del self._queued[:size]
            stereo = np.zeros((size, 2), dtype=np.int16)
            stereo[:, 0] = mulaw_decode(mulaw)
            if heard:
                stereo[: len(heard), 1] = mulaw_decode(heard)
            self._wav.writeframesraw(stereo)
            self.samples += size
        except Exception:
            logger.exception(
                "Call %s: writing the recording failed; the rest of the call is not recorded", self.call_sid
            )
            self._discard()

    def agent_frame(self, mulaw):
        """Agent audio just sent to Twilio: it plays after what is already queued."""
        if self._wav is None:
            return
        if len(self._queued) + len(mulaw) > MAX_QUEUED_AGENT_BYTES:
            if not self._overflow_logged:
                self._overflow_logged = True
                logger.warning(
                    "Call %s: over %d s of agent audio waiting to play; the recording leaves out the rest",
                    self.call_sid,
                    MAX_QUEUED_AGENT_BYTES // PHONE_RATE,
                )
            return
        self._queued += mulaw

    def agent_cleared(self):
        """The agent cleared Twilio's buffer: what was queued was never heard."""
        self._queued.clear()

    # --- after the call ---------------------------------------------------------------------

    def save_in_background(self):
        """Stop taping and file the recording off the event loop; returns the task."""
        task = asyncio.ensure_future(self.save())
        _saving.add(task)
        task.add_done_callback(_saving.discard)
        return task

    async def save(self):
        """Stop taping and file the WAV as the call's CallRecording (None if there is nothing to
        keep or saving failed). Never raises."""
        wav, wav_file = self._wav, self._file
        if wav is None:
            return None
        # What is still queued is dropped, not appended: Twilio stops playing when the stream
        # ends, so the caller never heard it.
        self._wav = self._file = None
        self._queued = bytearray()
        try:
            return await database_sync_to_async(_file_recording, thread_sensitive=False)(
                self.call_id,
                f"{self.call_sid}.wav",
                wav,
                wav_file,
                self.duration_s,
            )
        except Exception:
            logger.exception("Call %s: the recording could not be saved", self.call_sid)
            return None

    def _discard(self):
        wav, wav_file, self._wav, self._file = self._wav, self._file, None, None
        self._queued = bytearray()
        _close_quietly(wav, wav_file)


def _close_quietly(wav, wav_file):
    for closable in (wav, wav_file):
        with contextlib.suppress(Exception):
            closable.close()


def _file_recording(call_id, name, wav, wav_file, duration_s):
    try:
        if not duration_s:
            return None
        wav.close()  # writes the final sizes into the header
        recording = CallRecording(call_id=call_id, content_type="audio/wav", duration_s=duration_s)
        recording.audio.save(name, File(wav_file, name=name), save=False)
        try:
            recording.save(force_insert=True)
        except Exception:
            recording.audio.delete(save=False)
            raise
        return recording
    finally:
        _close_quietly(wav, wav_file)
