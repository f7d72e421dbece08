"""The one place that builds a Twilio REST client, for texts, call transfers and the vendor probe.

TWILIO_API_BASE_URL points the SDK at another server (a test fake, see fakes/twilio_rest.py);
the SDK has no setting of its own for that.
"""

from django.conf import settings


def rest_client(*, timeout, asynchronous=False):
    """A Twilio client with the account's credentials whose requests give up after `timeout` seconds.

    With `asynchronous` it makes `..._async` calls; build it inside the running event loop (its
    aiohttp session belongs to that loop) and `await client.http_client.close()` when done.
    """
    # Imported here: the asynchronous client brings aiohttp (~0.2 s), and every process that only
    # might send a text (each manage.py command, through the tasks' imports) would pay for it.
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    http_client = AsyncTwilioHttpClient(timeout=timeout) if asynchronous else TwilioHttpClient(timeout=timeout)
    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
    if settings.TWILIO_API_BASE_URL:
        client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
    return client
