"""The shop's FAQ entries on the phone: a caller who asks an approved entry's question in their
own words hears its answer, from the scripted receptionist and through the shop_info tool the
LLM uses; an entry not yet approved is never read, and a question no entry asks gets no other
entry's answer."""

import pytest

from calls.tests.scripted_calls import DANA, call_from, clock, db  # noqa: F401 (fixtures)
from calls.tests.test_tools import tools_for, use
from scheduling.models import FaqAnswer

pytestmark = pytest.mark.django_db(transaction=True)

ANYTHING_ELSE = "Is there anything else I can help you with?"
SHUTTLE = "Yes, we run a free shuttle anywhere within three miles, downtown included."
WIFI = "Yes, the Wi-Fi password is on the counter."
DOG = "Dogs on a leash are welcome in the waiting room."
CANT_HELP = "I'm sorry, I can't help with that myself."


@pytest.fixture
def entries(shop):
    FaqAnswer.objects.create(question="Do you offer a shuttle?", answer=SHUTTLE, approved=True)
    FaqAnswer.objects.create(question="Do you have Wi-Fi?", answer=WIFI, topic="other", approved=True)
    FaqAnswer.objects.create(question="Can I bring my dog?", answer=DOG, approved=False)


async def test_a_caller_asking_an_entrys_question_in_their_words_hears_its_answer(entries, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Is there a shuttle to downtown?")
    assert said == f"{SHUTTLE} {ANYTHING_ELSE}", call.transcript
    said = await call.caller("Oh and do you guys have wifi?")
    assert said == f"{WIFI} {ANYTHING_ELSE}", call.transcript
    assert call.used("shop_info")[-1][0] == {"topic": "other", "question": "Oh and do you guys have wifi?"}


async def test_an_entry_not_approved_is_never_read(entries, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Can I bring my dog with me?")
    assert "leash" not in said and said.startswith(CANT_HELP), call.transcript


async def test_a_question_no_entry_asks_gets_no_other_entrys_answer(entries, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Do you have a vending machine there?")
    for answer in (SHUTTLE, WIFI, DOG):
        assert answer not in said, call.transcript
    assert said.startswith(CANT_HELP), call.transcript


async def test_the_llms_tool_finds_an_entry_by_the_callers_question_or_by_topic(entries, oil_change):
    await db(
        FaqAnswer.objects.create, question="Which cards?", answer="All major cards.", topic="payment", approved=True
    )
    tools = await tools_for(DANA)
    _, content = await use(tools, "shop_info", {"topic": "other", "question": "is there a shuttle to downtown?"})
    assert content["approved_answer"] == SHUTTLE and content["answers_question"] == "Do you offer a shuttle?"
    _, content = await use(tools, "shop_info", {"topic": "payment"})
    assert content["approved_answer"] == "All major cards."
    _, content = await use(tools, "shop_info", {"topic": "other", "question": "can I bring my dog?"})
    assert content["approved_answer"] is None and "take a message" in content["note"]
    _, content = await use(tools, "shop_info", {"topic": "other", "question": "do you sell tires?"})
    assert content["approved_answer"] is None
