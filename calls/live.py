"""The live-calls WebSocket: relays what the call recorder publishes on the channel layer
("live-calls", or one call's group) to managers' and advisors' browsers.

Any server process can serve the page: the recorder of a call running in another process
publishes through the shared layer (channels-redis in production). Anyone who may not read
calls is closed at once with code 4403 and never joins a group.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from calls.transcript_log import LIVE_CALLS_GROUP, call_group

from .pages.access import can_read_calls

NOT_ALLOWED = 4403


class LiveCallsConsumer(AsyncJsonWebsocketConsumer):
    group = None

    async def connect(self):
        if not await database_sync_to_async(can_read_calls)(self.scope.get("user")):
            # Accepted first so the browser gets the reason (a refused handshake is just 1006).
            await self.accept()
            await self.close(code=NOT_ALLOWED)
            return
        call_sid = self.scope["url_route"]["kwargs"].get("call_sid")
        self.group = call_group(call_sid) if call_sid else LIVE_CALLS_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        pass  # the page only listens

    async def call_event(self, event):
        try:
            await self.send_json(
                {
                    "call_sid": event.get("call_sid"),
                    "kind": event.get("kind"),
                    "data": event.get("data"),
                    "at": event.get("at"),
                }
            )
        except OSError:  # ASGI's error for a page already gone; its disconnect leaves the group
            pass
