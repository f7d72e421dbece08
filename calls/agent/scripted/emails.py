"""An email address as a caller says it: "J, dot, K-O-W-A-L-S-K-I, at gmail dot com", "jo underscore
park at example dot org", or typed ("jo.park@example.com") in a transcript.

The words become characters here; whether the result is an address is Django's EmailValidator's call.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

TYPED = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
SYMBOLS = {"dot": ".", "period": ".", "point": ".", "underscore": "_", "dash": "-", "hyphen": "-", "minus": "-"}
AT = frozenset({"at", "@"})
ENDINGS = frozenset({"com", "net", "org", "edu", "gov", "us", "io", "co", "info", "biz", "me"})
# Words that end the part before "at" ("it's", "my email is"): not in the address.
LEADS = frozenset(
    "it's its is it my email e-mail address that's thats sure yeah yes okay ok so and the me to send at "
    "um uh like just please".split()
)
NUMBERS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
           "seven": "7", "eight": "8", "nine": "9"}  # fmt: skip


def email_in(text):
    """The email address said or typed in `text`, lower case, or None."""
    typed = TYPED.search(text or "")
    if typed and _valid(typed[0].lower().rstrip(".")):
        return typed[0].lower().rstrip(".")
    words = _words(text)
    for index, word in enumerate(words):
        if word not in AT or index == 0:
            continue
        domain = _domain(words[index + 1 :])
        local = _local(words[:index])
        if domain and local and _valid(f"{local}@{domain}"):
            return f"{local}@{domain}"
    return None


def say_email(address):
    """ "j dot kowalski at gmail dot com", for reading an address back."""
    local, _, domain = address.partition("@")
    spoken = lambda part: part.replace(".", " dot ").replace("_", " underscore ").replace("-", " dash ")  # noqa: E731
    return " ".join(f"{spoken(local)} at {spoken(domain)}".split())


def _words(text):
    """Lower-case words, a spelled run ("K-O-W-A-L-S-K-I", "K O W") joined into one word, and a word
    said and then spelled ("siobhan, S-I-O-B-H-A-N") kept once."""
    raw = re.findall(r"[A-Za-z0-9@'_]+(?:-[A-Za-z0-9]+)*", (text or "").replace("\u2019", "'"))
    words = []  # (word, spelled letter by letter)
    for token in raw:
        parts = [p for p in token.split("-") if p]
        if len(parts) > 1 and all(len(p) == 1 for p in parts):
            words.append(("".join(parts).lower(), True))
        elif len(parts) > 1:
            words.extend((p.lower(), False) for p in parts)
        else:
            words.append((token.lower(), len(token) == 1 and token.isalpha()))
    joined = []
    for word, spelled in words:
        if spelled and len(word) == 1 and joined and joined[-1][1]:  # "k o w a l s k i"
            joined[-1] = (joined[-1][0] + word, True)
        elif spelled and joined and joined[-1][0] == word:
            continue  # "siobhan, S-I-O-B-H-A-N"
        else:
            joined.append((word, spelled))
    return [word for word, _ in joined]


def _domain(words):
    parts, expect_name = [], True
    for word in words:
        if expect_name:
            if word in SYMBOLS or word in AT or word in LEADS:
                break
            parts.append(word)
            expect_name = False
        elif SYMBOLS.get(word) == ".":
            parts.append(".")
            expect_name = True
        else:
            break
    while parts and parts[-1] == ".":
        parts.pop()
    domain = "".join(parts)
    return domain if "." in domain and domain.rsplit(".", 1)[1] in ENDINGS else None


def _local(words):
    """The address's part before "at": the words back from it, up to a lead ("it's", "email is")."""
    parts = []
    for word in reversed(words):
        if word in SYMBOLS:
            parts.append(SYMBOLS[word])
        elif word in NUMBERS and parts:
            parts.append(NUMBERS[word])
        elif word in LEADS:
            break
        elif re.fullmatch(r"[a-z0-9_]+", word):
            parts.append(word)
        else:
            break
    return "".join(reversed(parts)).strip(".-_") or None


def _valid(address):
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True
