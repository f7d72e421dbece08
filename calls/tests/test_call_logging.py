"""Every log line written on behalf of a call carries its SID: in Twilio's webhooks, in the
media-stream consumer once the stream's token is redeemed, and in the tasks the call starts.
A refused webhook says which call, never whose number."""

import logging

import pytest

from calls.models import Call
from fakes.deepgram import spoken
from fakes.twilio_caller import silence
from ottos.asgi import application
from ottos.lib.logging import CallSidFilter, StructuredFormatter

from .test_webhook import CALL_SID, incoming, ring, signed_post


class Lines(logging.Handler):
    """The lines the console handler would print: CallSidFilter + StructuredFormatter."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.addFilter(CallSidFilter())
        self.setFormatter(StructuredFormatter("text"))
        self.records = []

    def emit(self, record):
        self.records.append((record, self.format(record)))

    def of(self, logger_prefix):
        return [(r, line) for r, line in self.records if r.name.startswith(logger_prefix)]


@pytest.fixture
def lines():
    handler, root = Lines(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.django_db
def test_a_webhooks_log_lines_carry_the_call_sid_and_nothing_after_does(client, twilio, lines):
    response = signed_post(client, "/twilio/voice/", incoming(AccountSid="AC" + "9" * 32))
    assert response.status_code == 403
    logging.getLogger("calls.telephony.webhooks").warning("after the request")
    (refused, refused_line), (after, after_line) = lines.of("calls.telephony.webhooks")
    assert "another account" in refused.getMessage()
    assert f"call_sid={CALL_SID}" in refused_line
    assert after.call_sid is None and "call_sid" not in after_line


@pytest.mark.django_db
def test_a_refused_replay_is_logged_with_the_call_sid_and_no_phone_number(client, twilio, lines):
    ring(client, "idem-1")
    Call.objects.filter(call_sid=CALL_SID).update(stream_sid="MZ" + "5" * 32)
    ring(client, "idem-1")
    [(refusal, line)] = [(r, line) for r, line in lines.of("calls.telephony.webhooks") if r.levelname == "WARNING"]
    assert "replay" in refusal.getMessage() and f"call_sid={CALL_SID}" in line
    for digits in ("3125550147", "3125550100", "0147", "0100"):  # not even the last four
        assert digits not in line


@pytest.mark.django_db(transaction=True)
async def test_a_calls_log_lines_carry_its_sid_in_the_consumer_and_in_the_tasks_it_starts(make_caller, openai, lines):
    openai.script("Sure, I can help with an oil change.")
    caller = make_caller(application)
    await caller.ring()
    await caller.open_stream()
    await caller.send_text("{before start")
    await caller.send_start()
    await caller.wait_for(lambda: caller.received_bytes > 8000, timeout=10)
    await caller.send_text("{during the call")
    heard = caller.received_bytes
    await caller.say(spoken("I need an oil change") + silence(1.5))
    await caller.wait_for(lambda: caller.received_bytes > heard + 8000, timeout=10)

    ignored = [(r, line) for r, line in lines.of("calls.telephony.consumer") if "ignored" in r.getMessage()]
    (before, before_line), (during, during_line) = ignored
    assert before.call_sid is None and "call_sid" not in before_line, "no SID is known before start"
    assert f"call_sid={caller.call_sid}" in during_line
    # The OpenAI SDK logs its request from the voice session's reply task, started after `start`.
    brain = lines.of("openai")
    assert brain, "the brain was asked"
    assert {r.taskName for r, _ in brain} - {during.taskName}, "logged from another task than the consumer's"
    assert all(f"call_sid={caller.call_sid}" in line for _, line in brain)
