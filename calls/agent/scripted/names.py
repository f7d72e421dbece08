"""A caller's name, as they say it ("it's Jordan Lee", "my name is Ana Lucia Morales") or spell it
("Siobhan, S I O B H A N", "B as in boy, O, B", "K-E-L-L-Y"), and corrections to it ("no, it's
with a Y")."""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from calls.agent.scripted.car_names import car_in
from calls.agent.scripted.emails import email_in
from calls.agent.scripted.state import Booking, Message, VinEntry
from calls.agent.scripted.vin import NATO
from calls.agent.scripted.words import letters_by_example

LEADS = (
    "my name is", "my name's", "name is", "name's", "the name is", "this is", "it's", "it is", "i'm", "i am",
    "call me", "you can call me", "just say", "just put", "put down", "put", "say", "just", "you can put", "put it under", "put me down as", "under", "yeah", "yes", "sure", "okay", "ok",
    "um", "uh", "so", "well", "oh", "hi", "hello", "and", "no", "sorry", "actually",
)  # fmt: skip
# Words that say which part of the name comes, or that it is being spelled: never part of it.
MARKERS = frozenset({
    "first", "last", "surname", "family", "given", "name", "name's", "names", "is", "spelled", "spelt",
    "spelling", "that's", "it's", "its", "and", "then", "letter", "letters", "capital", "my", "the", "as", "in",
    "like", "dash", "hyphen", "apostrophe", "space", "comma", "period", "dot", "that", "it", "s", "of", "course",
})  # fmt: skip
NOT_NAMES = frozenset({
    "no", "not", "don't", "book", "appointment", "cancel", "yes", "okay", "what", "why", "how", "when", "where",
    "sorry", "the", "a", "an", "my", "car", "oil", "change", "brakes", "tomorrow", "today", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "i", "you", "it", "is", "am", "please", "thanks",
    "thank", "hold", "wait", "minute", "second", "can", "could", "would", "want", "need", "have", "there",
    "that's", "that", "this", "right", "correct", "yeah", "yep", "yup", "sure", "fine", "good", "great",
    "perfect", "number", "cell", "phone", "wrong", "nope", "nah", "ok", "alright", "exactly", "absolutely",
    "here", "speaking", "calling", "about", "with", "for", "to", "of", "and", "but", "just", "still", "again",
    "urgent", "emergency", "stranded", "stuck", "asap", "soon", "later", "morning", "afternoon", "evening",
    "message", "call", "back", "someone", "somebody", "person", "advisor", "manager", "human", "vin",
    "honda", "toyota", "ford", "chevy", "chevrolet", "nissan", "subaru", "tesla", "bmw", "jeep", "kia",
    "hyundai", "mazda", "dodge", "ram", "audi", "volkswagen", "lexus", "acura", "buick", "gmc", "cadillac",
    "engine", "tire", "tires", "battery", "noise", "light", "transmission", "smoke", "start", "starting",
    "was", "were", "are", "be", "been", "do", "does", "did", "will", "should", "had", "has", "got", "get",
    "in", "on", "at", "by", "from", "if", "so", "as", "or", "me", "we", "he", "she", "they", "them", "his",
    "her", "our", "your", "their", "who", "which", "also", "too", "very", "really", "now", "then",
    "today's", "tonight", "week", "weekend", "time", "day", "hello", "hi", "hey", "bye", "goodbye",
})  # fmt: skip
# Letters that sound alike, for "no, it's with a Y": the letters a caller means instead of the one named.
SOUND_ALIKE = {
    "Y": ("ie", "i", "ey", "ee", "e"), "I": ("y", "e", "ee"), "E": ("a", "i", "y"), "A": ("e", "o"),
    "K": ("ck", "c", "q"), "C": ("k", "s"), "S": ("c", "z"), "Z": ("s",), "F": ("ph", "v"), "V": ("f", "ph"),
    "PH": ("f", "v"), "O": ("a", "u"), "U": ("o",), "J": ("g",), "G": ("j",),
}  # fmt: skip
SPELLED_LETTER = re.compile(r"^[A-Za-z]$")
# Punctuation said inside a spelling: "O, apostrophe, B R I E N, hyphen, Walsh".
SPELLED_MARKS = {"apostrophe": "'", "hyphen": "-", "dash": "-"}
WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|[.,;:!?]")


@dataclass(frozen=True)
class Name:
    """A name heard: `full` in Title Case; `spelled` the parts the caller spelled out, letter by letter."""

    full: str
    spelled: tuple = ()

    @property
    def first(self):
        return self.full.split()[0]

    @property
    def spelling(self):
        """ "S I O B H A N, K E L L Y": every part of the name, letter by letter."""
        marks = {"-": "hyphen", "'": "apostrophe"}
        return ", ".join(" ".join(marks.get(c, c) for c in part.upper()) for part in self.full.split())


# "Dwayne, with Ace Towing", "this is Dwayne from Ace Towing", "Priya over at Lakeside Insurance":
# the company a caller speaks for, said after their name; never part of it.
AFFILIATION = re.compile(
    r"(?:\s*,\s*|\s+)(?:i'm |i am )?(?:with|from|at|over at|calling from|here from|here with|of)\s+"
    r"(?!a\b|an\b|my\b|your\b|you\b|me\b|home\b|work\b)((?:the\s+)?[A-Za-z0-9&][\w&'.-]*(?:\s+[A-Za-z0-9&][\w&'.-]*){0,4})"
    r"(?:\s*,?\s*(?:here|speaking))?\s*[.,;!]?\s*$",
    re.IGNORECASE,
)


def affiliation(text):
    """(the words without it, the company) from "Dwayne, with Ace Towing"; (text, None) if none."""
    text = " ".join((text or "").replace("\u2019", "'").split())
    match = AFFILIATION.search(text)
    if not match or match.start() == 0:
        return text, None
    before = text[: match.start()].strip(" ,")
    company = match[1].strip(" .,!")
    if not before or not re.search(r"[A-Za-z]", before) or not any(w[:1].isupper() for w in company.split()):
        return text, None  # "from the dealership": a company said as one, capitalized
    return before, company


def company_in(text):
    """The company in a name said with one ("this is Dwayne from Ace Towing"), or None."""
    clauses = re.split(r"(?<=[,.;!?])\s+(?=[A-Za-z])", " ".join((text or "").split()))
    for count in range(len(clauses), 0, -1):
        rest, company = affiliation(" ".join(clauses[:count]))
        if company and heard_name(rest) is not None:
            return company
    return None


def spoken_name(text):
    """The name in Title Case, or None if this does not sound like a name."""
    name = heard_name(text)
    return name.full if name else None


def heard_name(text, *, volunteered=False):
    """The Name in an answer to "can I get your name?", or None if it does not sound like one.

    `volunteered`: the caller was not asked, so only a name said as one counts ("this is Jordan
    Reyes", "my name's Jo", one spelled out), with its words capitalized as a transcript writes names.
    """
    text = " ".join((text or "").replace("\u2019", "'").split())
    text = TITLE.sub("", affiliation(text)[0])  # "It's Dr. Okafor": the name, not the title
    text = _without_email(text)
    text = re.sub(
        r"(?:,?\s*\b(?:and )?(?:the |my )?(?:last name|surname)(?: is|'s)?)?\s*\bhyphenated\b[:,]?", ",", text
    )
    text = SELF_ROLE.sub(" ", text).strip() or text  # "It's under my name, I'm the contact. Raymond Achebe"
    text = SPELLED_AFTER_IS.sub(r"\1, \2", text)  # "Marchetti's M-A-R-C-H-E-T-T-I": Marchetti is spelled so
    text = HYPHEN_SAID.sub(r"\1-\2", text)  # "Mensah, hyphen, Boateng": Mensah-Boateng
    if volunteered:
        return _introduced(text)
    name = _parse(_strip_leads(text))
    return name or _introduced(text)


HYPHEN_SAID = re.compile(r"\b([A-Za-z][a-z']+),? (?:hyphen|dash),? ([A-Za-z][a-z']+)\b")
SPELLED_AFTER_IS = re.compile(r"\b([A-Za-z]{2,})'s ((?:[A-Za-z]-){2,}[A-Za-z])\b")
# Who the caller is to the booking, said beside the name: "it's under my name", "put it under me",
# "I'm the contact", "I'm her dad", "I'm the one bringing it in": no part of the name.
SELF_ROLE = re.compile(
    r"(?:^|(?<=[.,;!?]))\s*(?:(?:it's|it is|just|so|yeah|and) )?(?:(?:put it|book it|it's|it is) )?"
    r"(?:under (?:my name|me)\b|(?:i'm|i am) (?:the|a|an|her|his|their|paying|bringing|dropping|gonna|going)\b[^.,;!?]*)"
    r"[.,;!?]?",
    re.IGNORECASE,
)


def _without_email(text):
    """The words without a sentence that says an email address ("it's siobhan dot k r at example
    dot com" is no name)."""
    sentences = re.split(r"(?<=[.?!])\s+", text)
    if len(sentences) < 2 and email_in(text) is None:
        return text
    kept = [s for s in sentences if email_in(s) is None]
    return " ".join(kept) if kept else text


TITLE = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|Doctor|Professor)\.?\s+(?=[A-Z])")


def only_a_name(text):
    """Is the whole utterance a name ("It's Jordan Reyes.", "S I O B H A N"), with nothing else asked?"""
    return _parse(_strip_leads(" ".join((text or "").split()))) is not None


def _introduced(text):
    """The name after "my name is", "this is", "it's", "I'm" within a longer sentence, clause by clause.
    Each lead is tried in turn: in "it's seven seven three... Name's Rachel Goldberg" the second."""
    leads = list(INTRODUCTIONS.finditer(text))
    if not leads:
        return _spelled_alone(text)
    for match in leads:
        found = _named_after(match, text)
        if found is not None:
            return found
    return None


INTRODUCTIONS = re.compile(
    r"\b(my name is|my name's|name is|name's|the name is|the name's|this is|it's|it is|i'm|i am)\s+", re.I
)


def _named_after(match, text):
    lead = match[1].lower()
    rest = re.sub(r"[\s,.]+(here|speaking)\b", "", text[match.end() :], flags=re.IGNORECASE)
    if _a_thing(rest):  # "it's a 2015 Grand Cherokee", "it's the Jeep": the car, no name
        return None
    clauses = [affiliation(clause)[0] for clause in re.split(r"(?<=[,.;!?])\s+", rest)]
    found = None
    for count in range(1, len(clauses) + 1):
        name = _parse(" ".join(clauses[:count]))
        if name is None:
            break
        found = name
    if found is None:
        return None
    plain = [w for w in found.full.split() if w.upper() not in found.spelled]
    said = {w.lower(): w for w in WORD.findall(rest)}
    capitalized = all(said.get(w.lower(), w)[:1].isupper() for w in plain)
    if found.spelled or capitalized or lead.startswith(("my name", "name", "the name")):
        return found
    return None


def _a_thing(words):
    """Words that start with an article and go on to a number, a lower-case word or a car."""
    article = re.match(r"\s*(?:an?|the)\s+(?=(?P<next>\S+))", words, re.I)
    if article is None:
        return False
    following = article["next"]
    clause = re.split(r"[,.;!?]", words, maxsplit=1)[0]
    return following[:1].isdigit() or following[:1].islower() or car_in(clause) is not None


def _spelled_alone(text):
    """A name spelled out without any lead ("S I O B H A N, last name Kelly")."""
    name = _parse(_strip_leads(text))
    return name if name and name.spelled else None


def _strip_leads(text):
    s = text
    changed = True
    while changed:
        changed = False
        s = s.lstrip(" ,.")
        for lead in LEADS:
            if s.lower().startswith(lead) and (len(s) == len(lead) or not s[len(lead)].isalpha()):
                s = s[len(lead) :]
                changed = True
    s = re.sub(r"[\s,.]+(here|speaking|thanks|thank you|please)[.!]?$", "", s.strip(), flags=re.IGNORECASE)
    s = re.sub(
        r"(?:'s|\s+is|\s+will)\s+(?:fine|good|ok|okay|do|enough)(?:\s+enough)?[.!]?$", "", s, flags=re.IGNORECASE
    )
    s = re.sub(r"[\s,.]+(?:is|'s) all you need[.!]?$", "", s, flags=re.IGNORECASE)
    return s.strip(" ,.")


def _tokens(text):
    """Words and spelled letters: "K-E-L-L-Y" and "double L" become letters, "B as in boy" is B."""
    text = re.sub(r"\b([A-Za-z](?:-[A-Za-z]){1,})\b", lambda m: " ".join(m[1].split("-")), text)
    text = letters_by_example(text)
    # "E, I, double F, E, R": the pair said with the commas of the letters round it, or it splits the name
    pair = r"\1, \1" if re.search(r"\b[A-Za-z],", text) else r"\1 \1"
    text = re.sub(r"\bdouble ([A-Za-z])\b", pair, text, flags=re.IGNORECASE)
    return WORD.findall(text)


def _parse(text):
    """Name parts from words and spelled-out runs; a spelled run replaces the word it spells; a part
    said as the "first name" goes first and one said as the "last name" last."""
    parts = []  # [word, spelled?, role]
    letters = []
    tokens = _tokens(text)
    role = None

    def close_run():
        while letters and letters[-1] in "'-":
            letters.pop()
        while letters and letters[0] in "'-":
            letters.pop(0)
        if len(letters) >= 2:
            _attach(parts, "".join(letters).upper(), role)
        elif letters:
            parts.append([letters[0], False, role])  # one letter alone: an initial
        letters.clear()
        nonlocal spaced
        spaced = False

    spaced = False  # the run's letters came one after another, without pauses: "D M I T R I"
    for index, token in enumerate(tokens):
        low = token.lower()
        before = tokens[index - 1] if index else ""
        if token in ".,;:!?":
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if letters and following.lower() in SPELLED_MARKS:
                continue  # "O, apostrophe, B R I E N"
            if letters and SPELLED_LETTER.match(following) and not (spaced and letters[-1] not in "'-"):
                continue  # "B, O, B": a pause inside the spelling; "D M I T R I, S O K O L O V" is two parts
            if letters and letters[-1] in "'-" and following.lower() not in NOT_NAMES | MARKERS:
                continue  # "hyphen, Walsh": the rest of the name, said as a word
            close_run()
            continue
        if SPELLED_LETTER.match(token) and not (token == "I" and not letters and _next_is_word(tokens, index)):
            if letters and SPELLED_LETTER.match(before) and before.upper() == letters[-1]:
                spaced = True
            letters.append(token)
            continue
        if letters and low in NATO:
            letters.append(NATO[low])
            continue
        if letters and low in SPELLED_MARKS:
            letters.append(SPELLED_MARKS[low])
            continue
        if letters and letters[-1] in "'-" and low not in NOT_NAMES | MARKERS:
            letters.extend(token.upper())  # "B R I E N, hyphen, Walsh"
            continue
        close_run()
        if low in ("first", "given"):
            role = "first"
        elif low in ("last", "surname", "family"):
            role = "last"
        if low in MARKERS:
            continue
        if low in NOT_NAMES:
            return None
        if any(word.lower() == low for word, _, _ in parts):
            continue  # "Linh Nguyen. Nguyen is N G U Y E N"
        parts.append([token, False, role])
    close_run()
    order = {"first": 0, None: 1, "last": 2}
    parts.sort(key=lambda part: order[part[2]])
    words = [_title(word) for word, _, _ in parts]
    if not 1 <= len(words) <= 4 or len("".join(words)) < 2:
        return None
    if any(len(w) == 1 for w in words) and len(words) == 1:
        return None
    spelled = tuple(word.upper() for word, was_spelled, _ in parts if was_spelled)
    return Name(" ".join(words), spelled)


def _next_is_word(tokens, index):
    following = tokens[index + 1] if index + 1 < len(tokens) else ""
    return len(following) > 1 and following not in ".,;:!?"


def _attach(parts, spelled, role):
    """Put a spelled run in place of the word it spells (the nearest earlier one like it), or add it."""
    best, best_score = None, 0.0
    bare = re.sub(r"[^A-Z]", "", spelled)
    for position in range(len(parts) - 1, -1, -1):
        word, was_spelled, _ = parts[position]
        if was_spelled:
            continue
        score = SequenceMatcher(None, re.sub(r"[^a-z]", "", word.lower()), bare.lower()).ratio()
        if position == len(parts) - 1:
            score += 0.25  # the word just said is the one most often spelled
        if score > best_score:
            best, best_score = position, score
    if best is not None and best_score >= 0.5:
        word = parts[best][0]
        pieces = [re.sub(r"[^A-Z]", "", piece) for piece in re.split(r"(?<=[-'])", word.upper())]
        whole = bare == "".join(pieces)
        if any(bare == "".join(pieces[:count]) for count in range(1, len(pieces) + 1)):
            if not (whole and re.search(r"[-']", spelled)):
                spelled = word.upper()  # "O'Brien-Walsh. O, apostrophe, B R I E N": the word as said, marks and all
        parts[best] = [spelled, True, parts[best][2]]
    else:
        parts.append([spelled, True, role])


def _title(word):
    if word.isupper() or word.islower():
        pieces = re.split(r"(?<=-)|(?<=\b[A-Za-z]')", word.lower())  # "O'Brien-Walsh", "D'Angelo"
        return "".join(piece[:1].upper() + piece[1:] for piece in pieces)
    return word[:1].upper() + word[1:]


# --- corrections ------------------------------------------------------------------------------


# "John's with an H", "Katelyn is with a K": one part of the name said again, with a letter it has.
PART_WITH_LETTER = re.compile(
    r"^\W*(?:(?:and|also|oh|plus)\W+)?(?:it's |its |it is )?([A-Za-z]{2,})(?:'s| is) (?:spelled )?with (?:a|an) ([A-Za-z])\b",
    re.IGNORECASE,
)


def corrected(name, text):
    """`name` (a Name) as the caller corrects it, or None if `text` does not correct a name.

    A new spelling or a new name replaces the part it is most like ("no, my last name is Reyes,
    R E Y E S"); "with a Y" / "with a K instead" swaps in the letter for one that sounds like it.
    Several corrections in a row ("It's Berman. B-E-R-M-A-N. And John's with an H.") apply in turn.
    """
    clauses = [c for c in re.split(r"(?<=[.!?])\s+|,?\s+\band\s+(?=[A-Z])", text) if re.search(r"[A-Za-z]", c)]
    if len(clauses) < 2:
        return _corrected_once(name, text)
    current, spelled, changed = name, set(name.spelled), False
    for clause in clauses:
        fixed = _corrected_once(current, clause)
        # a clause alone may look like a name ("After four?"): kept only if spelled, or a part said again
        if fixed is not None and (fixed.spelled or PART_WITH_LETTER.match(clause) or _sounds_alike(current, fixed)):
            current, changed = fixed, True
            spelled |= set(fixed.spelled)
    if not changed:
        return None
    return Name(current.full, tuple(p.upper() for p in current.full.split() if p.upper() in spelled))


def _sounds_alike(name, fixed):
    """Every part `fixed` changed is like the part it replaced ("Jon" -> "John"), not a new word."""
    before, after = name.full.split(), fixed.full.split()
    return len(before) == len(after) and all(
        SequenceMatcher(None, old.lower(), new.lower()).ratio() >= 0.6 for old, new in zip(before, after, strict=True)
    )


def _corrected_once(name, text):
    again = PART_WITH_LETTER.match(text)
    if again and again[2].lower() in again[1].lower():  # "John's with an H": that part is "John"
        word, parts = again[1].title(), name.full.split()
        position = max(range(len(parts)), key=lambda i: SequenceMatcher(None, parts[i].lower(), word.lower()).ratio())
        if SequenceMatcher(None, parts[position].lower(), word.lower()).ratio() >= 0.6:
            parts[position] = word
            return Name(" ".join(parts), tuple(p for p in name.spelled if p in (x.upper() for x in parts)))
    letter = re.search(r"\bwith (?:a|an) ([A-Za-z]{1,2})\b(?: instead)?", text, re.IGNORECASE)
    new = heard_name(text[: letter.start()] + text[letter.end() :] if letter else text)
    if new is None and letter and len(_tokens(text)) <= 12:
        swapped = _swap_letter(name.full, letter[1].upper())
        if swapped:
            return Name(swapped, tuple(p.upper() for p in swapped.split()))
    if new is None:
        return None
    if len(new.full.split()) >= len(name.full.split()):
        return new
    parts = name.full.split()
    for part in new.full.split():
        position = max(range(len(parts)), key=lambda i: SequenceMatcher(None, parts[i].lower(), part.lower()).ratio())
        if re.search(r"\blast name|surname|family name", text, re.IGNORECASE):
            position = len(parts) - 1
        elif re.search(r"\bfirst name", text, re.IGNORECASE):
            position = 0
        parts[position] = part
    return Name(" ".join(parts), tuple(p.upper() for p in parts if p.upper() in new.spelled))


def _swap_letter(full, letter):
    """ "Kaitlin" with a Y is "Kaitlyn": the last letters that sound like `letter` become it."""
    if letter.lower() in full.lower():
        return None
    parts = full.split()
    for position, part in enumerate(parts):  # the first name is the one most often spelled wrong
        for sound in SOUND_ALIKE.get(letter, ()):
            for match in reversed(list(re.finditer(sound, part, re.IGNORECASE))):
                start, end = match.span()
                if start == 0 and letter not in ("K", "C", "S", "Z", "F", "G", "J"):
                    continue  # a vowel heard wrong is inside the name, not its first letter
                replacement = letter if start == 0 else letter.lower()
                parts[position] = part[:start] + replacement + part[end:]
                return " ".join(parts)
    if letter == "H":
        word = full.split()[0]
        return full.replace(word, word + "h", 1) if not word.endswith("h") else None
    return None


def remember(desk, name):
    """A new caller's name (a Name), kept for the call and for the task in hand."""
    caller = desk.state.caller
    caller.name = name.full
    caller.spelling = name.spelling if name.spelled else None
    task = desk.state.task
    if isinstance(task, (Booking, VinEntry)):
        task.new_name = name.full
    elif isinstance(task, Message):
        task.name = name.full
