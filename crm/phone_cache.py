"""The caller-ID cache: which customer has which phone number, kept because every incoming call asks.

crm.actions.find_customer_by_phone reads through it. crm.signals forgets a number whenever a
customer with it is saved or deleted; writes that send no signals (bulk_create, update) must
call forget_cached_phone(s) themselves.

Redis down never fails a lookup: the cache backend (ottos/lib/cache.py) answers a miss, counted as
ottos_cache_degraded_total{what="crm_customer_by_phone"}, and the customer comes from the database.
"""

from django.conf import settings
from django.core.cache import cache

from .models import Customer

# Cached for a number nobody has, so an unknown caller costs no query either. (Not None: the
# cache answers None for "not cached".)
_NOBODY = "missing"


def cache_key(e164):
    return f"crm:customer-by-phone:{e164}"


def forget_cached_phone(e164):
    cache.delete(cache_key(e164))


def forget_cached_phones(e164s):
    """forget_cached_phone for many numbers in one round trip (after bulk writes, which send no signals)."""
    cache.delete_many([cache_key(e164) for e164 in e164s])


def customer_with_phone(e164):
    """The customer whose phone is `e164` (already E.164), or None; from the cache when it has the answer."""
    key = cache_key(e164)
    cached = cache.get(key)
    if cached is not None:
        return None if cached == _NOBODY else cached
    customer = Customer.objects.filter(phone=e164).first()
    cache.set(key, customer if customer is not None else _NOBODY, settings.CUSTOMER_CACHE_SECONDS)
    return customer
