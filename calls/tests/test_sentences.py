"""Cutting streamed brain text into speakable pieces."""

import pytest

from calls.voice.sentences import SentenceSplitter


def split(deltas, *, first_clause=True):
    splitter = SentenceSplitter(first_clause=first_clause)
    pieces = []
    for delta in deltas:
        pieces.extend(splitter.feed(delta))
    tail = splitter.flush()
    return pieces + ([tail] if tail else [])


def tokens(text):
    """Deltas the way a chat model streams them: a word with its leading space."""
    words = text.split(" ")
    return [words[0]] + [" " + word for word in words[1:]]


def test_it_cuts_at_sentence_ends():
    assert split(tokens("Sure. We open at eight! Is Tuesday good? Great.")) == [
        "Sure.",
        "We open at eight!",
        "Is Tuesday good?",
        "Great.",
    ]


def test_a_sentence_is_released_as_soon_as_the_next_word_shows_it_ended():
    splitter = SentenceSplitter()
    assert splitter.feed("We open at eight") == []
    assert splitter.feed(".") == []  # could still be "eight.5"
    assert splitter.feed(" See") == ["We open at eight."]


@pytest.mark.parametrize(
    "text",
    [
        "It costs $49.99 for synthetic oil.",
        "Dr. Lee will see your car today.",
        "We open at 8 a.m. on weekdays.",
        "Ask for J. Smith at the desk.",
        "That is about 1,200 dollars in total.",
    ],
)
def test_numbers_titles_and_abbreviations_do_not_end_a_sentence(text):
    assert split(tokens(text), first_clause=False) == [text]


def test_a_first_clause_of_four_words_is_spoken_on_its_own_for_a_fast_first_audio():
    assert split(tokens("Let me check the schedule, one moment. Then, we will see.")) == [
        "Let me check the schedule,",
        "one moment.",
        "Then, we will see.",
    ]


def test_a_short_first_clause_waits_for_the_sentence():
    assert split(tokens("Sure, I can help with that.")) == ["Sure, I can help with that."]


def test_closing_quotes_stay_with_their_sentence():
    assert split(tokens('He said "okay." Then he left.')) == ['He said "okay."', "Then he left."]


def test_a_line_break_ends_a_piece():
    assert split(["First line\nSecond line"]) == ["First line", "Second line"]


def test_a_run_on_sentence_is_cut_at_a_clause_mark_instead_of_waiting():
    text = "We can do " + ", ".join(f"slot number {n}" for n in range(20)) + " and more"
    pieces = split(tokens(text), first_clause=False)
    assert len(pieces) > 1
    assert " ".join(pieces) == text
    assert all(len(piece) <= 240 for piece in pieces)


def test_flush_returns_the_unfinished_rest_once():
    splitter = SentenceSplitter()
    splitter.feed("Thanks for calling")
    assert splitter.flush() == "Thanks for calling"
    assert splitter.flush() == ""
