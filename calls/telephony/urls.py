from django.urls import path

from calls.telephony import webhooks

app_name = "calls"

urlpatterns = [
    path("voice/", webhooks.incoming_call, name="incoming_call"),
    path("status/", webhooks.call_status, name="call_status"),
    path("stream-ended/", webhooks.stream_ended, name="stream_ended"),
    path("whisper/<str:call_sid>/", webhooks.whisper, name="whisper"),
    path("dial-ended/", webhooks.dial_ended, name="dial_ended"),
    path("voicemail/", webhooks.voicemail, name="voicemail"),
]
