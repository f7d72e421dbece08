"""How the scripted receptionist reads spoken words: days and times against a fixed Monday,
VINs read out loud, services from symptoms, names, yes and no; and how it says things back."""

import re
from datetime import date, datetime, time

import pytest

from calls.agent.scripted.emails import email_in
from calls.agent.scripted.intents import checking_in, detect
from calls.agent.scripted.messages import reason_in
from calls.agent.scripted.names import spoken_name
from calls.agent.scripted.phone_numbers import extension_in, phone_number
from calls.agent.scripted.receptionist import ARE_YOU_A_MACHINE, OTHER_PLACE
from calls.agent.scripted.services import match_service
from calls.agent.scripted.speech import say_day, say_moment, say_time, service_phrase
from calls.agent.scripted.vin import read_back, vin_characters
from calls.agent.scripted.when import parse_when
from calls.agent.scripted.words import is_no, is_yes, normalize

MONDAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    "said, day, clock, part",
    [
        ("next Tuesday afternoon", date(2026, 12, 8), None, "afternoon"),
        ("the 14th at 2", date(2026, 12, 14), time(14), "afternoon"),
        ("the fourteenth at two thirty", date(2026, 12, 14), time(14, 30), "afternoon"),
        ("tomorrow morning", date(2026, 12, 8), None, "morning"),
        ("tomorrow at 9", date(2026, 12, 8), time(9), "morning"),
        ("Friday at 10:30", date(2026, 12, 11), time(10, 30), "morning"),
        ("this Saturday", date(2026, 12, 12), None, None),
        ("in two weeks", date(2026, 12, 21), None, None),
        ("two weeks from today", date(2026, 12, 21), None, None),
        ("a week from Friday", date(2026, 12, 18), None, None),
        ("a week from tomorrow", date(2026, 12, 15), None, None),
        ("Tuesday", date(2026, 12, 8), None, None),
        ("Monday", date(2026, 12, 14), None, None),  # said on a Monday: next week's
        ("this Monday at 4", date(2026, 12, 7), time(16), "afternoon"),
        ("the 3rd", date(2027, 1, 3), None, None),  # gone by this month: next month's
        ("the 31st", date(2026, 12, 31), None, None),
        ("December 14th at 2 pm", date(2026, 12, 14), time(14), "afternoon"),
        ("June 5th at 3", date(2027, 6, 5), time(15), "afternoon"),
        ("12/14 at 11", date(2026, 12, 14), time(11), "morning"),
        ("next week on Tuesday", date(2026, 12, 15), None, None),
        ("Thursday after next", date(2026, 12, 17), None, None),
        ("noon tomorrow", date(2026, 12, 8), time(12), "afternoon"),
        ("half past two", None, time(14, 30), "afternoon"),
        ("quarter to ten", None, time(9, 45), "morning"),
        ("nine oh five am", None, time(9, 5), "morning"),
        ("at 7", None, time(7), "morning"),
        ("actually make it 2 PM", None, time(14), "afternoon"),
        ("first thing Thursday", date(2026, 12, 10), None, "morning"),
        ("no, Wednesday", date(2026, 12, 9), None, None),
        ("wait a second", None, None, None),
        ("I am free Wednesday", date(2026, 12, 9), None, None),
        ("my check engine light came on this morning", None, None, None),  # when it happened, not when to come
        ("it broke down yesterday, can I bring it in tomorrow", date(2026, 12, 8), None, None),
        # a model year is not a time: "twenty twenty" was read as 8:20 PM and only afternoons offered
        ("it's a twenty twenty Nissan Rogue, Wednesday morning", date(2026, 12, 9), None, "morning"),
        ("my twenty nineteen Honda, Tuesday at eight", date(2026, 12, 8), time(8), "morning"),
        ("my 2019 Honda Tuesday at 10", date(2026, 12, 8), time(10), "morning"),
        ("not next week, the week after next, the Wednesday", date(2026, 12, 23), None, None),
        ("Wednesday, like twelve fifteen? That's my lunch break.", date(2026, 12, 9), time(12, 15), "afternoon"),
        ("one o'clock then, I guess. I'll take a late lunch.", None, time(13), "afternoon"),
        ("Can I get in next week? Not Monday though, I've got a thing Monday.", date(2026, 12, 15), None, None),
    ],
)
def test_spoken_days_and_times(said, day, clock, part):
    when = parse_when(said, MONDAY)
    assert (when.day, when.clock, when.part, when.problem) == (day, clock, part, None)


@pytest.mark.parametrize(
    "said, problem",
    [
        ("February 30th", "There's no February 30th; February has 28 days in 2027."),
        ("Feb 29", "There's no February 29th; February has 28 days in 2027."),
        ("April 31st", "There's no April 31st; April has 30 days."),
        ("the 32nd", "There's no 32nd in any month."),
        ("yesterday", "That day has already passed."),
        ("midnight", "We're not open at midnight."),
    ],
)
def test_impossible_days_come_with_a_reason(said, problem):
    assert parse_when(said, MONDAY).problem == problem


@pytest.mark.parametrize(
    "said, day, clock, part",
    [
        ("Tuesday at eight. Actually, can we do ten instead?", date(2026, 12, 8), time(10), "morning"),
        ("Tuesday at 8, no wait, ten thirty", date(2026, 12, 8), time(10, 30), "morning"),
        ("Wednesday morning, sorry I meant the afternoon", date(2026, 12, 9), None, "afternoon"),
        ("Wednesday at 9, no wait, make that Thursday", date(2026, 12, 10), time(9), "morning"),
        ("Thursday around 9, or actually 10 would be better", date(2026, 12, 10), time(10), "morning"),
        ("Actually, Friday", date(2026, 12, 11), None, None),  # nothing taken back
    ],
)
def test_the_latest_statement_wins(said, day, clock, part):
    when = parse_when(said, MONDAY)
    assert (when.day, when.clock, when.part) == (day, clock, part)


@pytest.mark.parametrize(
    "said, clock, window, edge",
    [
        ("Thursday around lunch", time(12), (None, None), None),
        ("tomorrow, noonish", time(12), (None, None), None),
        ("tenish", time(10), (None, None), None),
        ("something before lunch", None, (None, time(12)), None),
        ("tomorrow at for in the afternoon", time(16), (None, None), None),  # Whisper's "four"
        ("for pm", time(16), (None, None), None),
        ("let's do 2", time(14), (None, None), None),
        ("late afternoon Friday", None, (time(15), None), None),
        ("first thing in the morning", None, (None, None), "first"),
        ("the earliest you have on Thursday", None, (None, None), "first"),
        ("end of the day tomorrow", None, (None, None), "last"),
        ("book it for in the morning", None, (None, None), None),
    ],
)
def test_colloquial_times(said, clock, window, edge):
    when = parse_when(said, MONDAY)
    assert (when.clock, (when.after, when.before), when.edge) == (clock, window, edge)


def test_a_bare_number_is_a_time_only_when_a_time_was_asked_for():
    assert parse_when("2", MONDAY).clock is None
    assert parse_when("2", MONDAY, expect_time=True).clock == time(14)
    assert parse_when("how about 9", MONDAY).clock == time(9)
    assert parse_when("sometime next week", MONDAY).span_days == 6
    assert parse_when("what's the earliest you have", MONDAY).asap
    window = parse_when("any time after 2 on Thursday", MONDAY)
    assert (window.day, window.after, window.clock) == (date(2026, 12, 10), time(14), None)


def test_a_hedged_hour_is_a_time_that_a_near_one_may_stand_in_for():
    asked = parse_when("Hmm, actually, could we make it the afternoon instead? Like two.", MONDAY, expect_time=True)
    assert (asked.clock, asked.roughly) == (time(14), True)
    assert parse_when("Like nine? I'm not picky.", MONDAY, expect_time=True).roughly
    assert parse_when("nine-ish", MONDAY, expect_time=True).roughly
    assert not parse_when("at 9", MONDAY, expect_time=True).roughly
    assert not parse_when("I'm calling about my brakes, Tuesday at 9", MONDAY).roughly
    assert parse_when("I'd like 4 new tires", MONDAY, expect_time=True).clock is None  # a count, not a time


@pytest.mark.parametrize(
    "said", ["in like twenty minutes", "in an hour", "can you take it right now", "in a few minutes"]
)
def test_in_a_few_minutes_is_today_as_soon_as_there_is_room(said):
    when = parse_when(said, MONDAY)
    assert (when.day, when.edge) == (MONDAY, "first")


def test_in_two_weeks_is_still_two_weeks():
    assert parse_when("in two weeks", MONDAY).day == date(2026, 12, 21)


@pytest.mark.parametrize(
    "said, characters",
    [
        ("one H G C M eight two six three three A oh oh four three five two", "1HGCM82633A004352"),
        ("1HGCM 82633 A004352", "1HGCM82633A004352"),
        ("double five, triple oh", "55000"),
        ("b as in boy, c as in charlie", "BC"),
        ("v is in boy, t as in david, 1", "BD1"),
        ("alpha bravo zero niner", "AB09"),
        ("eighty two sixty three", "8263"),
    ],
)
def test_a_vin_read_out_loud(said, characters):
    assert vin_characters(said)[0] == characters


def test_words_that_are_not_a_vin_are_set_aside():
    chars, unknown = vin_characters("sorry I don't have it with me")
    assert len(unknown) > len(chars)
    assert read_back("1HGCM82633A004352") == "1 H G C, M 8 2 6, 3 3 A 0, 0 4 3 5, 2"


SERVICES = [
    "Oil change", "Brake pads and rotors", "Check engine light diagnostic", "Tire rotation", "A/C service",
    "State inspection", "Battery replacement", "Wheel alignment",
]  # fmt: skip


@pytest.mark.parametrize(
    "said, service",
    [
        ("I need an oil change", "Oil change"),
        ("my brakes are squeaking", "Brake pads and rotors"),
        ("there's a grinding noise when I stop", "Brake pads and rotors"),
        ("the check engine light came on", "Check engine light diagnostic"),
        ("my AC is blowing warm air", "A/C service"),
        ("rotate my tires", "Tire rotation"),
        ("the car pulls to the left", "Wheel alignment"),
        ("I want to book an appointment", None),
    ],
)
def test_services_from_the_callers_words(said, service):
    assert match_service(said, SERVICES) == service


@pytest.mark.parametrize(
    "said, name",
    [
        ("It's Jordan Lee", "Jordan Lee"),
        ("my name is ana lucia morales", "Ana Lucia Morales"),
        ("yeah this is Sam here", "Sam"),
        # Whisper mishears lone letters, not the example words: the example says the letter
        ("V is in Boy, R, E, N, N, A, N.", "Brennan"),
        ("That's T as in David, A, N, A.", "Dana"),
        ("I like Tuesdays, it's Kelly", "Kelly"),
        ("I want to book an oil change", None),
        ("no", None),
    ],
)
def test_names(said, name):
    assert spoken_name(said) == name


@pytest.mark.parametrize(
    "said, intent",
    [
        ("What are your hours?", "hours"),
        ("Where are you located?", "location"),
        ("How much is a brake job?", "price"),
        ("I need to cancel my appointment", "cancel"),
        ("Can I move my appointment to Friday?", "reschedule"),
        ("When is my appointment?", "list"),
        ("I'd like to book an oil change", "book"),
        ("Oil change the day after tomorrow", None),
        ("Can I talk to a real person?", "person"),
        ("Please have someone call me back", "message"),
        ("I want to add my new car", "vehicle"),
        ("That's all, bye", "goodbye"),
    ],
)
def test_what_the_caller_wants(said, intent):
    assert detect(said) == intent


def test_yes_and_no():
    assert is_yes(normalize("Yeah, that works")) and not is_no(normalize("Yeah, that works"))
    assert is_no(normalize("No, Wednesday")) and not is_yes(normalize("No, Wednesday"))
    assert not is_no(normalize("no problem, go ahead")) and is_yes(normalize("no problem, go ahead"))


def test_how_dates_times_and_services_are_said():
    assert say_time(time(9)) == "9 AM" and say_time(time(14, 30)) == "2:30 PM" and say_time(time(12)) == "noon"
    assert say_day(date(2026, 12, 1)) == "Tuesday, December 1st"
    assert say_moment(datetime(2026, 12, 22, 9)) == "Tuesday, December 22nd at 9 AM"
    assert service_phrase("Oil change") == "an oil change"
    assert service_phrase("Brake pads and rotors") == "brake pads and rotors"
    assert service_phrase("A/C service") == "an A/C service"


@pytest.mark.parametrize(
    "today, said, first, days",
    [
        (MONDAY, "can I bring it in at the end of the week", date(2026, 12, 10), 3),  # Thursday to Saturday
        (date(2026, 12, 11), "end of the week", date(2026, 12, 11), 2),  # on a Friday: today and tomorrow
        (MONDAY, "end of next week", date(2026, 12, 17), 3),
        (date(2026, 12, 13), "end of the week", date(2026, 12, 17), 3),  # on a Sunday: the coming week's
        (MONDAY, "by the end of the week", MONDAY, 6),  # any day until then
    ],
)
def test_the_end_of_the_week_is_its_last_working_days(today, said, first, days):
    when = parse_when(said, today)
    assert (when.day, when.span_days) == (first, days)


@pytest.mark.parametrize(
    "said, kind",
    [
        ("Hello? Can you hear me?", "line"),
        ("Are you still there?", "line"),
        ("Is anybody there?", "line"),
        ("Hey, how are you doing today?", "polite"),
        ("Good, how are you?", "polite"),
        ("Hi, how's it going?", "polite"),
        ("Hello?", None),  # a greeting
        ("Can you hear me? I need an oil change.", None),  # a request
        ("How are the brakes looking?", None),
        ("How are you guys open on Saturday?", None),
    ],
)
def test_checking_the_line_and_small_talk_are_told_apart_from_requests(said, kind):
    assert checking_in(said) == kind


@pytest.mark.parametrize(
    "said, reason",
    [
        (
            "No rush at all, but could someone give me a ring about a quote on a new set of tires for the truck? "
            "Best to call my work line, six three oh, five five five, oh one five oh.",
            "a quote on a new set of tires for the truck",  # "give me a ring" asks; "my work line" is the phone
        ),
        (
            "Can someone call me back about the quote on my brakes? Use three one two, five five five, oh one, "
            "seventy-seven.",
            "the quote on my brakes",  # "oh one, seventy-seven" is the number's end, not the message
        ),
    ],
)
def test_a_messages_reason_leaves_out_how_to_call_back(said, reason):
    assert reason_in(said) == reason


@pytest.mark.parametrize(
    "said, address",
    [
        ("Sure, it's J, dot, K-O-W-A-L-S-K-I, at gmail dot com. J dot Kowalski at gmail.", "j.kowalski@gmail.com"),
        ("jo underscore park at example dot org", "jo_park@example.org"),
        ("It's siobhan, S-I-O-B-H-A-N, dot K-R, at example dot com", "siobhan.kr@example.com"),
        ("my email is Jo.Park@Example.com.", "jo.park@example.com"),
        ("tom 42 at hotmail dot com", "tom42@hotmail.com"),
        ("I'll be at work at nine", None),
        ("call me at home, I'm at the office until five", None),
    ],
)
def test_an_email_address_said_aloud(said, address):
    assert email_in(said) == address


def test_a_number_said_with_an_extension_and_a_correction():
    assert phone_number("my work line, 312-555-0142, extension 214") == "+13125550142"
    assert extension_in("my work line, 312-555-0142, extension two one four") == "214"
    assert phone_number("three one two, five five five, oh one, no sorry, oh two one nine") == "+13125550219"


@pytest.mark.parametrize(
    "said, asked",
    [
        ("Hi... wait, am I talking to a real person or is this a robot?", True),
        ("Are you AI?", True),
        ("Is this a recording?", True),
        ("Are you guys able to run a computer diagnostic?", False),
        ("Is this person going to call me back?", False),
        ("Sorry, I know you're closed, I figured I'd get a machine. Can I get an oil change Monday?", False),
    ],
)
def test_asked_whether_the_agent_is_a_machine(said, asked):
    questions = re.findall(r"[^.?!]*\?", said)
    assert any(ARE_YOU_A_MACHINE.search(normalize(q)) for q in questions) is asked


@pytest.mark.parametrize(
    "said, elsewhere",
    [
        ("Wait, this isn't Tony's Pizza?", True),
        ("Is this Dr. Patel's office?", True),
        ("Is this Dana's appointment?", False),
        ("No, this isn't Marcus's truck, it's my wife's.", False),
        ("Is this Mike?", False),  # an advisor, maybe
        ("Is this Otto's?", False),
    ],
)
def test_a_caller_who_meant_another_business(said, elsewhere):
    assert bool(OTHER_PLACE.search(said)) is elsewhere
