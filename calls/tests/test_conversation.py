"""The conversation: one typed history, written only through its methods, rendered for a model
within a token budget without breaking what the API accepts."""

import json

from calls.voice.conversation import AgentRound, Conversation, ToolResult, estimate_tokens, trim_history
from calls.voice.llm.base import ToolCall
from fakes.openai import validation_problem

SYSTEM = {"role": "system", "content": "You are the receptionist. " * 20}


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


def tool_exchange(call_id, result_chars=40):
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": "get_available_slots", "arguments": '{"date": "2030-06-04"}'},
            }
        ],
    }
    result = {"role": "tool", "tool_call_id": call_id, "content": "x" * result_chars}
    return [call, result]


def conversation(turns):
    messages = [SYSTEM]
    for n in range(turns):
        messages += [
            user(f"Question number {n} about my car"),
            *tool_exchange(f"call_{n}"),
            assistant(f"Answer number {n}, anything else?"),
        ]
    return messages


def cost(messages):
    return sum(estimate_tokens(m) for m in messages)


def test_a_short_conversation_is_kept_whole():
    messages = conversation(2)
    assert trim_history(messages, 10_000) == messages


def test_the_oldest_turns_go_first_and_the_system_prompt_stays():
    messages = conversation(30)
    trimmed = trim_history(messages, 600)

    assert trimmed[0] == SYSTEM
    assert cost(trimmed) <= 600
    assert trimmed[-1] == messages[-1]
    assert trimmed[1:] == messages[len(messages) - len(trimmed) + 1 :]  # a contiguous recent tail
    assert len(trimmed) < len(messages)


def test_a_tool_call_is_never_separated_from_its_results():
    messages = conversation(30)
    for budget in range(150, 900, 7):
        trimmed = trim_history(messages, budget)
        assert validation_problem({"model": "m", "messages": trimmed}) is None, budget
        assert trimmed[1]["role"] != "tool"


def test_parallel_results_stay_with_their_call():
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "lookup_customer", "arguments": "{}"}},
            {"id": "call_b", "type": "function", "function": {"name": "get_available_slots", "arguments": "{}"}},
        ],
    }
    results = [
        {"role": "tool", "tool_call_id": "call_a", "content": "a" * 400},
        {"role": "tool", "tool_call_id": "call_b", "content": "b" * 400},
    ]
    messages = [SYSTEM, user("old " * 200), call, *results, assistant("Here you go.")]

    budget = cost([SYSTEM, call, *results, messages[-1]]) + 5
    trimmed = trim_history(messages, budget)

    assert trimmed == [SYSTEM, call, *results, messages[-1]]
    assert trim_history(messages, budget - 10) == [SYSTEM, messages[-1]]


def test_the_latest_turn_survives_even_over_budget():
    huge = user("please " * 2000)
    trimmed = trim_history([SYSTEM, user("hello"), assistant("hi"), huge], 50)
    assert trimmed == [SYSTEM, huge]


def test_orphaned_tool_results_are_dropped():
    orphan = {"role": "tool", "tool_call_id": "call_gone", "content": "{}"}
    trimmed = trim_history([SYSTEM, orphan, user("hi")], 10_000)
    assert trimmed == [SYSTEM, user("hi")]


def test_tool_calls_count_toward_the_estimate():
    call, result = tool_exchange("call_1", result_chars=400)
    assert estimate_tokens(result) >= 100
    assert estimate_tokens(call) > estimate_tokens({"role": "assistant", "content": None})


SLOTS = ToolCall(id="call_1", name="get_available_slots", arguments='{"date": "2030-06-04"}')


def test_results_stay_with_the_round_that_asked_even_when_the_caller_spoke_meanwhile():
    conversation = Conversation("You are the receptionist.", token_budget=3000)
    conversation.caller_said("Is Tuesday free?")
    asked = AgentRound("Let me check.", tool_calls=(SLOTS,))
    conversation.agent_said(asked)
    conversation.caller_said("Morning if you can.")
    conversation.answered(asked, [ToolResult("call_1", '{"slots": ["09:00"]}')])

    assert conversation.messages()[1:] == [
        user("Is Tuesday free?"),
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_available_slots", "arguments": '{"date": "2030-06-04"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"slots": ["09:00"]}'},
        user("Morning if you can."),
    ]
    assert validation_problem({"model": "m", "messages": conversation.render()}) is None


def test_it_keeps_only_what_the_caller_heard():
    conversation = Conversation("You are the receptionist.", token_budget=3000)
    conversation.caller_said("Can I come Tuesday?")
    reply = AgentRound("Tuesday at nine works. I will need your name.")
    conversation.agent_said(reply)
    conversation.heard(reply, "Tuesday at nine works.")
    assert conversation.messages()[-1] == assistant("Tuesday at nine works.")


def test_a_reply_nobody_heard_goes_and_the_caller_s_next_words_continue_their_turn():
    conversation = Conversation("You are the receptionist.", token_budget=3000)
    conversation.caller_said("Can I come Tuesday")
    reply = AgentRound("Sure, let me look.")
    conversation.agent_said(reply)
    conversation.heard(reply, "")
    conversation.caller_said("in the morning?")
    assert conversation.messages()[1:] == [user("Can I come Tuesday in the morning?")]


def test_a_round_with_tool_calls_stays_for_its_results_though_its_words_went_unheard():
    conversation = Conversation("You are the receptionist.", token_budget=3000)
    asked = AgentRound("Let me check.", tool_calls=(SLOTS,))
    conversation.agent_said(asked)
    conversation.answered(asked, [ToolResult("call_1", "{}")])
    conversation.heard(asked, "")
    message, result = conversation.messages()[1:]
    assert message["content"] is None and message["tool_calls"][0]["id"] == "call_1"
    assert result == {"role": "tool", "tool_call_id": "call_1", "content": "{}"}


def test_the_model_is_sent_the_newest_part_within_the_budget():
    conversation = Conversation(SYSTEM["content"], token_budget=300)
    for n in range(40):
        conversation.caller_said(f"Question number {n} about my car")
        conversation.agent_said(AgentRound(f"Answer number {n}, anything else?"))
    rendered = conversation.render()
    assert rendered[0] == SYSTEM and rendered[-1] == assistant("Answer number 39, anything else?")
    assert cost(rendered) <= 300 < cost(conversation.messages())


def test_no_piece_makes_every_later_request_huge():
    """A confused model sends a megabyte of arguments and a tool repeats them: what the model is
    sent afterwards stays within a few thousand tokens, the system prompt and the newest turn included."""
    conversation = Conversation(SYSTEM["content"], token_budget=3000)
    huge = "x" * 1_000_000
    conversation.caller_said("Book me in. " + huge)
    asked = AgentRound(None, tool_calls=(ToolCall(id="call_1", name="book_appointment", arguments=huge),))
    conversation.agent_said(asked)
    conversation.answered(asked, [ToolResult("call_1", '{"error": "no service called ' + huge + '"}')])
    rendered = conversation.render()
    assert validation_problem({"model": "m", "messages": rendered}) is None
    assert len(json.dumps(rendered)) < 16_000
    assert rendered[-1]["content"].endswith("more characters cut]")
