"""The OpenAI fake speaks Chat Completions as the real openai SDK expects it."""

import json
import time

import openai
import pytest

from fakes.fixtures import openai as fake  # noqa: F401 (the fixture: a FakeOpenAI)
from fakes.openai import (
    FakeOpenAI,
    hang,
    insufficient_quota,
    rate_limited,
    server_error,
    stall,
    stream_error,
    text,
    tool_call,
    tool_calls,
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_available_slots",
            "description": "Free slots for a day.",
            "parameters": {"type": "object", "properties": {"date": {"type": "string"}}, "required": ["date"]},
        },
    }
]
HELLO = [{"role": "system", "content": "You are a receptionist."}, {"role": "user", "content": "Hi"}]


def client_for(fake, **options):
    options.setdefault("max_retries", 0)
    return openai.OpenAI(api_key=fake.api_key, base_url=fake.base_url, **options)


def stream_chunks(fake, messages=HELLO, **kwargs):
    stream = client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=messages, stream=True, **kwargs)
    return list(stream)


def test_text_streams_in_small_deltas_then_stop():
    with FakeOpenAI() as fake:
        fake.script(text("We are open from eight to five on weekdays."))
        chunks = stream_chunks(fake)

    contents = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(contents) == "We are open from eight to five on weekdays."
    assert len(contents) >= 8
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


def test_usage_chunk_only_when_asked_for(fake):
    fake.script("Sure.")
    chunks = stream_chunks(fake, stream_options={"include_usage": True})

    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens >= 1
    assert chunks[-1].usage.total_tokens == chunks[-1].usage.prompt_tokens + chunks[-1].usage.completion_tokens


def test_tool_call_arguments_arrive_in_fragments_with_parallel_calls_by_index(fake):
    fake.script(
        tool_calls(
            tool_call("get_available_slots", {"date": "2030-06-04", "service": "oil change"}, id="call_first"),
            tool_call("get_available_slots", {"date": "2030-06-05", "service": "oil change"}, id="call_second"),
            text="Let me look.",
        )
    )
    chunks = stream_chunks(fake, tools=TOOLS)

    pieces = [p for c in chunks if c.choices for p in (c.choices[0].delta.tool_calls or ())]
    by_index = {}
    for piece in pieces:
        by_index.setdefault(piece.index, []).append(piece)
    assert sorted(by_index) == [0, 1]
    for index, call_id, date in ((0, "call_first", "2030-06-04"), (1, "call_second", "2030-06-05")):
        fragments = by_index[index]
        assert len(fragments) > 3
        assert fragments[0].id == call_id and fragments[0].function.name == "get_available_slots"
        assert all(f.id is None and f.function.name is None for f in fragments[1:])
        arguments = json.loads("".join(f.function.arguments for f in fragments))
        assert arguments == {"date": date, "service": "oil change"}
    text_before = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text_before == "Let me look."
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_non_streaming_completion_carries_the_tool_call(fake):
    fake.script(tool_calls(tool_call("get_available_slots", {"date": "2030-06-04"}, id="call_1")))
    completion = client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=HELLO, tools=TOOLS)

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].id == "call_1"
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {"date": "2030-06-04"}
    assert completion.usage.completion_tokens > 0


def test_a_wrong_key_is_refused_and_uses_no_reply(fake):
    fake.script("Hello")
    client = openai.OpenAI(api_key="sk-wrong", base_url=fake.base_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO)

    assert caught.value.code == "invalid_api_key"
    assert fake.unused_replies == 1
    assert fake.requests[-1].status == 401


def test_tool_calls_must_all_be_answered_before_the_next_message(fake):
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "get_available_slots", "arguments": "{}"}},
            {"id": "call_b", "type": "function", "function": {"name": "get_available_slots", "arguments": "{}"}},
        ],
    }
    half_answered = HELLO + [
        assistant,
        {"role": "tool", "tool_call_id": "call_a", "content": "[]"},
        {"role": "user", "content": "Well?"},
    ]
    fake.script("ok")
    with pytest.raises(openai.BadRequestError) as caught:
        client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=half_answered, tools=TOOLS)
    assert "call_b" in caught.value.message

    answered = HELLO + [
        assistant,
        {"role": "tool", "tool_call_id": "call_a", "content": "[]"},
        {"role": "tool", "tool_call_id": "call_b", "content": "[]"},
    ]
    completion = client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=answered, tools=TOOLS)
    assert completion.choices[0].message.content == "ok"


def test_a_tool_result_without_its_call_is_refused(fake):
    orphan = HELLO + [{"role": "tool", "tool_call_id": "call_gone", "content": "{}"}]
    with pytest.raises(openai.BadRequestError, match="must be a response to a preceeding message"):
        client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=orphan)


def test_parallel_tool_calls_without_tools_is_refused(fake):
    with pytest.raises(openai.BadRequestError, match="parallel_tool_calls"):
        client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=HELLO, parallel_tool_calls=False)


def test_rate_limit_then_success_is_retried_by_the_sdk(fake):
    fake.script(rate_limited(retry_after_ms=5), "Back again.")
    completion = client_for(fake, max_retries=1).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)

    assert completion.choices[0].message.content == "Back again."
    assert [r.status for r in fake.requests] == [429, 200]
    assert fake.requests[1].headers["x-stainless-retry-count"] == "1"


def test_server_error_and_quota_errors_have_openai_shapes(fake):
    fake.script(server_error(), insufficient_quota())
    with pytest.raises(openai.InternalServerError):
        client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    with pytest.raises(openai.RateLimitError) as caught:
        client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert caught.value.code == "insufficient_quota"


def test_an_error_event_mid_stream_raises_after_the_text_before_it(fake):
    fake.script(stream_error(text_before="Let me check"))
    stream = client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=HELLO, stream=True)
    received = []
    with pytest.raises(openai.APIError, match="server had an error"):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "Let me check"


def test_a_stalled_stream_trips_the_read_timeout(fake):
    fake.script(stall(text_before="Hmm"))
    stream = client_for(fake, timeout=0.3).chat.completions.create(model="gpt-4.1-mini", messages=HELLO, stream=True)
    with pytest.raises(openai.APITimeoutError):
        for _ in stream:
            pass


def test_first_token_waits_the_configured_latency():
    with FakeOpenAI(first_token_s=0.2) as fake:
        fake.script("Hi")
        started = time.monotonic()
        stream = client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=HELLO, stream=True)
        next(iter(stream))
        assert time.monotonic() - started >= 0.2


def test_a_reply_function_answers_from_the_conversation(fake):
    def reply(body):
        last = body["messages"][-1]
        if last["role"] == "tool":
            return text(f"The first opening is {json.loads(last['content'])['slots'][0]}.")
        return tool_calls(tool_call("get_available_slots", {"date": "2030-06-04"}, id="call_slots"))

    fake.reply = reply
    client = client_for(fake)
    first = client.chat.completions.create(model="gpt-4.1-mini", messages=HELLO, tools=TOOLS)
    call = first.choices[0].message.tool_calls[0]
    follow_up = HELLO + [
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"slots": ["09:00", "10:30"]})},
    ]
    second = client.chat.completions.create(model="gpt-4.1-mini", messages=follow_up, tools=TOOLS)

    assert second.choices[0].message.content == "The first opening is 09:00."
    assert fake.requests[1].messages[-1]["role"] == "tool"
    assert fake.requests[1].tools[0]["function"]["name"] == "get_available_slots"


def test_an_unscripted_request_fails_loudly_without_retries(fake):
    with pytest.raises(openai.InternalServerError, match="no reply scripted"):
        client_for(fake, max_retries=2).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert len(fake.requests) == 1


def test_the_fake_notices_a_client_that_hangs_up_mid_stream(fake):
    fake.script(text("one two three four five six seven eight nine ten", tokens_per_s=20))
    stream = client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=HELLO, stream=True)
    iterator = iter(stream)
    next(iterator)
    next(iterator)
    stream.close()

    fake.wait_for(lambda f: f.requests[0].disconnected, timeout=3)
    assert not fake.requests[0].finished


def test_a_hang_gives_no_headers_and_the_sdk_times_out(fake):
    fake.script(hang())
    with pytest.raises(openai.APITimeoutError):
        client_for(fake, timeout=0.3).chat.completions.create(model="gpt-4.1-mini", messages=HELLO, stream=True)
    fake.wait_for(lambda f: f.requests[0].disconnected, timeout=3)


def test_a_failing_reply_function_is_reported_not_retried(fake):
    fake.reply = lambda body: body["no such key"]
    with pytest.raises(openai.InternalServerError, match="KeyError"):
        client_for(fake, max_retries=2).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)
    assert len(fake.requests) == 1 and isinstance(fake.reply_errors[0], KeyError)


def first_token_delays(fake, n):
    delays = []
    for _ in range(n):
        fake.script("Hi")
        started = time.monotonic()
        stream = client_for(fake).chat.completions.create(model="gpt-4.1-mini", messages=HELLO, stream=True)
        next(iter(stream))
        delays.append(time.monotonic() - started)
        stream.close()
    return delays


def test_by_default_the_first_token_comes_after_a_realistic_jittered_delay():
    with FakeOpenAI() as fake:
        delays = first_token_delays(fake, 4)
    assert all(0.2 <= delay < 0.9 for delay in delays)
    assert max(delays) - min(delays) > 0.02


def test_a_range_of_first_token_delays_is_drawn_from_the_seed():
    with FakeOpenAI(first_token_s=(0.0, 0.1), seed=3) as fake:
        drawn = [fake.jitter.draw(fake.first_token_s) for _ in range(5)]
    with FakeOpenAI(first_token_s=(0.0, 0.1), seed=3) as fake:
        again = [fake.jitter.draw(fake.first_token_s) for _ in range(5)]
    assert drawn == again and len(set(drawn)) == 5 and all(0.0 <= d <= 0.1 for d in drawn)


def argument_pieces(fake, arguments):
    fake.script(tool_calls(tool_call("get_available_slots", arguments, id="call_1")))
    chunks = stream_chunks(fake, tools=TOOLS)
    return [p.function.arguments for c in chunks if c.choices for p in (c.choices[0].delta.tool_calls or ())]


def test_tool_call_arguments_are_cut_at_irregular_places_even_inside_strings_and_escapes():
    arguments = json.dumps({"date": "2030-06-04", "note": 'the "big" noise\\rattle', "name": "Zoë"})
    with FakeOpenAI(first_token_s=0.0) as fake:
        runs = [argument_pieces(fake, arguments) for _ in range(12)]

    assert all("".join(pieces) == arguments for pieces in runs)
    sizes = {len(piece) for pieces in runs for piece in pieces[1:-1]}
    assert len(sizes) > 4
    assert all(any(piece.endswith("\\") for piece in pieces) for pieces in runs)  # an escape cut in two
    assert {pieces[0] == "" for pieces in runs} == {True, False}  # the first piece sometimes with the name


def test_the_same_seed_cuts_tool_call_arguments_the_same_way():
    arguments = json.dumps({"date": "2030-06-04", "service": "oil change", "notes": "rattle at 40 mph"})
    runs = []
    for seed in (1, 1, 2):
        with FakeOpenAI(first_token_s=0.0, seed=seed) as fake:
            runs.append(argument_pieces(fake, arguments))
    assert runs[0] == runs[1] != runs[2]


def test_a_rate_limit_can_ask_to_retry_after_whole_seconds_and_the_sdk_waits_that_long(fake):
    fake.script(rate_limited(retry_after_ms=None, retry_after_s=1), "Back again.")
    started = time.monotonic()
    completion = client_for(fake, max_retries=1).chat.completions.create(model="gpt-4.1-mini", messages=HELLO)

    assert completion.choices[0].message.content == "Back again."
    assert time.monotonic() - started >= 1.0
    assert fake.requests[0].reply.headers[-1] == ("retry-after", "1")
    assert "retry-after-ms" not in dict(fake.requests[0].reply.headers)
