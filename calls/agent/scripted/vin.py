"""A VIN as a caller reads it out: digit by digit, in groups, with "oh" for zero, "B as in boy",
"double five", across several turns."""

from calls.agent.scripted.words import TENS, UNITS, letters_by_example, normalize

DIGITS = {**{w: str(n) for w, n in UNITS.items() if n < 10}, "oh": "0", "o": "0", "zero": "0", "niner": "9"}
NATO = {
    "alpha": "A", "alfa": "A", "bravo": "B", "charlie": "C", "delta": "D", "echo": "E", "foxtrot": "F",
    "golf": "G", "hotel": "H", "india": "I", "juliet": "J", "juliett": "J", "kilo": "K", "lima": "L",
    "mike": "M", "november": "N", "oscar": "O", "papa": "P", "quebec": "Q", "romeo": "R", "sierra": "S",
    "tango": "T", "uniform": "U", "victor": "V", "whiskey": "W", "xray": "X", "x-ray": "X", "yankee": "Y",
    "zulu": "Z",
}  # fmt: skip
LETTER_NAMES = {
    "bee": "B", "cee": "C", "dee": "D", "eff": "F", "gee": "G", "jay": "J", "kay": "K", "pee": "P", "cue": "Q",
    "ess": "S", "tee": "T", "vee": "V", "ex": "X", "zee": "Z", "zed": "Z",
}  # fmt: skip
FILLERS = frozenset({
    "um", "uh", "er", "ah", "so", "it's", "its", "it", "is", "the", "vin", "number", "my", "and", "then", "okay",
    "ok", "next", "dash", "space", "comma", "that's", "thats", "yeah", "right", "alright", "got", "starts",
    "with", "ends", "capital", "letter", "sorry", "like", "sure", "here", "goes", "go", "ready",
})  # fmt: skip
VIN_LENGTH = 17


def vin_characters(text):
    """(characters heard, words not understood) for one utterance of a VIN being read out."""
    said = normalize(text).replace("double u", "w")
    said = letters_by_example(said)  # "b as in boy"
    chars, unknown = [], []
    repeat, tens_open = 1, False
    for word in said.split():
        if word in ("double", "triple"):
            repeat = 2 if word == "double" else 3
            continue
        if tens_open and word in DIGITS and DIGITS[word] != "0":
            chars[-1] = chars[-1][0] + DIGITS[word]  # "eighty two" is 82
            tens_open = False
            continue
        piece = _piece(word)
        tens_open = word in TENS
        if piece is None:
            if word not in FILLERS:
                unknown.append(word)
            repeat = 1
            continue
        chars.append(piece * repeat if len(piece) == 1 else piece)
        repeat = 1
    return "".join(chars).upper(), unknown


def _piece(word):
    if word in DIGITS:
        return DIGITS[word]
    if word in TENS:
        return str(TENS[word])
    if word in NATO:
        return NATO[word]
    if word in LETTER_NAMES:
        return LETTER_NAMES[word]
    if len(word) == 1 and word.isalnum():
        return word.upper()
    if word.isalnum() and any(c.isdigit() for c in word):
        return word.upper()  # a group read as one token: "1hgcm", "82633"
    return None


def vin_fix(chars):
    """Letters that never appear in a VIN, as callers mean them: O and Q are 0, I is 1."""
    return chars.translate(str.maketrans({"O": "0", "Q": "0", "I": "1"}))


def read_back(chars, group=4):
    """ "1 H G C, M 8 2 6, ..." so the caller can follow along."""
    groups = [chars[i : i + group] for i in range(0, len(chars), group)]
    return ", ".join(" ".join(g) for g in groups)
