"""Which job lines a caller's words name: by the words of their description (as heard: "the
breaks", "the rotters", "the transmition one"), by their place ("the first one"), by their price
("the 129 dollar one", "the cheaper one") or all together ("both", "all of it"). Whether the
caller goes ahead with them is work_decisions.py."""

import re
from difflib import SequenceMatcher

from calls.agent.scripted.words import normalize, spoken_numbers

EVERYTHING = (
    "all of it", "all of them", "everything", "all three", "all four", "all two", "both", "both of them",
    "the whole thing", "all that", "all of that", "everything you said", "everything you listed", "the lot",
)  # fmt: skip
COUNTED = ("both", "both of them", "all two", "all three", "all four", "the two of them", "all of those")
ORDINAL_WORDS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "last": -1}
# Words of a job line that say little about which line is meant.
WEAK = frozenset({
    "and", "the", "a", "an", "of", "to", "for", "with", "replace", "replacement", "replaced", "service", "new",
    "set", "job", "work", "repair", "install", "check", "inspection", "labor", "parts", "both", "all",
})  # fmt: skip
SAME = {  # what speech-to-text and callers say for a word of a job line
    "break": "brake", "brakes": "brake", "breaks": "brake", "antifreeze": "coolant", "tyre": "tire", "tires": "tire",
    "tyres": "tire", "ac": "a/c", "air": "air", "aircon": "a/c", "trans": "transmission", "plug": "plug",
    "wipers": "wiper", "blades": "blade",
}  # fmt: skip


def token_at(text, position):
    return len(text[:position].split())


def finder(phrases):
    options = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{options})(?![\w'])")


def lines_in(clause, lines):
    """The lines a clause names, each with the token where it is named: by words of their
    description, by place ("the first one"), by price ("the 129 dollar one"), or all ("both")."""
    everything = finder(EVERYTHING).search(clause)
    if everything and finder(COUNTED).fullmatch(everything[0]):
        named = lines_in(finder(EVERYTHING).sub(" ", clause), lines)
        if len(named) > 1:  # "the pads and the rotors both": those two, not every line
            return named
    if everything:
        return [(line, token_at(clause, everything.start())) for line in lines]
    placed = _by_place(clause, lines) or _by_rank(clause, lines) or _by_price(clause, lines)
    if placed:
        return placed
    words = [_heard_as(word, lines) for word in _keys(clause)]  # mis-heard: "the rotters", "coolant flesh"
    matched = {i: _line_keys(line["work"]) & set(words) for i, line in enumerate(lines)}
    return [
        (line, min(t for t, w in enumerate(words) if w in matched[i]))
        for i, line in enumerate(lines)
        if matched[i] and not any(matched[j] > matched[i] for j in matched if j != i)
    ]


def _by_price(clause, lines):
    """ "The 129 dollar one", "the hundred and twenty nine dollar one"."""
    if not re.search(r"\b(?:dollars?|bucks?|one)\b", clause):
        return []
    said = [w for w in spoken_numbers(clause)]
    amounts = set()
    for i, word in enumerate(said):
        if word.text == "hundred":
            before = said[i - 1].number if i and said[i - 1].number else 1
            rest = [w for w in said[i + 1 : i + 3] if w.text != "and"]
            after = rest[0].number if rest and rest[0].number is not None and rest[0].number < 100 else 0
            amounts.add(before * 100 + after)
        elif word.number is not None and word.number >= 20:
            amounts.add(word.number)
    chosen = [
        (line, 0)
        for line in lines
        if amounts & {int(f.replace(",", "")) for f in re.findall(r"\$([\d,]+)", line["estimate"])}
    ]
    return chosen


RANK = re.compile(
    r"\b(?:the )?(?P<which>cheaper|cheapest|less expensive|least expensive|more expensive|most expensive|pricier"
    r"|priciest|expensive|bigger|smaller|big|small) (?:one|line|item|thing|job)\b"
)


def _by_rank(clause, lines):
    """ "The cheaper one", "the expensive one": of the priced lines, the lowest or the highest estimate."""
    match = RANK.search(clause)
    if not match or len(lines) < 2:
        return []
    tops = {}
    for line in lines:
        figures = [int(f.replace(",", "")) for f in re.findall(r"\$([\d,]+)", line["estimate"])]
        if not figures:
            return []
        tops[line["line_id"]] = max(figures)
    low = match["which"] in ("cheaper", "cheapest", "less expensive", "least expensive", "smaller", "small")
    chosen = (min if low else max)(lines, key=lambda line: tops[line["line_id"]])
    if list(tops.values()).count(tops[chosen["line_id"]]) > 1:
        return []
    return [(chosen, token_at(clause, match.start()))]


def _by_place(clause, lines):
    match = re.search(
        r"\b(?:the|that) (first|1st|second|2nd|third|3rd|fourth|last)\b(?! (?:thing|of all|time))"
        r"|\b(first|1st|second|2nd|third|3rd|fourth|last) (?:one|line|item)\b",
        clause,
    )
    if not match:
        return []
    index = ORDINAL_WORDS[match[1] or match[2]]
    return [(lines[index], token_at(clause, match.start()))] if -len(lines) <= index < len(lines) else []


def _line_keys(description):
    return {k for k in _keys(normalize(description)) if k not in WEAK}


def _keys(said):
    keys = []
    for word in said.split():
        word = re.sub(r"'s$", "", word)  # "rotation's fine"
        word = SAME.get(word, word)
        if len(word) > 3 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        keys.append(SAME.get(word, word))
    return keys


NOT_MISHEARD = frozenset({  # everyday words that sound like a part, never taken for one
    "while", "well", "will", "wall", "later", "other", "there", "their", "three", "those", "these", "better",
    "bother", "rather", "either", "whether", "after", "never", "ever", "thanks", "think", "thing", "things",
    "right", "wait", "matter", "water", "sorry", "really", "already", "totally", "actually", "probably", "maybe",
    "money", "many", "month", "monday", "friday", "today", "tomorrow", "tonight", "brother", "mother", "father",
    "different", "difference", "alternative", "everything", "something", "anything", "yourself", "expensive",
})  # fmt: skip


def _heard_as(word, lines):
    """A word of a line the caller's word sounds like (same consonants, nearly the same letters), or
    the word itself."""
    if len(word) < 4 or word in NOT_MISHEARD or any(word in _line_keys(line["work"]) for line in lines):
        return word
    for line in lines:
        for key in _line_keys(line["work"]):
            if key[0] != word[0]:
                continue
            ratio = SequenceMatcher(None, key, word).ratio()
            if _consonants(key) == _consonants(word) and len(_consonants(key)) >= 3 and ratio >= 0.7:
                return key
            if min(len(key), len(word)) >= 7 and abs(len(key) - len(word)) <= 2 and ratio >= 0.85:
                return key  # a long word spelled as heard: "transmition", "alinement"
    return word


def _consonants(word):
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouy]", "", word))
