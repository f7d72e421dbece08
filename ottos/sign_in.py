"""Admin sign-in throttling (django-axes), as settings.AUTHENTICATION_BACKENDS and AXES_* wire it.

Only sign-ins made through a web request are counted and refused: one without a request (a
management command checking a password, `Client.login` in a test) is not an attack from the
internet, and django-axes would otherwise refuse it outright.
"""

from axes.backends import AxesStandaloneBackend


class SignInThrottle(AxesStandaloneBackend):
    """Refuses a username+address pair that failed too often; the next backend checks the password."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request):
    """The address the request came from. Behind nginx, `ottos.serve --proxy-headers` has
    already put the X-Forwarded-For that nginx wrote here; a header the client made up is not read."""
    return request.META.get("REMOTE_ADDR")
