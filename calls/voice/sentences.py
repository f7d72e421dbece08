"""Cutting the brain's streamed text into pieces that can be spoken as soon as they are whole.

A piece ends at a sentence end (. ! ? or a line break) once the next character shows it
really was one ("3.5", "Dr. Lee" and "8 a.m. on Monday" are not). For a fast first audio the
first piece of a reply may end at a comma (or ; : or a dash) after at least four words.
"""

import re

ENDINGS = ".!?"
CLOSERS = "\"')]\u201d\u2019"
CLAUSE_MARKS = ",;:\u2014"
TITLES = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no", "approx", "mt", "ft"})
FIRST_CLAUSE_MIN_WORDS = 4
LONG_PIECE_CHARS = 220  # a run-on sentence is cut at its last clause mark rather than wait


class SentenceSplitter:
    """feed() streamed text, get back finished pieces; flush() the rest when the stream ends."""

    def __init__(self, *, first_clause=True):
        self._buffer = ""
        self._first_clause = first_clause

    def feed(self, text):
        self._buffer += text
        pieces = []
        while True:
            cut = self._next_cut()
            if cut is None:
                return pieces
            piece, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:]
            if piece:
                pieces.append(piece)
                self._first_clause = False

    def flush(self):
        piece, self._buffer = self._buffer.strip(), ""
        self._first_clause = False
        return piece

    def _next_cut(self):
        text = self._buffer
        for index, char in enumerate(text):
            if char == "\n" and text[:index].strip():
                return index + 1
            if char in ENDINGS:
                cut = _sentence_end(text, index)
                if cut is not None:
                    return cut
            elif self._first_clause and char in CLAUSE_MARKS and _clause_end(text, index):
                return index + 1
        if len(text) > LONG_PIECE_CHARS:
            return _last_clause_mark(text)
        return None


def _sentence_end(text, index):
    """Where a sentence ending at text[index] is cut, or None when it is not (yet) an end."""
    end = index + 1
    while end < len(text) and (text[end] in ENDINGS or text[end] in CLOSERS):
        end += 1
    rest = text[end:]
    if not rest:
        return None  # the next delta decides: "3." may become "3.5"
    if not rest[0].isspace():
        return None
    following = rest.lstrip()
    if not following:
        return None
    if text[index] != ".":
        return end
    word = re.search(r"(\S+)\.$", text[: index + 1])
    word = word.group(1).lower().lstrip("\"'(\u201c") if word else ""
    if word in TITLES or (len(word) == 1 and word.isalpha()):  # "Dr. Lee", "J. Smith"
        return None
    if following[0].islower():  # "8 a.m. on Monday", "etc. and"
        return None
    return end


def _clause_end(text, index):
    rest = text[index + 1 :]
    if not rest or not rest[0].isspace():
        return False  # "1,200" or not yet known
    return len(text[:index].split()) >= FIRST_CLAUSE_MIN_WORDS


def _last_clause_mark(text):
    for index in range(len(text) - 2, 0, -1):
        if text[index] in CLAUSE_MARKS and text[index + 1].isspace():
            return index + 1
    return None
