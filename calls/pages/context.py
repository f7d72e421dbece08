"""What every staff page's header shows: how many callbacks are waiting. A context processor
(ottos/settings.py), lazy so that a page that draws no header runs no query for it."""

from django.utils.functional import cached_property

from ..models import CallbackRequest
from .access import can_read_calls


class StaffHeader:
    def __init__(self, user):
        self.user = user

    @cached_property
    def open_callbacks(self):
        """How many callback requests are open, for those who may read calls; else None."""
        if not can_read_calls(self.user):
            return None
        return CallbackRequest.objects.open().count()


def staff_header(request):
    return {"staff_header": StaffHeader(getattr(request, "user", None))}
