"""Leaving the agent: a transfer to an advisor through Twilio (filed as one even when the caller
leaves before the tool finishes, taken back when Twilio refuses), and hanging up."""

import asyncio

import pytest

from calls.actions import finish_call
from calls.models import Call
from calls.tests.test_tools import CALL_SID, DANA, call_record, db, nothing_happens, tools_for, use  # noqa: F401
from fakes.twilio_rest import FakeTwilioRest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def twilio(settings):
    with FakeTwilioRest() as twilio:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = twilio.account_sid, twilio.auth_token
        settings.TWILIO_API_BASE_URL = twilio.base_url
        settings.SHOP_ADVISOR_NUMBER = "+13125550123"
        yield twilio


async def test_transfer_hands_the_call_to_an_advisor_through_twilio(shop, call_record, twilio):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "transfer_to_advisor", {"summary": "Dana wants a quote for a timing belt."})
    assert outcome.ok and outcome.hands_over and not outcome.ends_call
    assert content == {"transferring": True}
    (update,) = twilio.calls[CALL_SID]["updates"]
    assert "<Dial" in update["Twiml"] and "+13125550123" in update["Twiml"]
    saved = await db(Call.objects.get, call_sid=CALL_SID)
    assert saved.transferred and saved.summary == "Dana wants a quote for a timing belt."
    assert tools.outcome.achieved == {Call.Outcome.TRANSFERRED}
    assert tools.outcome.lines == ["Transferred to an advisor: Dana wants a quote for a timing belt."]


async def test_the_caller_pressing_0_transfers_with_a_reason(shop, call_record, twilio):
    tools = await tools_for(DANA)
    outcome, _ = await use(tools, "transfer_to_advisor", {"reason": "The caller pressed 0."})
    assert outcome.ok and outcome.hands_over
    assert (await db(Call.objects.get, call_sid=CALL_SID)).summary == "The caller pressed 0."


async def test_a_failed_transfer_lets_the_agent_offer_a_message(shop, call_record, twilio):
    twilio.fail_next(500)
    tools = await tools_for(DANA)
    tools.outcome.achieve(Call.Outcome.INFO, "Quoted the hours.")  # what the call did before
    outcome, content = await use(tools, "transfer_to_advisor", {"summary": "Wants a person."})
    assert nothing_happens(outcome)
    assert content == {"error": "The transfer didn't go through. Offer to take a message instead."}
    assert tools.outcome.achieved == {Call.Outcome.INFO} and tools.outcome.lines == ["Quoted the hours."]
    assert not (await db(Call.objects.get, call_sid=CALL_SID)).transferred


async def test_a_transfer_is_filed_even_when_the_caller_leaves_before_the_tool_saves_it(shop, call_record, twilio):
    """Twilio moves the caller to the advisor at once, which ends the stream and cancels the tool
    while its save is still in flight: the finished call is still marked transferred."""
    tools = await tools_for(DANA)
    task = asyncio.ensure_future(use(tools, "transfer_to_advisor", {"summary": "Wants a person."}))
    while not twilio.calls.get(CALL_SID, {}).get("updates"):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await db(Call.objects.filter(call_sid=CALL_SID).update, transferred=False)  # the save that never ran
    await db(finish_call, CALL_SID, end_reason="stream_stopped", **tools.outcome.filing())
    saved = await db(Call.objects.get, call_sid=CALL_SID)
    assert saved.transferred and saved.outcome == Call.Outcome.TRANSFERRED
    assert "Wants a person." in saved.summary


async def test_transfer_without_an_advisor_number_is_refused(settings, shop, call_record):
    settings.SHOP_ADVISOR_NUMBER = ""
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "transfer_to_advisor", {"summary": "Wants a person."})
    assert nothing_happens(outcome) and "take a message" in content["error"]
    assert not tools.outcome.achieved and not tools.outcome.lines


async def test_a_transfer_that_breaks_unexpectedly_is_taken_back(shop, call_record, monkeypatch, caplog):
    async def broken(call_sid):
        raise RuntimeError("the SDK changed under us")

    monkeypatch.setattr("calls.agent.tools.handover.transfer_call", broken)
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "transfer_to_advisor", {"summary": "Wants a person."})
    assert nothing_happens(outcome) and "offer to take a message" in content["error"]
    assert not tools.outcome.achieved and not tools.outcome.lines
    assert f"Call {CALL_SID}: tool transfer_to_advisor failed" in caplog.text


async def test_end_call_asks_the_session_to_hang_up(shop):
    tools = await tools_for(DANA)
    outcome, content = await use(tools, "end_call")
    assert outcome.ok and outcome.ends_call and not outcome.hands_over
    assert content == {"ok": True}
