"""Log lines of a call carry its call SID; no line carries a phone number, a card number or a secret."""

import asyncio
import io
import json
import logging
import threading

import pytest
from asgiref.sync import sync_to_async

from ottos.lib.logging import (
    CallSidFilter,
    RedactingFilter,
    StructuredFormatter,
    bind_call_sid,
    call_context,
    redact,
    unbind_call_sid,
)

CALL_SID = "CA0123456789abcdef0123456789abcdef"


@pytest.fixture
def lines():
    """A logger wired like settings.LOGGING wires the console; returns a function giving the lines so far."""

    def make(style="text"):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(CallSidFilter())
        handler.addFilter(RedactingFilter())
        handler.setFormatter(StructuredFormatter(style))
        logger = logging.getLogger(f"ottos.tests.logging.{style}")
        logger.handlers[:] = [handler]
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        return logger, lambda: stream.getvalue().splitlines()

    return make


def test_every_line_inside_a_call_carries_its_sid(lines):
    logger, read = lines()
    logger.info("before the call")
    with call_context(CALL_SID):
        logger.info("caller said hello")
        logger.warning("vendor slow")
    logger.info("after the call")
    before, hello, slow, after = read()
    assert "call_sid" not in before and "call_sid" not in after
    assert f"call_sid={CALL_SID}" in hello and f"call_sid={CALL_SID}" in slow
    assert 'msg="caller said hello"' in hello and "level=WARNING" in slow


async def test_tasks_and_worker_threads_started_by_the_call_inherit_the_sid(lines):
    logger, read = lines()

    async def session():
        await asyncio.sleep(0)
        logger.info("in the session task")

    def database_write():
        logger.info("in a database thread")

    token = bind_call_sid(CALL_SID)  # what the consumer does when the media stream starts
    try:
        await asyncio.create_task(session())
        await sync_to_async(database_write, thread_sensitive=False)()
    finally:
        unbind_call_sid(token)
    other = threading.Thread(target=lambda: logger.info("unrelated thread"))
    other.start()
    other.join()
    task_line, thread_line, unrelated = read()
    assert f"call_sid={CALL_SID}" in task_line and f"call_sid={CALL_SID}" in thread_line
    assert "call_sid" not in unrelated


async def test_two_calls_at_once_keep_their_own_sids(lines):
    logger, read = lines()

    async def call(sid):
        with call_context(sid):
            for turn in range(3):
                logger.info("turn %d", turn)
                await asyncio.sleep(0)

    await asyncio.gather(call("CA" + "a" * 32), call("CA" + "b" * 32))
    for line in read():
        turn_of = "a" if "CA" + "a" * 32 in line else "b"
        assert f"call_sid=CA{turn_of * 32}" in line
    assert len(read()) == 6


def test_phone_numbers_keep_only_their_last_four_digits(lines):
    logger, read = lines()
    logger.info("Incoming call from %s to %s", "+13125550147", "+13125550100")
    logger.info("Callback for (312) 555-0188, or 773.555.0199 or 312-555-0123")
    logger.info("Caller ID tel:+447911123456 from abroad")
    text = "\n".join(read())
    for digits in ("3125550147", "3125550100", "555-0188", "773.555", "312-555", "7911123456"):
        assert digits not in text
    for last_four in ("***0147", "***0100", "***0188", "***0199", "***0123", "***3456"):
        assert last_four in text


@pytest.mark.parametrize(
    "line",
    [
        "GET /calls/?q=%2B13125550147 HTTP/1.1",
        "GET /calls/?q=%2b13125550147&page=2",
        "GET /calls/?q=%28312%29%20555-0147",
        "GET /calls/?q=%28312%29+555-0147",  # a form's GET: spaces are "+"
        "GET /calls/?q=312-555-0147&page=2",
        "GET /calls/?q=312-555-0147%20",
        "GET /calls/?q=312.555.0147",
        "GET /calls/?q=3125550147",
        "GET /calls/?q=1+312+555+0147",
        "GET /crm/customers/+13125550147/",
        "GET /calls/?q=tel%3A%2B1%20312%20555%200147",
        "GET /admin/login/?next=/calls/%3Fq%3D%252B13125550147",  # the login redirect: encoded twice
        "GET /admin/login/?next=/calls/%3Fq%3D%2528312%2529%2B555-0147",
    ],
)
def test_numbers_in_urls_keep_only_their_last_four_digits_however_encoded(line):
    masked = redact(line)
    assert "***0147" in masked
    for digits in ("3125550147", "312-555", "312.555", "312%29", "555-0", "(312)"):
        assert digits not in masked


def test_the_rest_of_a_url_is_left_as_it_was_written():
    line = 'GET /calls/?q=%28312%29%20555-0147&sort=-started_at&page=2 HTTP/1.1" 200 5120'
    assert redact(line) == 'GET /calls/?q=***0147&sort=-started_at&page=2 HTTP/1.1" 200 5120'
    assert redact("GET /calls/?q=%2B13125550147%0Aforged=1") == "GET /calls/?q=***0147%0Aforged=1"


@pytest.mark.parametrize(
    "line",
    [
        "GET /calls/?q=brake%20job&page=2 HTTP/1.1",
        "GET /calls/?since=2030-06-04T15%3A00%3A03&until=2030-06-05",
        "GET /static/calls/app.4f3a2b1c.js",
        "GET /calls/CA0123456789abcdef0123456789abcdef/ 200 51234",
        "100%25 of 1234567 frames",
        "2+2 makes 4",
    ],
)
def test_urls_without_numbers_are_left_alone(line):
    assert redact(line) == line


def test_secrets_in_query_strings_are_still_masked_next_to_numbers():
    line = "GET /x?call_token=abc.def.ghi123&q=%2B13125550147&api_key=k3y-0123456789&key=AIzaSyA-0123456789 HTTP/1.1"
    masked = redact(line)
    for secret in ("abc.def.ghi123", "k3y-0123456789", "AIzaSyA-0123456789", "3125550147"):
        assert secret not in masked
    assert "***0147" in masked and "&key=***" in masked
    assert redact("missing key: service_type") == "missing key: service_type"


def test_ordinary_numbers_are_left_alone():
    line = "turn 4 took 1234 ms at 2030-06-04 15:00:03; epoch 1767225600; call CA0123456789abcdef0123456789abcdef"
    assert redact(line) == line


def test_card_numbers_are_cut_to_the_last_four():
    assert redact("paid with 4111 1111 1111 1111 today") == "paid with ***1111 today"
    assert redact("card 5500-0000-0000-0004") == "card ***0004"


def test_secrets_from_settings_never_appear(lines, settings):
    settings.OPENAI_API_KEY = "sk-proj-very-secret-key-1234567890"
    settings.TWILIO_AUTH_TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
    settings.DEEPGRAM_API_KEY = "dg0123456789abcdef0123456789abcdef"
    logger, read = lines()
    logger.error("OpenAI refused key %s", settings.OPENAI_API_KEY)
    logger.info("Twilio token is %s", settings.TWILIO_AUTH_TOKEN)
    logger.info("headers: {'Authorization': 'Token %s'}", settings.DEEPGRAM_API_KEY)
    text = "\n".join(read())
    for secret in (settings.OPENAI_API_KEY, settings.TWILIO_AUTH_TOKEN, settings.DEEPGRAM_API_KEY):
        assert secret not in text
    assert text.count("***") >= 3


@pytest.mark.parametrize(
    "line, secret",
    [
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("sent {'authorization': 'Basic QUMxMjM6c2VjcmV0dG9rZW4='}", "QUMxMjM6c2VjcmV0dG9rZW4="),
        ("GET /twilio/stream?call_token=abc.def.ghi123 HTTP/1.1", "abc.def.ghi123"),
        ("retrying with api_key=sk-abcdefghijklmnopqrstu", "abcdefghijklmnopqrstu"),
        ('{"refresh_token": "1//0gLongRefreshTokenValue"}', "1//0gLongRefreshTokenValue"),
        ("connecting to redis://:hunter2hunter2@cache.internal:6379/0", "hunter2hunter2"),
        ("key -----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY----- loaded", "MIIEvQIBADANBg"),
    ],
)
def test_credentials_in_any_usual_shape_are_masked(line, secret):
    assert secret not in redact(line)
    assert "***" in redact(line) or "[private key]" in redact(line)


def test_tracebacks_are_redacted_too(lines):
    logger, read = lines()
    try:
        raise ValueError("no customer with phone +13125550147")
    except ValueError:
        logger.exception("lookup failed")
    text = "\n".join(read())
    assert "Traceback" in text and "ValueError" in text
    assert "3125550147" not in text and "***0147" in text


def test_json_lines_are_one_object_each(lines):
    logger, read = lines("json")
    with call_context(CALL_SID):
        logger.info("booked for %s", "+13125550147", extra={"appointment_id": 42})
    record = json.loads(read()[0])
    assert record["call_sid"] == CALL_SID
    assert record["msg"] == "booked for ***0147"
    assert record["appointment_id"] == 42 and record["level"] == "INFO" and record["ts"].endswith("Z")


def test_a_broken_log_call_does_not_raise_at_the_call_site(lines):
    logger, read = lines()
    logger.info("two values %s %s", "only one")
    assert "could not be formatted" in read()[0]


def test_settings_wire_the_console_handler_with_the_sid_and_redaction():
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    record = logging.LogRecord(
        "calls.telephony.consumer", logging.INFO, __file__, 1, "caller %s", ("+13125550147",), None
    )
    with call_context(CALL_SID):
        assert handler.filter(record)
    line = handler.format(record)
    assert f"call_sid={CALL_SID}" in line and "***0147" in line and "3125550147" not in line
