"""When one server process finds OpenAI down, the others leave it alone too: the outage window is
kept in the shared cache (the tests' Redis; local memory on the embedded default), keyed by vendor
and a hash of the server and key, never the key itself."""

import asyncio
import time

import pytest
from django.core.cache import cache

from calls.agent import engines
from calls.agent.engines import BRAIN_REST_S, CachedOutageWindow
from calls.agent.scripted import ScriptedBrain
from calls.voice.llm.failover import FailoverBrain, Outage
from fakes.openai import server_error, text

from .test_engines import answer, failing_openai_brain, said

BASE_URL = "https://api.openai.test/v1"
API_KEY = "sk-test-shared-outage-0123456789"


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


def process(window=None, *, reread_s=0.0):
    """An Outage as one server process keeps it, on the shared window of the given vendor key."""
    return Outage(
        rest_s=BRAIN_REST_S, shared=window or CachedOutageWindow("openai", BASE_URL, API_KEY), reread_s=reread_s
    )


async def test_a_failure_found_by_one_process_rests_the_vendor_in_another():
    one, other = process(), process()
    await other.sync()
    assert not other.resting()
    one.failed()
    await one.sync()
    await other.sync()
    assert other.resting()
    assert BRAIN_REST_S - 5 < other.resting_s() <= BRAIN_REST_S


async def test_a_recovery_found_by_one_process_ends_the_rest_in_the_others():
    one, other = process(), process()
    one.failed()
    await one.sync()
    await other.sync()
    assert other.resting()
    one.recovered()
    await one.sync()
    await other.sync()
    assert not other.resting()


async def test_another_server_or_key_is_another_outage():
    one = process()
    elsewhere = process(CachedOutageWindow("openai", BASE_URL, "sk-another-key-0123456789"))
    one.failed()
    await one.sync()
    await elsewhere.sync()
    assert not elsewhere.resting()


def test_the_key_in_the_cache_names_the_vendor_not_its_api_key():
    window = CachedOutageWindow("openai", BASE_URL, API_KEY)
    assert window.key.startswith("calls:vendor-outage:openai:")
    assert API_KEY not in window.key and "sk-" not in window.key and BASE_URL not in window.key


async def test_the_shared_window_is_read_at_most_every_few_seconds():
    clock = Clock()
    one = process()
    other = Outage(
        rest_s=BRAIN_REST_S, shared=CachedOutageWindow("openai", BASE_URL, API_KEY), clock=clock, reread_s=2.0
    )
    await other.sync()
    one.failed()
    await one.sync()
    await other.sync()
    assert not other.resting()  # read a moment ago: not asked again yet
    clock.now += 2.5
    await other.sync()
    assert other.resting()


async def test_a_store_that_does_not_answer_leaves_each_process_with_what_it_found():
    class Down:
        async def get(self):
            raise ConnectionError("Redis is down")

        async def set(self, until, ttl_s):
            raise ConnectionError("Redis is down")

    outage = process(Down())
    outage.failed()
    await outage.sync()
    await outage.sync()
    assert outage.resting()


async def test_a_call_in_another_process_starts_on_the_scripted_receptionist(openai):
    """Process one's call finds the model failing; a new call in process two does not ask it."""
    window = CachedOutageWindow("openai", openai.base_url, openai.api_key)
    one, two = process(window), process(window)
    openai.script(server_error(500))
    first = FailoverBrain(failing_openai_brain(openai), ScriptedBrain(), outage=one)
    await answer(first)
    assert len(openai.requests) == 1
    await one.sync()  # written in the background already; here: surely done
    await two.sync()  # what its turns read in the background (test_a_slow_store_...)
    openai.script(text("I am back."))
    second = FailoverBrain(failing_openai_brain(openai), ScriptedBrain(), outage=two)
    assert said(await answer(second)) == said(await answer(ScriptedBrain()))
    assert len(openai.requests) == 1  # the other process left it alone
    for brain in (first, second):
        await brain.close()


class SlowStore:
    def __init__(self, until, delay_s):
        self.until, self.delay_s, self.reads = until, delay_s, 0

    async def get(self):
        self.reads += 1
        await asyncio.sleep(self.delay_s)
        return self.until

    async def set(self, until, ttl_s):
        self.until = until


async def test_a_turn_waits_a_moment_at_most_for_the_shared_window_and_a_slow_answer_counts_for_the_next():
    store = SlowStore(time.time() + 100, delay_s=0.15)  # within the store's time limit, beyond the turn's wait
    outage = process(store, reread_s=2.0)
    started = time.monotonic()
    await outage.refresh()
    assert time.monotonic() - started < 0.1 and not outage.resting()
    await asyncio.sleep(0.3)
    assert outage.resting()
    await outage.refresh()
    assert store.reads == 1  # not due again yet


async def test_a_fast_store_is_heard_on_the_same_turn():
    outage = process(SlowStore(time.time() + 100, delay_s=0))
    await outage.refresh()
    assert outage.resting()


@pytest.mark.django_db
def test_readyz_reports_an_outage_found_by_another_process(client, monkeypatch, settings):
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = API_KEY, BASE_URL
    monkeypatch.setattr(engines, "_brain_outages", {})
    window = CachedOutageWindow("openai", BASE_URL, API_KEY)
    cache.set(window.key, engines.time.time() + 120, 200)  # another process's failure
    body = client.get("/readyz").json()
    assert 100 < body["vendors_resting_s"]["openai"] <= 120
