import gc
import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ottos.settings")
# Django must be set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from calls.agent.engines import warm_up_in_background  # noqa: E402
from calls.telephony import admission  # noqa: E402
from ottos.routing import twilio_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                *twilio_websocket_urlpatterns,
                re_path(r"", AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))),
            ]
        ),
    }
)


def _freeze_startup_objects(warm_up):
    """Django, the SDKs and the offline models live as long as the process: once they are loaded,
    move them out of the garbage collector's reach. Otherwise every full collection walks
    ~200k objects for ~100 ms with the event loop, and so every call on it, stalled."""
    if warm_up is not None:
        warm_up.join()
    gc.collect()
    gc.freeze()


# This module is loaded only by processes that serve calls: load the offline voice models now,
# in a thread, rather than on the first caller's words.
# Its live calls count towards the cluster's room for calls (admission control), from now on.
admission.start_publishing()
threading.Thread(
    target=_freeze_startup_objects, args=(warm_up_in_background(),), name="freeze-startup-objects", daemon=True
).start()
