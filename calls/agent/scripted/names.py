"""A caller's name, as they say it ("it's Jordan Lee", "my name is Ana Lucia Morales")."""

import re

LEADS = (
    "my name is", "my name's", "name is", "name's", "the name is", "this is", "it's", "it is", "i'm", "i am",
    "call me", "you can put", "put it under", "put me down as", "under", "yeah", "yes", "sure", "okay", "ok",
    "um", "uh", "so", "well", "oh", "hi", "hello",
)  # fmt: skip
NOT_NAMES = frozenset({
    "no", "not", "don't", "book", "appointment", "cancel", "yes", "okay", "what", "why", "how", "when", "where",
    "sorry", "the", "a", "an", "my", "car", "oil", "change", "brakes", "tomorrow", "today", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "i", "you", "it", "is", "am", "please", "thanks",
    "thank", "hold", "wait", "minute", "second", "can", "could", "would", "want", "need", "have", "there",
})  # fmt: skip


def spoken_name(text):
    """The name in Title Case, or None if this does not sound like a name."""
    s = " ".join((text or "").replace(",", " ").replace(".", " ").split())
    changed = True
    while changed:
        changed = False
        for lead in LEADS:
            if s.lower().startswith(lead + " "):
                s = s[len(lead) + 1 :]
                changed = True
    s = re.sub(r"\s+(here|speaking|thanks|thank you|please)$", "", s, flags=re.IGNORECASE)
    words = re.findall(r"[A-Za-z][A-Za-z'\-]*", s)
    if not 1 <= len(words) <= 4 or len(" ".join(words)) < 2:
        return None
    if any(w.lower() in NOT_NAMES for w in words):
        return None
    return " ".join(w[:1].upper() + w[1:] for w in words)
