"""Who may read calls: managers see everything, service advisors see the calls themselves but
not the dashboard, anyone else gets 403 (anonymous visitors are sent to the login first)."""

from django.core.exceptions import PermissionDenied

MANAGERS = "Managers"
SERVICE_ADVISORS = "Service advisors"
CALL_READERS = frozenset({MANAGERS, SERVICE_ADVISORS})


def staff_roles(user):
    """The call-page roles `user` holds, as a set of group names (one query, then cached)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return CALL_READERS
    if not hasattr(user, "_call_page_roles"):
        user._call_page_roles = frozenset(user.groups.filter(name__in=CALL_READERS).values_list("name", flat=True))
    return user._call_page_roles


def can_read_calls(user):
    return bool(staff_roles(user) & CALL_READERS)


def can_see_dashboard(user):
    return MANAGERS in staff_roles(user)


def check_call_reader(request):
    """Raise PermissionDenied unless the signed-in user may read calls; returns their roles."""
    if not can_read_calls(request.user):
        raise PermissionDenied("Call records are for managers and service advisors.")
    return staff_roles(request.user)


def check_manager(request):
    if not can_see_dashboard(request.user):
        raise PermissionDenied("The dashboard is for managers.")
    return staff_roles(request.user)


def nav_context(request):
    """What the shared layout needs to draw the navigation for this user."""
    return {"can_see_dashboard": can_see_dashboard(request.user)}
