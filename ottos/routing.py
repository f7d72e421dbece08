"""WebSocket routes. Each app adds its consumers here."""

from django.urls import path

from calls.agent.call import AgentCall
from calls.live import LiveCallsConsumer
from calls.telephony.consumer import MediaStreamConsumer

# Browser pages: behind the Origin check and the session login.
websocket_urlpatterns = [
    path("ws/calls/live/", LiveCallsConsumer.as_asgi()),
    path("ws/calls/<str:call_sid>/live/", LiveCallsConsumer.as_asgi()),
]

# Twilio's servers send no Origin header; each stream authenticates itself (handshake
# signature and a single-use call token), so these skip the browser checks.
twilio_websocket_urlpatterns = [
    path("ws/twilio/media/", MediaStreamConsumer.as_asgi(answer=AgentCall)),
]
