"""FAQ answers are free-form entries: any number, a question as callers ask it and its answer, an
optional topic. The agent reads only approved entries: every approved entry of a topic when asked
about the topic, or the one entry whose question the caller's words ask; a question that matches
no entry gets nothing, never the nearest other entry's answer."""

import pytest

from scheduling import faq_words, shop_info
from scheduling.models import FaqAnswer

pytestmark = pytest.mark.django_db


def entry(question, answer, topic="", approved=True):
    return FaqAnswer.objects.create(question=question, answer=answer, topic=topic, approved=approved)


@pytest.fixture
def entries(db):
    entry("Do you offer a shuttle?", "We run a free shuttle within three miles.")
    entry("Do you have Wi-Fi?", "Yes, the password is on the counter.")
    entry("Can I bring my dog?", "Dogs on a leash are welcome.", approved=False)


def test_a_new_entry_is_not_approved():
    assert FaqAnswer(question="Any coffee?", answer="Yes.").approved is False


def test_a_callers_words_find_the_approved_entry_that_asks_them(entries):
    assert shop_info.faq_answer("other", "is there a shuttle to downtown?") == (
        "We run a free shuttle within three miles.",
        "Do you offer a shuttle?",
    )
    assert shop_info.faq_answer("other", "do you guys have wifi?")[0] == "Yes, the password is on the counter."


def test_an_unapproved_entry_is_never_read(entries):
    assert shop_info.faq_answer("other", "can I bring my dog along?") == (None, None)
    assert shop_info.matching_entry("Can I bring my dog?") is None


@pytest.mark.parametrize("said", ["Do you sell tires?", "How late are you open?", "can I pay later?", ""])
def test_a_question_matching_no_entry_gets_no_other_entrys_answer(entries, said):
    assert shop_info.faq_answer("other", said) == (None, None)


def test_a_topic_reads_all_its_approved_entries_joined(db):
    entry("What do you take?", "We take cards.", topic="payment")
    entry("Apple Pay?", "And Apple Pay.", topic="payment")
    entry("Checks?", "Checks too.", topic="payment", approved=False)
    assert shop_info.approved_answer("payment") == "We take cards. And Apple Pay."
    assert shop_info.faq_answer("payment", "do you take checks?") == ("We take cards. And Apple Pay.", None)


def test_a_topic_without_entries_falls_back_to_the_callers_question(entries):
    assert shop_info.faq_answer("loaners", "is there a shuttle?")[0] == "We run a free shuttle within three miles."
    assert shop_info.faq_answer("warranty", "what warranty do you give?") == (None, None)


def test_other_is_no_topic_to_read_whole_but_its_entries_match_by_question(db):
    entry("Do you do fleet accounts?", "Yes, ask for Pat.", topic="other")
    entry("Do you recycle batteries?", "We take old batteries free.", topic="other")
    assert shop_info.faq_answer("other", "any fleet discount accounts?") == (
        "Yes, ask for Pat.",
        "Do you do fleet accounts?",
    )
    assert shop_info.faq_answer("other", "do you detail cars?") == (None, None)


def test_an_old_hours_entry_is_never_matched(db):
    entry("What are your hours?", "Open 24/7!", topic="hours")
    assert shop_info.faq_answer("other", "what are your hours?") == (None, None)


def test_the_words_that_count_leave_out_what_every_question_says():
    assert faq_words.content_words("Is there a shuttle to downtown?") == {"shuttle", "downtown"}
    assert faq_words.content_words("Do you offer shuttles for cars?") == {"shuttle"}
