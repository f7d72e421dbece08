"""take_message: a callback request for the advisors, on the caller's number or one they give."""

import pytest

from calls.models import CallbackRequest
from calls.tests.test_tools import DANA, call_record, db, nothing_happens, tools_for, use  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_take_message_leaves_a_callback_request_for_the_advisors(shop, customer, call_record):
    tools = await tools_for(DANA)
    outcome, content = await use(
        tools, "take_message", {"name": "Dana", "reason": "Brakes grinding, is it safe?", "urgency": "urgent"}
    )
    assert outcome.ok and content == {"message_taken": True}
    message = await db(CallbackRequest.objects.select_related("call", "customer").get)
    assert (message.phone, message.customer, message.call, message.urgency) == (DANA, customer, call_record, "urgent")
    assert message.is_open
    assert tools.outcome.achieved == {"message"}
    assert tools.outcome.lines == ["Message for an advisor (urgent): Brakes grinding, is it safe?"]


async def test_a_callback_number_that_is_no_number_is_refused(shop, customer):
    tools = await tools_for(DANA)
    outcome, content = await use(
        tools,
        "take_message",
        {"name": "Dana", "reason": "Call me", "urgency": "soon", "callback_number": "the usual one"},
    )
    assert nothing_happens(outcome) and content["error"].startswith("That callback number doesn't work:")
    assert not await db(CallbackRequest.objects.exists)
    assert not tools.outcome.achieved and not tools.outcome.lines
