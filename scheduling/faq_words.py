"""The words of a question that say what it is about, to match a caller's question to the shop's
FAQ entries: lower case, no stopwords or the words every question to a garage shares, plurals made
singular. "Is there a shuttle to downtown?" -> {"shuttle", "downtown"}. No stemming beyond that: an owner's
question and a caller's share their nouns, and a loose match would read the wrong entry."""

import re

MATCH_SHARE = 0.5  # the share of an entry's content words the caller must say

STOPWORDS = frozenset(
    """
    a about after again all also am an and any anything are as at be been before being but by
    can could did do does doing don down during each else for from get gets getting give go going
    got guy guys had has have having he her here hers him his how i if in into is it its just know let like
    me might more most my need no nor not now of off on once one only or other our ours out over
    own please provide offer offering offers same see she should so some such tell than that the
    their them then there these they this those through to too under until up us use very want was
    we were what when where which while who whom why will with would yes you your yours
    car cars vehicle vehicles auto shop garage service services repair repairs
    """.split()
)


def content_words(text):
    words = re.findall(r"[a-z0-9]+", re.sub(r"['\u2019-]", "", (text or "").lower()))  # Wi-Fi is wifi
    return {_singular(word) for word in words if word not in STOPWORDS}


def _singular(word):
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
