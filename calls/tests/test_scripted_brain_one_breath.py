"""Two requests in one breath (a task and a question about the shop), and a time said loosely
among the times offered: how the scripted receptionist splits and picks, without a call."""

from datetime import date, datetime, time
from types import SimpleNamespace

import pytest

from calls.agent.scripted.intents import detect
from calls.agent.scripted.one_breath import split
from calls.agent.scripted.schedule import pick
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import normalize

MONDAY = date(2026, 12, 7)
SERVICES = ["Oil change", "Tire rotation", "Brake pads", "Battery replacement", "Check engine light diagnostic"]


def split_of(text):
    return split(text, SERVICES, MONDAY, detect(text))


@pytest.mark.parametrize(
    "said, now, later",
    [
        # a question first: answered now, the booking next
        (
            "What time do you close on Friday, and can I get a new battery put in Friday around three?",
            "What time do you close on Friday",
            "can I get a new battery put in Friday around three?",
        ),
        # a task first: done on all the words, the question next (a price "of that" is the task's service)
        (
            "Can I push my brake job to Wednesday? And roughly what's that gonna run me?",
            "Can I push my brake job to Wednesday? And roughly what's that gonna run me?",
            "And roughly what's that gonna run me? (Brake pads)",
        ),
        (
            "Please cancel my Saturday appointment. And how late are you open on weekdays?",
            "Please cancel my Saturday appointment. And how late are you open on weekdays?",
            "And how late are you open on weekdays?",
        ),
    ],
)
def test_a_task_and_a_shop_question_in_one_breath_are_both_kept(said, now, later):
    assert split_of(said) == (now, later)


@pytest.mark.parametrize(
    "said",
    [
        "My check engine light's on. How much just to find out what it is?",  # one question about one job
        "I need my tires rotated. I'm flexible, whatever's open Thursday.",  # "open" here asks nothing
        "Hi, I know you're closed, sorry. Can I get my brakes done tomorrow?",
        "Can I get an oil change and a tire rotation Thursday?",
    ],
)
def test_one_request_is_not_split(said):
    assert split_of(said) == (said, None)


OFFERED = [datetime(2026, 12, 10, 11, 30), datetime(2026, 12, 10, 13), datetime(2026, 12, 10, 14)]


@pytest.mark.parametrize(
    "said, chosen",
    [
        ("noon or close", datetime(2026, 12, 10, 11, 30)),
        ("one or so", datetime(2026, 12, 10, 13)),
        ("roughly two", datetime(2026, 12, 10, 14)),
        ("two thirty or thereabouts", datetime(2026, 12, 10, 14)),
        ("noon", None),  # an exact time not offered is not swapped for another
    ],
)
def test_a_time_said_loosely_picks_the_nearest_offered(said, chosen):
    u = SimpleNamespace(said=normalize(said), when=parse_when(said, MONDAY, expect_time=True), yes=False)
    assert pick(u, OFFERED) == chosen
