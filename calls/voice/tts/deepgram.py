"""Deepgram Aura text to speech (deepgram-sdk 7, REST `speak.v1.audio.generate`) behind TextToSpeech.

One streamed POST per sentence: raw mu-law 8 kHz (`container=none`, else Deepgram wraps it in
WAV), forwarded chunk by chunk as it arrives. Closing the iterator closes the HTTP response, which
stops synthesis. Connections are kept alive between sentences.
"""

import httpx
from deepgram.core.api_error import ApiError

from ..deepgram_client import deepgram_client, http_client
from ..errors import VendorError
from .base import TextToSpeech

VENDOR = "deepgram"
MAX_CHARACTERS = 2000  # Deepgram's REST limit per request


class DeepgramTTS(TextToSpeech):
    def __init__(
        self, api_key, base_url=None, *, model="aura-2-thalia-en", connect_timeout_s=3.0, first_byte_timeout_s=3.0
    ):
        self.model = model
        # the read timeout bounds the wait for the first byte and any stall inside the stream
        self._http = http_client(
            httpx.Timeout(
                connect=connect_timeout_s, read=first_byte_timeout_s, write=connect_timeout_s, pool=connect_timeout_s
            )
        )
        self._client = deepgram_client(api_key, base_url, http=self._http)

    async def synthesize(self, text):
        for piece in _pieces(text):
            stream = self._client.speak.v1.audio.generate(
                text=piece,
                model=self.model,
                encoding="mulaw",
                sample_rate=8000,
                container="none",
            )
            try:
                async for chunk in stream:
                    if chunk:
                        yield chunk
            except ApiError as error:
                raise _api_error(error) from error
            except httpx.TimeoutException as error:
                raise VendorError(
                    VENDOR, f"speech synthesis timed out ({type(error).__name__})", retryable=True
                ) from error
            except httpx.HTTPError as error:
                raise VendorError(
                    VENDOR, f"speech synthesis failed: {type(error).__name__}: {error}", retryable=True
                ) from error
            finally:
                await stream.aclose()

    async def close(self):
        await self._http.aclose()


def _api_error(error):
    status = error.status_code
    retryable = status is None or status in (408, 429) or status >= 500
    reason = error.body.get("err_msg") if isinstance(error.body, dict) else None
    return VendorError(
        VENDOR, f"speech synthesis refused (HTTP {status}){': ' + reason if reason else ''}", retryable=retryable
    )


def _pieces(text):
    """`text` cut at spaces into requests Deepgram accepts; nothing for blank text."""
    text = " ".join(text.split())
    while text:
        if len(text) <= MAX_CHARACTERS:
            yield text
            return
        cut = text.rfind(" ", 0, MAX_CHARACTERS)
        cut = cut if cut > 0 else MAX_CHARACTERS
        yield text[:cut]
        text = text[cut:].lstrip()
